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

/** The most earlier windows one analysis reports (GET /budgets/{id} shows 6). */
export const MAX_HISTORY_WINDOWS = 12;

export interface BudgetAnalysisRequest {
  budget: BudgetRecord;
  /** The window to judge (usually the one containing today). */
  window: BudgetWindow;
  /** How many earlier windows to report as history (at most MAX_HISTORY_WINDOWS). */
  historyCount: number;
}

export interface BudgetAnalysis {
  budget: BudgetRecord;
  current: CurrentWindowFigures;
  /** Earlier windows, oldest first. */
  history: WindowFigures[];
}

export function scheduleOf(budget: BudgetRecord): BudgetSchedule {
  return { period: budget.period, startDate: budget.startDate, endDate: budget.endDate };
}

/** One date range whose expenses are summed: a reported window, or everything before them. */
interface SumRange {
  categoryId: string | null;
  currency: string;
  from: CalendarDate;
  to: CalendarDate;
}

/**
 * Figures for several budgets' windows with ONE grouped query that sums, per budget, each
 * reported window (history and current) and, for rollover, everything spent from start_date up
 * to the first of them. The database does the summing, so the query answers one row per range:
 * at most (MAX_HISTORY_WINDOWS + 2) per budget, whatever the spending or the number of windows
 * since start_date. Only expenses in the budget's currency count; income and transfers never do.
 */
export async function analyseBudgets(
  manager: EntityManager,
  userId: string,
  requests: BudgetAnalysisRequest[],
  today: CalendarDate,
): Promise<BudgetAnalysis[]> {
  if (requests.length === 0) return [];
  const ranges: SumRange[] = [];
  const addRange = (budget: BudgetRecord, from: CalendarDate, to: CalendarDate) => {
    ranges.push({ categoryId: budget.categoryId, currency: budget.currency, from, to });
    return ranges.length - 1;
  };
  const plans = requests.map(({ budget, window, historyCount }) => {
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
  const rows: Array<{ slot: number; total: string }> = await manager.query(
    `SELECT r.slot, SUM(t.base_amount_minor)::text AS total
     FROM unnest($2::int[], $3::uuid[], $4::text[], $5::date[], $6::date[])
            AS r(slot, category_id, currency, from_date, to_date)
     JOIN spending_transactions t
       ON t.user_id = $1 AND NOT t.deleted AND t.type = 'expense'
      AND t.base_currency = r.currency
      AND (r.category_id IS NULL OR t.category_id = r.category_id)
      AND t.date BETWEEN r.from_date AND r.to_date
     GROUP BY r.slot`,
    [
      userId,
      ranges.map((_, slot) => slot),
      ranges.map((r) => r.categoryId),
      ranges.map((r) => r.currency),
      ranges.map((r) => r.from),
      ranges.map((r) => r.to),
    ],
  );
  const totals = new Map(rows.map((row) => [Number(row.slot), BigInt(row.total)]));
  const sumOf = (slot: number | undefined) => (slot === undefined ? 0n : (totals.get(slot) ?? 0n));
  return plans.map(({ budget, windows, beforeRange, windowRanges }) => {
    const figures = seriesFigures(budget.amountMinor, budget.rollover, {
      windows: windows.map((window, i) => ({ window, spent: sumOf(windowRanges[i]) })),
      spentBefore: sumOf(beforeRange),
    });
    return {
      budget,
      current: currentFigures(figures[figures.length - 1], today),
      history: figures.slice(0, -1),
    };
  });
}
