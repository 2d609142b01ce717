import { z } from 'zod';
import {
  clearedStatuses,
  calendarDateOrDateTime,
  calendarDateSchema,
  currencyCode,
  decimalAmount,
  formatMinorUnits,
  multiLineText,
  paginationQuery,
  positiveAmount,
  singleLineText,
  transactionTypes,
} from '@finance/shared';
import type { FilterField, TransactionFilterRequest } from '../domain/transaction-filter';
import { TRANSACTION_SORTS } from '../domain/transaction-order';
import { SPLIT_PARTS_MAX, SPLIT_PARTS_MIN, type SplitField } from '../domain/splits';
import type {
  SplitDraft,
  TransactionDraft,
  TransactionField,
  TransactionPatch,
} from '../domain/transactions';
import type { Transaction } from '../data/entities';
import type { ClearedField } from '../reconciliation/domain/reconciliation';
import { partsOf } from '../data/transaction-splits';
import { timestamps } from './fields';
import type { WirePaths } from './use-case-calls';

const tag = singleLineText({ max: 40 });
const field = {
  account_id: z
    .uuid()
    .meta({ description: 'Account; omitted → your default account ("Main account", created on first use)' }),
  amount: positiveAmount.meta({
    description: 'Decimal string or number, > 0, no more decimals than the currency has',
    example: '42.50',
  }),
  currency: currencyCode.meta({
    description: "Defaults to the account's currency (and must equal it for now)",
    example: 'USD',
  }),
  transaction_type: z.enum(transactionTypes).meta({ example: 'expense' }),
  description: singleLineText({ max: 500, min: 0 }).meta({ example: 'Weekly groceries' }),
  notes: multiLineText({ max: 2000 }).nullable().meta({ example: 'Paid with the shared card' }),
  date: calendarDateOrDateTime.meta({
    description: 'Calendar date (1900-01-01 to 2999-12-31); defaults to today in your timezone',
    example: '2024-05-31',
  }),
  category_id: z
    .uuid()
    .nullable()
    .meta({ description: 'One of your categories of a fitting kind; null = uncategorised' }),
  payee: singleLineText({ max: 200, min: 0 }).nullable().meta({ example: 'Corner Market' }),
  tags: z
    .array(tag)
    .max(20)
    .meta({ description: 'Short labels', example: ['family'] }),
  to_account_id: z.uuid().nullable().meta({ description: 'Transfers only: the receiving account' }),
  cleared: z.enum(clearedStatuses).meta({
    description:
      'uncleared (default) or cleared (the bank has it); reconciled is set only by POST /accounts/{id}/reconcile. Omitted on PUT/PATCH: unchanged',
    example: 'cleared',
  }),
};

/** Strict like the body itself (the router makes only the top level strict). */
const splitPart = z.strictObject({
  amount: positiveAmount.meta({
    description: "This part's share, > 0, in the transaction's currency",
    example: '62.10',
  }),
  category_id: field.category_id.optional(),
  notes: field.notes.optional(),
  tags: field.tags.optional(),
});

/**
 * The parts of a split (2 to 100, summing exactly to the amount). The rules are the domain's
 * (resolveSplits), so they hold for parts a rule or an import makes too; the bound is here as
 * well, so a huge list is refused before any work.
 */
const splits = z
  .array(splitPart)
  .max(SPLIT_PARTS_MAX)
  .meta({
    description: `Split the transaction into ${SPLIT_PARTS_MIN} to ${SPLIT_PARTS_MAX} parts, each with its own amount, category, notes and tags. The parts' amounts sum exactly to \`amount\`; the transaction's own category_id is then null. A transfer cannot be split. [] (or null in a PATCH) removes the split.`,
    example: [
      { amount: '62.10', category_id: '0190f5a0-7a1b-7c3d-8e4f-5a6b7c8d9e0f', notes: null, tags: [] },
      { amount: '17.90', category_id: '0190f5a0-7a1b-7c3d-8e4f-5a6b7c8d9e10', notes: 'soap', tags: [] },
    ],
  });

