import {
  DATE_DOMAIN,
  MAX_PERIODS,
  calendarDateSchema,
  decimalAmount,
  multiLineText,
  paginationQuery,
  positiveAmount,
  singleLineText,
} from '@finance/shared';
import { z } from 'zod';
import { contributionKinds } from '../domain/contributions';
import { goalStatuses, settableGoalStatuses } from '../domain/goal-status';
import { PACE_WINDOW_DAYS } from '../domain/progress';
import { seriesGranularities } from '../domain/progress-series';

/** A date the service answers with. */
const calendarDate = z.string().meta({ description: 'Calendar date, YYYY-MM-DD', example: '2026-12-31' });
const money = z
  .string()
  .meta({ description: 'Exact decimal amount in the goal currency', example: '1500.00' });

/** A field the service derives: sending it is a 400 naming it, with why. */
const derived = (message: string) => z.never({ error: message }).optional().meta({ description: message });

const readOnlyFields = {
  current_amount: derived('current_amount is the sum of the contributions and cannot be set'),
  currency: derived("The goal's currency is your base currency and cannot be set"),
};

const goalFields = {
  name: singleLineText({ max: 100 }).meta({
    description: 'One line, no control characters or bidi overrides',
  }),
  target_amount: positiveAmount.meta({ description: 'In your base currency', example: '5000.00' }),
  deadline: calendarDateSchema.nullable().meta({
    description: `The day the target should be reached; null = none. ${DATE_DOMAIN.min} to ${DATE_DOMAIN.max}`,
    example: '2026-12-31',
  }),
  account_id: z
    .uuid()
    .nullable()
    .meta({ description: 'An account of yours where the savings sit; null = none' }),
  notes: multiLineText({ max: 2000 }).nullable().meta({ description: 'Free text, line breaks allowed' }),
  status: z
    .enum(settableGoalStatuses, {
      error: 'Must be active or cancelled (a goal becomes completed by itself when it reaches its target)',
    })
    .meta({ description: 'cancelled, or active to take it up again (completed follows from the amounts)' }),
};

export const createGoalBody = z.object({
  name: goalFields.name,
  target_amount: goalFields.target_amount,
  deadline: goalFields.deadline.default(null),
  account_id: goalFields.account_id.default(null),
  notes: goalFields.notes.default(null),
  ...readOnlyFields,
});

/** PUT replaces the goal: the fields of creation (omitted optional ones reset) and its status (default active). */
export const replaceGoalBody = createGoalBody.extend({ status: goalFields.status.default('active') });

/** PATCH is a JSON merge patch: absent keeps, null clears deadline, account_id or notes; null elsewhere is a 400. */
export const patchGoalBody = z.object({
  name: goalFields.name.optional(),
  target_amount: goalFields.target_amount.optional(),
  deadline: goalFields.deadline.optional(),
  account_id: goalFields.account_id.optional(),
  notes: goalFields.notes.optional(),
  status: goalFields.status.optional(),
  ...readOnlyFields,
});

export const goalIdParams = z.object({ id: z.uuid() });
export const contributionParams = z.object({ id: z.uuid(), contribution_id: z.uuid() });

export const listGoalsQuery = z.object({
  ...paginationQuery,
  status: z.enum(goalStatuses).optional().meta({ description: 'Only goals with this status' }),
});

export const progressQuery = z.object({
  granularity: z.enum(seriesGranularities).default('month'),
  from: calendarDateSchema
    .optional()
    .meta({ description: "First day; default the goal's start (its creation or first contribution)" }),
  to: calendarDateSchema.optional().meta({ description: 'Last day; default today (your time zone)' }),
});

const TRANSACTION_ID = 'transaction_id';

/**
 * A contribution: with `transaction_id`, that transaction of yours (all of it, or `amount` of it);
 * without, a manual one of `amount` (negative: a withdrawal) dated `date` (default today).
 */
