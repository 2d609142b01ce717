import { z } from 'zod';
import {
  calendarDateSchema,
  currencyCode,
  formatMinorUnits,
  multiLineText,
  paginationQuery,
  positiveAmount,
  queryInteger,
  singleLineText,
  transactionTypes,
} from '@finance/shared';
import type { RecurringField, TemplatePatch, TemplateReplacement } from '../domain/recurring';
import { MAX_INTERVAL, frequencies } from '../domain/recurring-dates';
import type { OccurrenceRecord, WaitingOccurrence } from '../data/recurring';
import type { RecurringTemplate } from '../data/recurring-entities';
import type { PreviewedOccurrence } from '../use-cases/recurring';
import { timestamps } from './fields';
import type { WirePaths } from './use-case-calls';

const field = {
  account_id: z
    .uuid()
    .meta({ description: 'Account each occurrence books into; omitted → your default account' }),
  to_account_id: z.uuid().nullable().meta({ description: 'Transfers only: the receiving account' }),
  category_id: z.uuid().nullable().meta({ description: 'One of your categories of a fitting kind' }),
  transaction_type: z.enum(transactionTypes).meta({ example: 'expense' }),
  amount: positiveAmount.meta({ description: 'Decimal string or number, > 0', example: '1200.00' }),
  currency: currencyCode.meta({ description: "Defaults to (and must equal) the account's currency" }),
  description: singleLineText({ max: 500, min: 0 }).meta({ example: 'Rent' }),
  notes: multiLineText({ max: 2000 }).nullable(),
  payee: singleLineText({ max: 200, min: 0 }).nullable().meta({ example: 'Landlord' }),
  tags: z.array(singleLineText({ max: 40 })).max(20),
  frequency: z.enum(frequencies).meta({ example: 'monthly' }),
  interval: z
    .number()
    .int()
    .min(1)
    .max(MAX_INTERVAL)
    .meta({ description: 'Every N periods (default 1)', example: 1 }),
  start_date: calendarDateSchema.meta({
    description:
      'The anchor: the first date, whose day of month (or weekday) the series keeps; defaults to today',
  }),
  end_date: calendarDateSchema
    .nullable()
    .meta({ description: 'Last date the series may fall on (inclusive)' }),
  max_occurrences: z.number().int().min(1).max(100_000).nullable().meta({
    description: 'Most dates the series has (skipped ones count)',
  }),
  auto_create: z.boolean().meta({
    description:
      'true: each occurrence is booked on its day; false: it waits in GET /recurring/due for approval',
  }),
  remind_days_before: z
    .number()
    .int()
    .min(0)
    .max(30)
    .meta({ description: 'Days before each occurrence to send ledger.recurring.upcoming (0 = no reminder)' }),
  is_active: z.boolean(),
};

const templateFields = {
  account_id: field.account_id.optional(),
  to_account_id: field.to_account_id.optional(),
  category_id: field.category_id.optional(),
  transaction_type: field.transaction_type,
  amount: field.amount,
  currency: field.currency.optional(),
  description: field.description.default(''),
  notes: field.notes.optional(),
  payee: field.payee.optional(),
  tags: field.tags.optional(),
  frequency: field.frequency,
  interval: field.interval.default(1),
  start_date: field.start_date.optional(),
  end_date: field.end_date.optional(),
  max_occurrences: field.max_occurrences.optional(),
  auto_create: field.auto_create.default(true),
  remind_days_before: field.remind_days_before.default(0),
  is_active: field.is_active.default(true),
};

export const newTemplateBody = z.object({
  ...templateFields,
  backfill: z.boolean().default(false).meta({
    description:
      'With a start_date in the past: book the occurrences since then too (by default the series starts at the first date on or after today)',
  }),
});

export const templateReplacementBody = z.object(templateFields);

