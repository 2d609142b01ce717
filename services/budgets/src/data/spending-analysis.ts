import { addDays } from '@finance/shared';
import type { EntityManager } from 'typeorm';
import {
  currentFigures,
  seriesFigures,
  type CurrentWindowFigures,
  type WindowFigures,
} from '../domain/budget-analysis';
import {
  previousWindows,
  type BudgetSchedule,
  type BudgetWindow,
  type CalendarDate,
} from '../domain/budget-window';
import type { BudgetRecord } from './budget-store';
import type { SpendingTransactionState } from './spending-transactions';

/** The most earlier windows one analysis reports (GET /budgets/{id} shows 6). */
export const MAX_HISTORY_WINDOWS = 12;

export interface BudgetAnalysisRequest {
  budget: BudgetRecord;
  /** The window to judge (usually the one containing today). */
  window: BudgetWindow;
  /** How many earlier windows to report as history (at most MAX_HISTORY_WINDOWS). */
  historyCount: number;
}

/**
 * A window's figures with how many expenses they could not count: those in another base
 * currency in the window and, with rollover, in every earlier window its carry is built from.
 * Figures with any uncounted expense are incomplete: shown so, never judged for alerts.
 */
export type CountedFigures<F extends WindowFigures = WindowFigures> = F & { uncounted: number };

export interface BudgetAnalysis {
  budget: BudgetRecord;
  current: CountedFigures<CurrentWindowFigures>;
  /** Earlier windows, oldest first. */
  history: CountedFigures[];
}

export function scheduleOf(budget: BudgetRecord): BudgetSchedule {
  return { period: budget.period, startDate: budget.startDate, endDate: budget.endDate };
}

/** One date range whose expenses are summed: a reported window, or everything before them. */
export interface SumRange {
  categoryId: string | null;
  currency: string;
  from: CalendarDate;
  to: CalendarDate;
}

/**
 * The sum of expenses in each range, in ONE query whose cost is linear in the user's spending,
 * whatever the number of budgets, windows or ranges (a daily rollover budget from 1900 sums
 * 46,000 windows of spending in its "before" range):
 * - ranges are grouped by what they count (category or all expenses, currency);
 * - per group, the spending is summed per day once, over the span of the group's ranges (by index:
 *   (user_id, category_id, date) for a category, (user_id, date) for all expenses); a category
 *   counts its transactions and the parts of split transactions in it (spending_transaction_parts,
 *   same index), all expenses count each transaction whole;
 * - a running total per group, in date order, is read at each range's edges: a range's sum is the
 *   total up to its last day minus the total before its first (`edge` orders, on the same date,
 *   a range's start before that day's spending and its end after it).
 * So there is no join of every range with every transaction, and one row comes back per range.
 * Only expenses in the range's currency are summed; income and transfers never count. Expenses
 * the range would count but whose base amount is in another currency (booked before the user
 * changed base currency, not yet re-booked by the ledger, or with no rate to re-book them) are
 * counted as `uncounted`: a sum with any is incomplete, never silently mixed.
 */
export interface RangeSum {
  /** The expenses in the range's currency, in minor units. */
  spent: bigint;
  /** Expenses of the range recorded in another base currency, left out of `spent`. */
  uncounted: number;
}

export async function sumRanges(
  manager: EntityManager,
  userId: string,
  ranges: SumRange[],
): Promise<RangeSum[]> {
  if (ranges.length === 0) return [];
  const rows: Array<{ slot: number; total: string; uncounted: number }> = await manager.query(
    `WITH r AS (
       SELECT * FROM unnest($2::int[], $3::uuid[], $4::text[], $5::date[], $6::date[])
         AS r(slot, category_id, currency, from_date, to_date)
     ), grouped AS (
       SELECT category_id, currency, min(from_date) AS from_date, max(to_date) AS to_date FROM r GROUP BY 1, 2
     ), daily AS (
       SELECT g.category_id, g.currency, d.date, d.total, d.uncounted
       FROM grouped g CROSS JOIN LATERAL (
         SELECT t.date, COALESCE(SUM(t.base_amount_minor) FILTER (WHERE t.base_currency = g.currency), 0) AS total,
                COUNT(*) FILTER (WHERE t.base_currency <> g.currency) AS uncounted
         FROM spending_transactions t
         WHERE g.category_id IS NULL AND t.user_id = $1 AND NOT t.deleted AND t.type = 'expense'
           AND t.date BETWEEN g.from_date AND g.to_date
         GROUP BY t.date
         UNION ALL
         SELECT t.date, COALESCE(SUM(t.base_amount_minor) FILTER (WHERE t.base_currency = g.currency), 0) AS total,
                COUNT(*) FILTER (WHERE t.base_currency <> g.currency) AS uncounted
         FROM spending_transactions t
         WHERE t.category_id = g.category_id AND t.user_id = $1 AND NOT t.deleted AND t.type = 'expense'
           AND t.date BETWEEN g.from_date AND g.to_date
         GROUP BY t.date
         UNION ALL
         SELECT p.date, COALESCE(SUM(p.base_amount_minor) FILTER (WHERE p.base_currency = g.currency), 0) AS total,
                COUNT(*) FILTER (WHERE p.base_currency <> g.currency) AS uncounted
         FROM spending_transaction_parts p
         WHERE p.category_id = g.category_id AND p.user_id = $1 AND p.type = 'expense'
           AND p.date BETWEEN g.from_date AND g.to_date
         GROUP BY p.date
       ) d
     ), points AS (
       SELECT category_id, currency, date, 0 AS edge, total, uncounted, NULL::int AS slot FROM daily
       UNION ALL SELECT category_id, currency, from_date, -1, 0, 0, slot FROM r
       UNION ALL SELECT category_id, currency, to_date, 1, 0, 0, slot FROM r
     ), running AS (
       SELECT slot, edge,
              SUM(total) OVER w AS upto, SUM(uncounted) OVER w AS uncounted_upto
       FROM points
       WINDOW w AS (PARTITION BY category_id, currency ORDER BY date, edge ROWS UNBOUNDED PRECEDING)
     )
     SELECT slot, (SUM(upto) FILTER (WHERE edge = 1) - SUM(upto) FILTER (WHERE edge = -1))::text AS total,
            (SUM(uncounted_upto) FILTER (WHERE edge = 1) - SUM(uncounted_upto) FILTER (WHERE edge = -1))::int AS uncounted
     FROM running WHERE slot IS NOT NULL GROUP BY slot`,
    [
      userId,
      ranges.map((_, slot) => slot),
      ranges.map((r) => r.categoryId),
      ranges.map((r) => r.currency),
      ranges.map((r) => r.from),
      ranges.map((r) => r.to),
    ],
  );
  const sums = new Map(
    rows.map((row) => [Number(row.slot), { spent: BigInt(row.total), uncounted: Number(row.uncounted) }]),
  );
  return ranges.map((_, slot) => sums.get(slot) ?? { spent: 0n, uncounted: 0 });
}

