import { z } from 'zod';
import { isCalendarDate } from './dates';

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
