import {
  addDays,
  addMonths,
  compareDates,
  daysBetween,
  parseCalendarDate,
  type CalendarDate,
  type YearMonthDay,
} from './calendar';
import { percentOf } from './money';
import type { budgetPeriods } from './events/contracts';

/**
 * Budget windows and how a budget stands in one: the rules budgets judges its budgets by, and
 * reports' monthly report repeats from budgets' events (one copy, here).
 *
 * Budget windows: the calendar periods a budget's limit applies to. The calendar primitives
 * (day numbers, month arithmetic with clamping) are shared's one calendar; this module only says
 * how a budget's windows are anchored on its start date:
 * - daily: one day each, from start_date;
 * - weekly: 7 days, starting on start_date's weekday;
 * - monthly: from the anchor day of each month to the day before the next month's anchor
 *   (anchor 25 → 25th..24th); an anchor past a month's end clamps to its last day
 *   (anchor 31 → Feb 28/29, Apr 30, and back to the 31st in months that have one);
 * - yearly: from the anchor month/day each year (Feb 29 clamps to Feb 28 in common years).
 * An end_date cuts the last window short; dates before start_date or after end_date have no window.
 *
 * Every function here is O(1) in the number of windows since start_date: window `k` is computed
 * from the start date directly, never by walking windows 0..k-1 (a daily budget from 1900 has
 * 40,000+ windows before today).
 */

/** The periods of the event contract's `budgetPeriods` (budgets' API and its events take the same). */
export type BudgetPeriod = (typeof budgetPeriods)[number];

export interface BudgetSchedule {
  period: BudgetPeriod;
  startDate: CalendarDate;
  endDate?: CalendarDate | null;
}

export interface BudgetWindow {
  /** 0 for the window starting on start_date, then 1, 2, … */
  index: number;
  start: CalendarDate;
  /** Inclusive. */
  end: CalendarDate;
  /** Number of days in the window, end included. */
  days: number;
}

function partsOf(date: CalendarDate): YearMonthDay {
  const parts = parseCalendarDate(date);
  if (!parts) throw new RangeError(`Not a calendar date: ${date}`);
  return parts;
}

const isAfterEnd = (schedule: BudgetSchedule, date: CalendarDate) =>
  !!schedule.endDate && compareDates(date, schedule.endDate) > 0;

/** Unclamped start of window `index` (index may be any integer; the caller bounds it). */
function naturalStart(schedule: BudgetSchedule, index: number): CalendarDate {
  switch (schedule.period) {
    case 'daily':
      return addDays(schedule.startDate, index);
    case 'weekly':
      return addDays(schedule.startDate, index * 7);
    // Always counted from start_date itself, so a clamped anchor (Feb 28) never drifts the series.
    case 'monthly':
      return addMonths(schedule.startDate, index);
    case 'yearly':
      return addMonths(schedule.startDate, index * 12);
  }
}

/** Window number `index` of a budget, or undefined when it does not exist (negative, or after end_date). */
export function windowAt(schedule: BudgetSchedule, index: number): BudgetWindow | undefined {
  if (!Number.isInteger(index) || index < 0) return undefined;
  const start = naturalStart(schedule, index);
  if (isAfterEnd(schedule, start)) return undefined;
  let end = addDays(naturalStart(schedule, index + 1), -1);
  if (schedule.endDate && isAfterEnd(schedule, end)) end = schedule.endDate;
  return { index, start, end, days: daysBetween(start, end) + 1 };
}

/** The window containing `date`, or undefined before start_date / after end_date. */
export function windowContaining(schedule: BudgetSchedule, date: CalendarDate): BudgetWindow | undefined {
  if (!isActiveOn(schedule, date)) return undefined;
  const start = partsOf(schedule.startDate);
  const target = partsOf(date);
  let index: number;
  switch (schedule.period) {
    case 'daily':
      index = daysBetween(schedule.startDate, date);
      break;
    case 'weekly':
      index = Math.floor(daysBetween(schedule.startDate, date) / 7);
      break;
    case 'monthly':
      index = (target.year - start.year) * 12 + (target.month - start.month);
      break;
    case 'yearly':
      index = target.year - start.year;
      break;
  }
  // The guess is one too far when the date falls before that period's (clamped) anchor.
  if (compareDates(naturalStart(schedule, index), date) > 0) index -= 1;
  return windowAt(schedule, index);
}

/** Up to `count` windows before `window`, oldest first (fewer near start_date). */
export function previousWindows(
  schedule: BudgetSchedule,
  window: BudgetWindow,
  count: number,
): BudgetWindow[] {
  const out: BudgetWindow[] = [];
  for (let index = Math.max(0, window.index - count); index < window.index; index++) {
    const w = windowAt(schedule, index);
    if (w) out.push(w);
  }
  return out;
}

/**
 * The window a budget is judged by on `today`: the one containing today; before start_date the
 * first window, after end_date the last one (so an ended budget still shows how it finished).
 */
export function referenceWindow(schedule: BudgetSchedule, today: CalendarDate): BudgetWindow {
  if (compareDates(today, schedule.startDate) < 0) return windowAt(schedule, 0)!;
  if (schedule.endDate && isAfterEnd(schedule, today)) return windowContaining(schedule, schedule.endDate)!;
  return windowContaining(schedule, today)!;
}

/** A budget is active on `today` when today lies between start_date and end_date (inclusive). */
export function isActiveOn(schedule: BudgetSchedule, today: CalendarDate): boolean {
  return compareDates(today, schedule.startDate) >= 0 && !isAfterEnd(schedule, today);
}

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

export function budgetStatus(spent: bigint, available: bigint): BudgetStatus {
  if (spent > available) return 'over';
  if (spent * 100n >= NEAR_PERCENT * available) return 'near';
  return 'under';
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