export const templatePatchBody = z.object({
  account_id: field.account_id.optional(),
  to_account_id: field.to_account_id.optional(),
  category_id: field.category_id.optional(),
  transaction_type: field.transaction_type.optional(),
  amount: field.amount.optional(),
  currency: field.currency.optional(),
  description: field.description.optional(),
  notes: field.notes.optional(),
  payee: field.payee.optional(),
  tags: field.tags.optional(),
  frequency: field.frequency.optional(),
  interval: field.interval.optional(),
  start_date: field.start_date.optional(),
  end_date: field.end_date.optional(),
  max_occurrences: field.max_occurrences.optional(),
  auto_create: field.auto_create.optional(),
  remind_days_before: field.remind_days_before.optional(),
  is_active: field.is_active.optional(),
});

export const templateListQuery = z.object({
  ...paginationQuery,
  is_active: z
    .enum(['true', 'false'])
    .optional()
    .meta({ description: 'Only active (true) or inactive (false)' }),
});

export const deleteQuery = z.object({
  hard: z.enum(['true', 'false']).default('false').meta({
    description: 'true: remove the template (never the transactions it booked); default: deactivate it',
  }),
});

export const previewQuery = z.object({
  count: queryInteger(z.number().int().min(1).max(100).default(12)).meta({
    description: 'How many dates, 1–100',
  }),
});

export const dueQuery = z.object({ ...paginationQuery });
export const dueCursorSchema = z.object({ d: calendarDateSchema, id: z.uuid() });

export const occurrenceParams = z.object({
  id: z.uuid().meta({ description: 'Recurring template id' }),
  date: calendarDateSchema.meta({ description: 'The occurrence date' }),
});

// Plain objects (no .default): the router makes object bodies strict, so an unknown field is a 400.
export const processBody = z.object({
  date: calendarDateSchema.optional().meta({
    description: 'A date of the series to book; default: the next occurrence, due or not',
  }),
});

export const approveBody = z.object({
  amount: field.amount.optional().meta({ description: 'Book another amount than the template’s this time' }),
});

export const RECURRING_BODY_PATHS = {
  accountId: 'body.account_id',
  toAccountId: 'body.to_account_id',
  categoryId: 'body.category_id',
  type: 'body.transaction_type',
  amount: 'body.amount',
  currency: 'body.currency',
  date: 'body.start_date',
  frequency: 'body.frequency',
  interval: 'body.interval',
  startDate: 'body.start_date',
  endDate: 'body.end_date',
  maxOccurrences: 'body.max_occurrences',
  remindDaysBefore: 'body.remind_days_before',
  occurrenceDate: 'params.date',
} satisfies WirePaths<RecurringField>;

/** Where a booking's fields are named: the template's stored values were checked at creation, so what a booking refuses is the occurrence. */
export const OCCURRENCE_PATHS = {
  ...RECURRING_BODY_PATHS,
  accountId: 'account_id',
  toAccountId: 'to_account_id',
  categoryId: 'category_id',
  date: 'params.date',
  occurrenceDate: 'params.date',
} satisfies WirePaths<RecurringField>;

type TemplateBody = z.output<typeof templateReplacementBody>;

/** The body in the use cases' terms; start_date as given (POST fills in today, PUT keeps the anchor). */
export function templateDraftOf(body: TemplateBody): TemplateReplacement {
  return {
    transaction: {
      accountId: body.account_id,
      toAccountId: body.to_account_id ?? null,
      categoryId: body.category_id ?? null,
      type: body.transaction_type,
      amount: body.amount,
      currency: body.currency,
      description: body.description,
      notes: body.notes ?? null,
      payee: body.payee ?? null,
      tags: body.tags ?? [],
    },
    frequency: body.frequency,
    interval: body.interval,
    startDate: body.start_date,
    endDate: body.end_date ?? null,
    maxOccurrences: body.max_occurrences ?? null,
    autoCreate: body.auto_create,
    remindDaysBefore: body.remind_days_before,
    isActive: body.is_active,
  };
}

export function templatePatchOf(body: z.output<typeof templatePatchBody>): TemplatePatch {
  return {
    accountId: body.account_id,
    toAccountId: body.to_account_id,
    categoryId: body.category_id,
    type: body.transaction_type,
    amount: body.amount,
    currency: body.currency,
    description: body.description,
    notes: body.notes,
    payee: body.payee,
    tags: body.tags,
    frequency: body.frequency,
    interval: body.interval,
    startDate: body.start_date,
    endDate: body.end_date,
    maxOccurrences: body.max_occurrences,
    autoCreate: body.auto_create,
    remindDaysBefore: body.remind_days_before,
    isActive: body.is_active,
  };
}