export const contributeBody = z
  .object({
    transaction_id: z.uuid().optional().meta({ description: 'A transaction of yours in the ledger' }),
    amount: decimalAmount.optional().meta({
      description:
        'Linked: how much of the transaction (default all of it, following it when the ledger changes it). ' +
        'Manual: required; negative for a withdrawal.',
      example: '250.00',
    }),
    date: calendarDateSchema
      .optional()
      .meta({ description: 'Manual only: the day (default today); a linked one has its transaction’s date' }),
    note: multiLineText({ max: 500 }).nullable().default(null),
  })
  .superRefine((body, ctx) => {
    const positive = body.amount === undefined || (!body.amount.startsWith('-') && /[1-9]/.test(body.amount));
    if (body[TRANSACTION_ID] !== undefined) {
      if (!positive) ctx.addIssue({ code: 'custom', path: ['amount'], message: 'Must be greater than 0' });
      if (body.date !== undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['date'],
          message: 'A linked contribution is dated by its transaction',
        });
    } else if (body.amount === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['amount'],
        message: 'Required without transaction_id (negative for a withdrawal)',
      });
    else if (!/[1-9]/.test(body.amount))
      ctx.addIssue({ code: 'custom', path: ['amount'], message: 'Must not be 0' });
  });

export const goalSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    target_amount: money,
    current_amount: money.meta({ description: 'The sum of the contributions (withdrawals subtracted)' }),
    currency: z.string(),
    deadline: calendarDate.nullable(),
    status: z.enum(goalStatuses),
    account_id: z.uuid().nullable(),
    notes: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
    version: z.number().int(),
  })
  .meta({ id: 'Goal' });

const progressSchema = z.object({
  as_of: calendarDate.meta({ description: 'Today in your time zone: what the figures are computed for' }),
  percent: z
    .string()
    .meta({ description: 'current / target × 100, 2 decimals, rounded half-even (may pass 100)' }),
  remaining: money.meta({ description: 'target − current, 0 once reached' }),
  pace: z.object({
    window_start: calendarDate,
    window_days: z
      .number()
      .int()
      .meta({
        description: `The last ${PACE_WINDOW_DAYS} days up to today, fewer when the goal is younger`,
      }),
    saved: money.meta({ description: 'Net amount dated in the window' }),
    per_week: money.meta({ description: 'saved / window_days × 7, rounded half-even' }),
    per_month: money.meta({
      description: 'saved / window_days × 30.436875 (365.2425 / 12), rounded half-even',
    }),
  }),
  projected_completion_date: calendarDate.nullable().meta({
    description: 'When the target is reached at that pace; null without a positive pace or once reached',
  }),
  days_left: z
    .number()
    .int()
    .nullable()
    .meta({ description: 'Days after today to the deadline; null without one' }),
  deadline_passed: z.boolean().nullable(),
  months_left: z.number().int().nullable().meta({
    description: 'Monthly instalments left: today and the same day of each month up to the deadline',
  }),
  weeks_left: z
    .number()
    .int()
    .nullable()
    .meta({ description: 'Weekly instalments left: today and every 7 days up to the deadline' }),
  needed_per_month: money
    .nullable()
    .meta({ description: 'remaining / months_left, rounded up; null without a deadline or once it passed' }),
  needed_per_week: money.nullable().meta({ description: 'remaining / weeks_left, rounded up' }),
  on_track: z
    .boolean()
    .nullable()
    .meta({ description: 'Reached by the deadline at the pace; null without a deadline' }),
});

export const goalDetailSchema = goalSchema.extend({ progress: progressSchema });

export const progressSeriesSchema = z.object({
  goal_id: z.uuid(),
  granularity: z.enum(seriesGranularities),
  from: calendarDate,
  to: calendarDate,
  currency: z.string(),
  target_amount: money,
  periods: z
    .array(
      z.object({
        period_start: calendarDate.meta({ description: 'Monday or the 1st, or `from` for the first period' }),
        period_end: calendarDate.meta({
          description: 'Sunday or the month’s last day, or `to` for the last',
        }),
        contributed: money.meta({ description: 'Net amount dated in the period' }),
        cumulative: money.meta({ description: 'Everything dated up to period_end' }),
        target: money.meta({ description: 'The target line' }),
      }),
    )
    .meta({ description: `At most ${MAX_PERIODS} periods, zero-filled` }),
});

export const contributionSchema = z
  .object({
    id: z.uuid(),
    goal_id: z.uuid(),
    kind: z.enum(contributionKinds),
    transaction_id: z.uuid().nullable(),
    whole_transaction: z
      .boolean()
      .meta({ description: 'Linked without an amount: follows the transaction’s amount in the ledger' }),
    amount: money.meta({ description: 'Negative for a withdrawal' }),
    date: calendarDate,
    note: z.string().nullable(),
    created_at: z.string(),
  })
  .meta({ id: 'GoalContribution' });

export const contributedSchema = contributionSchema.extend({
  goal: goalSchema.meta({ description: 'The goal after the contribution' }),
});
