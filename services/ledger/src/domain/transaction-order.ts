import { z } from 'zod';

/** The orders a transaction list can be read in; ties are always broken by id. */
export const TRANSACTION_SORTS = ['-date', 'date', '-amount', 'amount'] as const;
export type TransactionSort = (typeof TRANSACTION_SORTS)[number];

/**
 * Where the previous page ended. Bound to its sort (`s`), so a cursor cannot be replayed
 * against another order. `k` is the sort key: a date string or base-currency minor units.
 */
export const transactionCursorSchema = z.object({
  s: z.enum(TRANSACTION_SORTS),
  k: z.string().regex(/^(\d{4}-\d{2}-\d{2}|-?\d+)$/),
  id: z.uuid(),
});
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
