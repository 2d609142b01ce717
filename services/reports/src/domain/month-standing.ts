import {
  addDays,
  compareDates,
  percentOf,
  referenceWindow,
  seriesFigures,
  type BudgetPeriod,
  type BudgetWindow,
  type CalendarDate,
  type WindowFigures,
} from '@finance/shared';

/**
 * How the user's budgets and goals stood in a month, for the monthly report, from the versions
 * budgets' and goals' events gave reports. Pure: the caller reads the versions and the sums.
 *
 * Budgets (the window rules and figures are shared's budget-window.ts, the ones budgets uses):
 * - a budget counts when it was defined by the month's end, not deleted by then, and active on at
 *   least one day of the month (start_date ≤ the month's last day, end_date absent or ≥ its first);
 * - it is shown by the window the month ends in (the one containing the month's last day; for a
 *   budget that ended during the month, its last window), as it stood on the month's last day:
 *   the spending of that window up to that day. A budget from the 1st of a month shows exactly
 *   the month; one from the 25th shows the window that began on the 25th;
 * - limit, carried over (rollover: every earlier window's unspent amount or overspend), spent
 *   and status (under, near from 80 %, over) are budgets' own figures.
 *
 * Goals:
 * - a goal counts when it existed at the month's end and was not deleted by then;
 * - progress is current / target in percent (2 decimals, half-even, as goals answers it);
 * - the change over the month is its amount at the month's end minus its amount at its start
 *   (0 for a goal created during the month), dated by when goals recorded each change.
 */

export interface BudgetDefinition {
  id: string;
  deleted: boolean;
  name: string;
  categoryId: string | null;
  amountMinor: bigint;
  currency: string;
  period: BudgetPeriod;
  startDate: CalendarDate;
  endDate: CalendarDate | null;
  rollover: boolean;
}

export interface MonthRange {
  from: CalendarDate;
  to: CalendarDate;
}

/** What to sum for one budget's month: its window up to the month's end, and before it (rollover only). */
export interface BudgetMonthPlan {
  budget: BudgetDefinition;
  window: BudgetWindow;
  /** The last day counted: the month's last day, or the window's end when that comes first. */
  countedTo: CalendarDate;
  /** From start_date to the day before the window (rollover budgets past their first window). */
  before?: MonthRange;
}

export function budgetMonthPlan(budget: BudgetDefinition, month: MonthRange): BudgetMonthPlan | undefined {
  if (budget.deleted) return undefined;
  if (compareDates(budget.startDate, month.to) > 0) return undefined;
  if (budget.endDate !== null && compareDates(budget.endDate, month.from) < 0) return undefined;
  const window = referenceWindow(budget, month.to);
  const countedTo = compareDates(window.end, month.to) < 0 ? window.end : month.to;
  const before =
    budget.rollover && window.index > 0
      ? { from: budget.startDate, to: addDays(window.start, -1) }
      : undefined;
  return { budget, window, countedTo, before };
}

export interface BudgetMonthLine {
  budget: BudgetDefinition;
  /** The month's last day counted (see {@link BudgetMonthPlan.countedTo}). */
  countedTo: CalendarDate;
  figures: WindowFigures;
}

export function budgetMonthLine(plan: BudgetMonthPlan, spent: bigint, spentBefore: bigint): BudgetMonthLine {
  const [figures] = seriesFigures(plan.budget.amountMinor, plan.budget.rollover, {
    windows: [{ window: plan.window, spent }],
    spentBefore,
  });
  return { budget: plan.budget, countedTo: plan.countedTo, figures };
}

export interface GoalSnapshot {
  id: string;
  deleted: boolean;
  name: string;
  targetMinor: bigint;
  currentMinor: bigint;
  currency: string;
  status: 'active' | 'completed' | 'cancelled';
  deadline: CalendarDate | null;
}

export interface GoalMonthLine {
  goal: GoalSnapshot;
  /** current / target in percent, 2 decimals, half-even. */
  percent: string;
  /** What is still missing to the target (0 once reached). */
  remainingMinor: bigint;
  /** Amount at the month's end minus at its start: negative after withdrawals or removed contributions. */
  changeMinor: bigint;
}

/** The goals at the month's end (`atEnd`), each with its change since the month's start (`atStart`), by name. */
export function goalMonthLines(atEnd: GoalSnapshot[], atStart: GoalSnapshot[]): GoalMonthLine[] {
  const startById = new Map(atStart.map((g) => [g.id, g]));
  return atEnd
    .filter((goal) => !goal.deleted)
    .map((goal) => {
      const start = startById.get(goal.id);
      const before = start && !start.deleted ? start.currentMinor : 0n;
      const remaining = goal.targetMinor - goal.currentMinor;
      return {
        goal,
        percent: goal.targetMinor > 0n ? percentOf(goal.currentMinor, goal.targetMinor, 2) : '100.00',
        remainingMinor: remaining > 0n ? remaining : 0n,
        changeMinor: goal.currentMinor - before,
      };
    })
    .sort((a, b) => a.goal.name.localeCompare(b.goal.name) || a.goal.id.localeCompare(b.goal.id));
}