export const transactionBody = z.object({
  account_id: field.account_id.optional(),
  amount: field.amount,
  currency: field.currency.optional(),
  transaction_type: field.transaction_type,
  description: field.description.default(''),
  notes: field.notes.optional(),
  date: field.date.optional(),
  category_id: field.category_id.optional(),
  payee: field.payee.optional(),
  tags: field.tags.optional(),
  to_account_id: field.to_account_id.optional(),
  cleared: field.cleared.optional(),
  splits: splits.optional(),
});

export const transactionPatchBody = z.object({
  account_id: field.account_id.optional(),
  amount: field.amount.optional(),
  currency: field.currency.optional(),
  transaction_type: field.transaction_type.optional(),
  description: field.description.optional(),
  notes: field.notes.optional(),
  date: field.date.optional(),
  category_id: field.category_id.optional(),
  payee: field.payee.optional(),
  tags: field.tags.optional(),
  to_account_id: field.to_account_id.optional(),
  cleared: field.cleared.optional(),
  splits: splits.nullable().optional(),
});

/** The value of `category_id` that lists uncategorised transactions. */
export const UNCATEGORIZED_FILTER = 'uncategorized';

export const transactionListQuery = z.object({
  ...paginationQuery,
  sort: z
    .enum(TRANSACTION_SORTS)
    .default('-date')
    .meta({ description: 'date, -date (default), amount or -amount; ties by id' }),
  from: calendarDateSchema.optional().meta({ description: 'On or after this date' }),
  to: calendarDateSchema.optional().meta({ description: 'On or before this date' }),
  transaction_type: z.enum(transactionTypes).optional(),
  account_id: z.uuid().optional().meta({ description: 'Either side of a transfer counts' }),
  category_id: z
    .union([z.uuid(), z.literal(UNCATEGORIZED_FILTER)])
    .optional()
    .meta({ description: 'A category id or `uncategorized`' }),
  min_amount: decimalAmount.optional().meta({ description: 'Inclusive, in your base currency' }),
  max_amount: decimalAmount.optional().meta({ description: 'Inclusive, in your base currency' }),
  q: singleLineText({ max: 100 })
    .optional()
    .meta({ description: 'Text in description, payee or notes (case-insensitive)' }),
  tag: tag.optional().meta({ description: 'Only transactions carrying this tag' }),
  cleared: z.enum(clearedStatuses).optional().meta({ description: 'Only transactions of this status' }),
});

export const TRANSACTION_BODY_PATHS = {
  accountId: 'body.account_id',
  toAccountId: 'body.to_account_id',
  categoryId: 'body.category_id',
  type: 'body.transaction_type',
  amount: 'body.amount',
  currency: 'body.currency',
  date: 'body.date',
  cleared: 'body.cleared',
  splits: 'body.splits',
} satisfies WirePaths<TransactionField | ClearedField | SplitField>;

export const TRANSACTION_LIST_PATHS = {
  from: 'query.from',
  to: 'query.to',
  accountId: 'query.account_id',
  categoryId: 'query.category_id',
  minAmount: 'query.min_amount',
  maxAmount: 'query.max_amount',
  cursor: 'query.cursor',
} satisfies WirePaths<FilterField>;

export function draftOf(body: z.output<typeof transactionBody>): TransactionDraft {
  return {
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
    date: body.date,
    cleared: body.cleared,
    splits: body.splits?.map(splitDraftOf),
  };
}

function splitDraftOf(part: z.output<typeof splitPart>): SplitDraft {
  return {
    amount: part.amount,
    categoryId: part.category_id ?? null,
    notes: part.notes ?? null,
    tags: part.tags ?? [],
  };
}

export function patchOf(body: z.output<typeof transactionPatchBody>): TransactionPatch {
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
    date: body.date,
    cleared: body.cleared,
    splits: body.splits === null ? null : body.splits?.map(splitDraftOf),
  };
}

