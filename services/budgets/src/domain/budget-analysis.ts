import { budgetStatus, compareDates, daysBetween, divideHalfEven, type WindowFigures } from '@finance/shared';
import type { CalendarDate } from './budget-window';

/** A budget's status in a window (under, near at 80 %, over) and its figures are shared's rules (budget-window.ts). */
export {
  NEAR_PERCENT,
  budgetStatus,
  figuresFor,
  seriesFigures,
  type BudgetStatus,
  type SpendingSeries,
  type WindowFigures,
} from '@finance/shared';

/** Alert thresholds, as in `budgets.budget.threshold-reached` (80) and `budgets.budget.exceeded` (100). */
export type AlertThreshold = 80 | 100;

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

export interface CurrentWindowFigures extends WindowFigures {
  daysElapsed: number;
  /** Days from today to the window's end, today included (0 once the window is over). */
  daysLeft: number;
  /** remaining / daysLeft, rounded down so spending it every day never overshoots; 0 when nothing is left. */
  dailyAllowance: bigint;
  /** Linear projection at the current pace: spent / daysElapsed × window days, half-even. */
  projectedSpend: bigint;
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
