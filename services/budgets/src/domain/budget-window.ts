import {
  addDays,
  addMonths,
  compareDates,
  daysBetween,
  parseCalendarDate,
  type CalendarDate,
  type YearMonthDay,
} from '@finance/shared';

/**
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

export const budgetPeriods = ['daily', 'weekly', 'monthly', 'yearly'] as const;
export type BudgetPeriod = (typeof budgetPeriods)[number];
export type { CalendarDate };

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
