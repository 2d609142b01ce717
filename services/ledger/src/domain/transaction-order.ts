import { z } from 'zod';
import { isCalendarDate } from '@finance/shared';
import { RuleViolation } from './problems';

/** The orders a transaction list can be read in; ties are always broken by id. */
export const TRANSACTION_SORTS = ['-date', 'date', '-amount', 'amount'] as const;
export type TransactionSort = (typeof TRANSACTION_SORTS)[number];

/**
 * Where the previous page ended. Bound to its sort (`s`), so a cursor cannot be replayed
 * against another order. `k` is the sort key: a date string or base-currency minor units.
 */
export const transactionCursorSchema = z
  .object({
    s: z.enum(TRANSACTION_SORTS),
    k: z.string().regex(/^(\d{4}-\d{2}-\d{2}|-?\d{1,19})$/),
    id: z.uuid(),
  })
  // A forged cursor must not reach PostgreSQL as an impossible date or a number past bigint (500).
  // Any real date passes, not only the accepted domain: rows written before the domain existed
  // may carry older or later dates, and paging over them must keep working.
  .refine(
    (cursor) => (sortPlan(cursor.s).column === 'date' ? isCalendarDate(cursor.k) : fitsBigint(cursor.k)),
    {
      path: ['k'],
    },
  );

const BIGINT_MAX = 9_223_372_036_854_775_807n;
function fitsBigint(text: string): boolean {
  if (!/^-?\d{1,19}$/.test(text)) return false;
  const value = BigInt(text);
  return value <= BIGINT_MAX && value >= -BIGINT_MAX - 1n;
}
export type TransactionCursor = z.output<typeof transactionCursorSchema>;

export interface SortPlan {
  /** Sort key column. */
  column: 'date' | 'base_amount_minor';
  descending: boolean;
}

export function sortPlan(sort: TransactionSort): SortPlan {
  return {
    column: sort.endsWith('date') ? 'date' : 'base_amount_minor',
    descending: sort.startsWith('-'),
  };
}

export function cursorAfter(
  sort: TransactionSort,
  row: { date: string; baseAmountMinor: string; id: string },
): TransactionCursor {
  return { s: sort, k: sortPlan(sort).column === 'date' ? row.date : row.baseAmountMinor, id: row.id };
}

/** A cursor continues the order it was made for; another sort would skip or repeat rows. */
export function cursorSortViolation(
  sort: TransactionSort,
  cursor: TransactionCursor,
): RuleViolation<'cursor'> | undefined {
  if (cursor.s === sort) return undefined;
  return new RuleViolation('invalid', 'The cursor belongs to another sort order', [
    { field: 'cursor', message: `This cursor was made for sort=${cursor.s}` },
  ]);
}