export const templateSchema = z
  .object({
    id: z.uuid(),
    account_id: z.uuid(),
    to_account_id: z.uuid().nullable(),
    category_id: z.uuid().nullable(),
    transaction_type: z.enum(transactionTypes),
    amount: z.string().meta({ example: '1200.00' }),
    currency: z.string().meta({ example: 'USD' }),
    description: z.string(),
    notes: z.string().nullable(),
    payee: z.string().nullable(),
    tags: z.array(z.string()),
    frequency: z.enum(frequencies),
    interval: z.number().int(),
    start_date: z.string(),
    end_date: z.string().nullable(),
    max_occurrences: z.number().int().nullable(),
    auto_create: z.boolean(),
    remind_days_before: z.number().int(),
    is_active: z.boolean(),
    next_occurrence_date: z.string().nullable().meta({
      description:
        'Derived, read-only: the next date to book or to await approval (null when inactive or ended)',
    }),
    ...timestamps,
  })
  .meta({ id: 'RecurringTemplate' });

export function presentTemplate(t: RecurringTemplate) {
  return {
    id: t.id,
    account_id: t.accountId,
    to_account_id: t.toAccountId,
    category_id: t.categoryId,
    transaction_type: t.type,
    amount: formatMinorUnits(t.amountMinor, t.currency),
    currency: t.currency,
    description: t.description,
    notes: t.notes,
    payee: t.payee,
    tags: t.tags,
    frequency: t.frequency,
    interval: t.interval,
    start_date: t.startDate,
    end_date: t.endDate,
    max_occurrences: t.maxOccurrences,
    auto_create: t.autoCreate,
    remind_days_before: t.remindDaysBefore,
    is_active: t.isActive,
    next_occurrence_date: t.isActive ? t.nextOccurrenceDate : null,
    created_at: t.createdAt.toISOString(),
    updated_at: t.updatedAt.toISOString(),
    version: t.version,
  };
}

const statuses = ['pending', 'booked', 'skipped', 'failed'] as const;

export const occurrenceSchema = z
  .object({
    recurring_id: z.uuid(),
    date: z.string(),
    status: z.enum(statuses).meta({
      description: 'pending: awaits approval; failed: the booking was refused (see failure); booked; skipped',
    }),
    transaction_id: z.uuid().nullable(),
    failure: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .meta({ id: 'RecurringOccurrence' });

export function presentOccurrence(o: OccurrenceRecord) {
  return {
    recurring_id: o.templateId,
    date: o.date,
    status: o.status,
    transaction_id: o.transactionId,
    failure: o.failure,
    created_at: o.createdAt.toISOString(),
    updated_at: o.updatedAt.toISOString(),
  };
}

export const dueOccurrenceSchema = occurrenceSchema
  .extend({
    amount: z.string(),
    currency: z.string(),
    transaction_type: z.enum(transactionTypes),
    description: z.string(),
    account_id: z.uuid(),
  })
  .meta({ id: 'DueRecurringOccurrence' });

export function presentDue(o: WaitingOccurrence) {
  return {
    ...presentOccurrence(o),
    amount: formatMinorUnits(o.template.amountMinor, o.template.currency),
    currency: o.template.currency,
    transaction_type: o.template.type,
    description: o.template.description,
    account_id: o.template.accountId,
  };
}

export const previewSchema = z.object({
  data: z.array(
    z.object({
      date: z.string(),
      status: z.enum(['scheduled', ...statuses]).meta({
        description: 'scheduled, or what was decided ahead for that date (skipped, booked early)',
      }),
      transaction_id: z.uuid().nullable(),
    }),
  ),
});

export function presentPreview(dates: PreviewedOccurrence[]) {
  return {
    data: dates.map((o) => ({ date: o.date, status: o.status, transaction_id: o.transactionId })),
  };
}

/** The cursor position of a due occurrence. */
export function duePosition(o: WaitingOccurrence) {
  return { d: o.date, id: o.id };
}