export function filterOf(query: z.output<typeof transactionListQuery>): TransactionFilterRequest {
  return {
    from: query.from,
    to: query.to,
    type: query.transaction_type,
    accountId: query.account_id,
    categoryId: query.category_id === UNCATEGORIZED_FILTER ? null : query.category_id,
    minAmount: query.min_amount,
    maxAmount: query.max_amount,
    text: query.q,
    tag: query.tag,
    cleared: query.cleared,
  };
}

export const transactionSchema = z
  .object({
    id: z.uuid(),
    account_id: z.uuid(),
    to_account_id: z.uuid().nullable(),
    amount: z.string().meta({ example: '42.50' }),
    currency: z.string().meta({ example: 'USD' }),
    base_amount: z.string().meta({
      description: 'The amount in your base currency when it was recorded (see base_currency)',
      example: '42.50',
    }),
    base_currency: z.string().meta({ example: 'USD' }),
    fx_rate: z.string().nullable().meta({
      description:
        'The rate currency→base_currency the base amount was converted at (null: same currency); the conversion used it exactly, shown to 12 decimals',
      example: '1.0843',
    }),
    fx_rate_date: z.string().nullable().meta({
      description: "The rate's date: the latest on or before the transaction's date (Friday's for a Sunday)",
      example: '2024-05-31',
    }),
    to_amount: z.string().nullable().meta({
      description: 'A transfer between accounts of different currencies: what arrived, in to_currency',
      example: '9200',
    }),
    to_currency: z.string().nullable().meta({ example: 'JPY' }),
    transaction_type: z.enum(transactionTypes),
    description: z.string(),
    notes: z.string().nullable(),
    date: z.string().meta({ example: '2024-05-31' }),
    category_id: z.uuid().nullable(),
    payee: z.string().nullable(),
    tags: z.array(z.string()),
    external_id: z
      .string()
      .nullable()
      .meta({ description: "Imported: the bank's own id of the entry, when the file had one" }),
    import_id: z
      .uuid()
      .nullable()
      .meta({ description: 'Imported: the import that created it (GET /import/{id})' }),
    cleared: z.enum(clearedStatuses).meta({
      description:
        'uncleared, cleared, or reconciled (a statement confirmed it: amount, date and accounts are locked)',
    }),
    splits: z
      .array(
        z.object({
          amount: z.string().meta({ example: '62.10' }),
          base_amount: z.string().meta({
            description:
              "This part's share of base_amount: base_amount allocated over the parts in proportion to their amounts, largest remainder first, so the parts sum to it exactly",
            example: '62.10',
          }),
          category_id: z.uuid().nullable(),
          notes: z.string().nullable(),
          tags: z.array(z.string()),
        }),
      )
      .meta({ description: "A split transaction's parts, in order ([]: not split)" }),
    ...timestamps,
  })
  .meta({ id: 'Transaction' });

export function presentTransaction(t: Transaction) {
  return {
    id: t.id,
    account_id: t.accountId,
    to_account_id: t.toAccountId,
    amount: formatMinorUnits(t.amountMinor, t.currency),
    currency: t.currency,
    base_amount: formatMinorUnits(t.baseAmountMinor, t.baseCurrency),
    base_currency: t.baseCurrency,
    fx_rate: t.fxRate,
    fx_rate_date: t.fxRateDate,
    to_amount:
      t.toAmountMinor === null || t.toCurrency === null
        ? null
        : formatMinorUnits(t.toAmountMinor, t.toCurrency),
    to_currency: t.toCurrency,
    transaction_type: t.type,
    description: t.description,
    notes: t.notes,
    date: t.date,
    category_id: t.categoryId,
    payee: t.payee,
    tags: t.tags,
    external_id: t.externalId ?? null,
    import_id: t.importId ?? null,
    cleared: t.cleared,
    splits: partsOf(t).map((s) => ({
      amount: formatMinorUnits(s.amountMinor, t.currency),
      base_amount: formatMinorUnits(s.baseAmountMinor, t.baseCurrency),
      category_id: s.categoryId,
      notes: s.notes,
      tags: s.tags,
    })),
    created_at: t.createdAt.toISOString(),
    updated_at: t.updatedAt.toISOString(),
    version: t.version,
  };
}
