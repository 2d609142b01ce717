import { compareDates, daysBetween, divideHalfEven, percentOf } from '@finance/shared';
import type { BudgetWindow, CalendarDate } from './budget-window';

/**
 * How a budget stands in a window. All amounts are bigint minor units of the budget's currency.
 *
 * Statuses (of `spent` against `available` = limit + carried_over):
 * - `over`  when spent > available (strictly: spending exactly the limit is not over budget);
 * - `near`  when spent ≥ 80 % of available;
 * - `under` otherwise.
 */
export type BudgetStatus = 'under' | 'near' | 'over';
export const NEAR_PERCENT = 80n;
/** Alert thresholds, as in `budgets.budget.threshold-reached` (80) and `budgets.budget.exceeded` (100). */
export type AlertThreshold = 80 | 100;

export function budgetStatus(spent: bigint, available: bigint): BudgetStatus {
  if (spent > available) return 'over';
  if (spent * 100n >= NEAR_PERCENT * available) return 'near';
  return 'under';
}

/**
 * The thresholds a window has reached: 80 once spent ≥ 80 % of what is available, 100 once it
 * is exceeded. Nothing is reached without spending (an exhausted rollover alone alerts no one).
 */
export function reachedThresholds(spent: bigint, available: bigint): AlertThreshold[] {
  if (spent <= 0n) return [];
  const status = budgetStatus(spent, available);
  if (status === 'over') return [80, 100];
  if (status === 'near') return [80];
  return [];
}

export interface WindowFigures {
  window: BudgetWindow;
  /** The budget's amount for one window. */
  limit: bigint;
  /** Rolled over from earlier windows (negative after overspending); 0 without rollover. */
  carriedOver: bigint;
  spent: bigint;
  /** limit + carriedOver − spent (negative when over). */
  remaining: bigint;
  /** spent / (limit + carriedOver) in percent, 2 decimals; null when nothing is available. */
  percentUsed: string | null;
  status: BudgetStatus;
}

export interface CurrentWindowFigures extends WindowFigures {
  daysElapsed: number;
  /** Days from today to the window's end, today included (0 once the window is over). */
  daysLeft: number;
  /** remaining / daysLeft, rounded down so spending it every day never overshoots; 0 when nothing is left. */
  dailyAllowance: bigint;
  /** Linear projection at the current pace: spent / daysElapsed × window days, half-even. */
  projectedSpend: bigint;
}

export function figuresFor(
  window: BudgetWindow,
  limit: bigint,
  carriedOver: bigint,
  spent: bigint,
): WindowFigures {
  const available = limit + carriedOver;
  return {
    window,
    limit,
    carriedOver,
    spent,
    remaining: available - spent,
    percentUsed: available > 0n ? percentOf(spent, available, 2) : null,
    status: budgetStatus(spent, available),
  };
}

export function currentFigures(figures: WindowFigures, today: CalendarDate): CurrentWindowFigures {
  const { window } = figures;
  const daysElapsed = Math.min(window.days, Math.max(0, daysBetween(window.start, today) + 1));
  // Today is both elapsed (its spending is in) and left (it can still be spent).
  const daysLeft =
    compareDates(today, window.start) < 0
      ? window.days
      : compareDates(today, window.end) > 0
        ? 0
        : window.days - daysElapsed + 1;
  const dailyAllowance = figures.remaining > 0n && daysLeft > 0 ? figures.remaining / BigInt(daysLeft) : 0n;
  const projectedSpend =
    daysElapsed === 0
      ? figures.spent
      : divideHalfEven(figures.spent * BigInt(window.days), BigInt(daysElapsed));
  return { ...figures, daysElapsed, daysLeft, dailyAllowance, projectedSpend };
}

export interface SpendingSeries {
  /**
   * Consecutive windows ending with the one of interest, oldest first, each with its spent sum.
   * (History first, then the current window last.) A handful at most: never every window since
   * start_date.
   */
  windows: Array<{ window: BudgetWindow; spent: bigint }>;
  /** Spent from start_date up to the first of `windows` (only needed for rollover): one sum. */
  spentBefore: bigint;
}

/**
 * Figures for each window of a series. With rollover, the carry chains from start_date, in
 * closed form: window k carries k × amount − (everything spent before it), i.e. every earlier
 * window's unspent amount (or overspend) with the budget's current amount as each window's
 * limit. So the cost is the series' length, whatever k is (46,000 for a daily budget from 1900).
 */
export function seriesFigures(amount: bigint, rollover: boolean, series: SpendingSeries): WindowFigures[] {
  let spentBefore = series.spentBefore;
  return series.windows.map(({ window, spent }) => {
    const carriedOver = rollover ? BigInt(window.index) * amount - spentBefore : 0n;
    spentBefore += spent;
    return figuresFor(window, amount, carriedOver, spent);
  });
}