/**
 * What one read-model row adds to a range's sum: {@link sumRanges}'s rule for a single row, for
 * sums kept in memory while a run of events is applied. An expense, not deleted, dated in the
 * range; an all-expenses range counts it whole, a category's range its own category and each of
 * its parts in that category; in the range's currency an amount is spent, in another each counted
 * amount is one uncounted.
 */
export function rangeShare(range: SumRange, row: SpendingTransactionState): RangeSum | undefined {
  if (row.deleted || row.type !== 'expense' || row.date < range.from || row.date > range.to) return undefined;
  const counted =
    range.categoryId === null
      ? [row.baseAmountMinor]
      : [
          ...(sameId(row.categoryId, range.categoryId) ? [row.baseAmountMinor] : []),
          ...row.parts.filter((p) => sameId(p.categoryId, range.categoryId)).map((p) => p.baseAmountMinor),
        ];
  if (counted.length === 0) return undefined;
  return row.baseCurrency === range.currency
    ? { spent: counted.reduce((a, b) => a + b, 0n), uncounted: 0 }
    : { spent: 0n, uncounted: counted.length };
}

/** uuids as PostgreSQL compares them (case-insensitively). */
const sameId = (a: string | null, b: string | null) =>
  a !== null && b !== null && a.toLowerCase() === b.toLowerCase();

/** What one analysis sums: its windows and the slots of their ranges in a list of ranges. */
export interface AnalysisPlan {
  budget: BudgetRecord;
  windows: BudgetWindow[];
  /** Rollover: everything spent from start_date up to the first window. */
  beforeRange: number | undefined;
  windowRanges: number[];
}

/**
 * The ranges several analyses sum, appended to `ranges`: per budget, each reported window
 * (history and current) and, for rollover, everything spent from start_date up to the first of them.
 */
export function planAnalyses(requests: BudgetAnalysisRequest[], ranges: SumRange[] = []): AnalysisPlan[] {
  const addRange = (budget: BudgetRecord, from: CalendarDate, to: CalendarDate) => {
    ranges.push({ categoryId: budget.categoryId, currency: budget.currency, from, to });
    return ranges.length - 1;
  };
  return requests.map(({ budget, window, historyCount }) => {
    const history = Math.min(Math.max(0, historyCount), MAX_HISTORY_WINDOWS);
    const windows = [...previousWindows(scheduleOf(budget), window, history), window];
    const first = windows[0];
    const beforeRange =
      budget.rollover && first.index > 0
        ? addRange(budget, budget.startDate, addDays(first.start, -1))
        : undefined;
    const windowRanges = windows.map((w) => addRange(budget, w.start, w.end));
    return { budget, windows, beforeRange, windowRanges };
  });
}

/** A plan's figures from the sums of its ranges (pure: the same for sums from SQL or kept in memory). */
export function analysisFrom(
  plan: AnalysisPlan,
  sums: readonly RangeSum[],
  today: CalendarDate,
): BudgetAnalysis {
  const { budget, windows, beforeRange, windowRanges } = plan;
  const sumOf = (slot: number | undefined) => (slot === undefined ? { spent: 0n, uncounted: 0 } : sums[slot]);
  const figures = seriesFigures(budget.amountMinor, budget.rollover, {
    windows: windows.map((window, i) => ({ window, spent: sumOf(windowRanges[i]).spent })),
    spentBefore: sumOf(beforeRange).spent,
  });
  // A rollover window's carry is built from every window before it: their uncounted expenses are its too.
  let carriedUncounted = sumOf(beforeRange).uncounted;
  const counted = figures.map((f, i) => {
    const own = sumOf(windowRanges[i]).uncounted;
    const uncounted = budget.rollover ? carriedUncounted + own : own;
    carriedUncounted += own;
    return { ...f, uncounted };
  });
  const last = counted[counted.length - 1];
  return {
    budget,
    current: { ...currentFigures(last, today), uncounted: last.uncounted },
    history: counted.slice(0, -1),
  };
}

/**
 * Figures for several budgets' windows from one {@link sumRanges} query — never a query per
 * window, never a row per day or per transaction.
 */
export async function analyseBudgets(
  manager: EntityManager,
  userId: string,
  requests: BudgetAnalysisRequest[],
  today: CalendarDate,
): Promise<BudgetAnalysis[]> {
  if (requests.length === 0) return [];
  const ranges: SumRange[] = [];
  const plans = planAnalyses(requests, ranges);
  const sums = await sumRanges(manager, userId, ranges);
  return plans.map((plan) => analysisFrom(plan, sums, today));
}
