/**
 * Budget windows: the calendar periods a budget's limit applies to. Pure calendar arithmetic on
 * `YYYY-MM-DD` dates (never on instants), so daylight-saving changes cannot move a day.
 *
 * Windows are anchored on the budget's start date:
 * - daily: one day each, from start_date;
 * - weekly: 7 days, starting on start_date's weekday;
 * - monthly: from the anchor day of each month to the day before the next month's anchor
 *   (anchor 25 → 25th..24th); an anchor past a month's end clamps to its last day
 *   (anchor 31 → Feb 28/29, Apr 30, and back to the 31st in months that have one);
 * - yearly: from the anchor month/day each year (Feb 29 clamps to Feb 28 in common years).
 * An end_date cuts the last window short; dates before start_date or after end_date have no window.
 */

export const budgetPeriods = ['daily', 'weekly', 'monthly', 'yearly'] as const;
export type BudgetPeriod = (typeof budgetPeriods)[number];

/** A calendar date, `YYYY-MM-DD`. */
export type CalendarDate = string;

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

const MS_PER_DAY = 86_400_000;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

interface Ymd {
  year: number;
  month: number; // 1–12
  day: number;
}

function parseDate(date: CalendarDate): Ymd {
  const match = DATE.exec(date);
  if (!match) throw new RangeError(`Not a calendar date: ${date}`);
  const ymd = { year: Number(match[1]), month: Number(match[2]), day: Number(match[3]) };
  if (ymd.month < 1 || ymd.month > 12 || ymd.day < 1 || ymd.day > daysInMonth(ymd.year, ymd.month))
    throw new RangeError(`Not a calendar date: ${date}`);
  return ymd;
}

function formatDate({ year, month, day }: Ymd): CalendarDate {
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

export function daysInMonth(year: number, month: number): number {
  return [31, isLeapYear(year) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
}

/** Days since 1970-01-01 (a proleptic Gregorian day number; UTC is only used as a calendar). */
export function dayNumber(date: CalendarDate): number {
  const { year, month, day } = parseDate(date);
  return Date.UTC(year, month - 1, day) / MS_PER_DAY;
}

export function fromDayNumber(n: number): CalendarDate {
  const d = new Date(n * MS_PER_DAY);
  return formatDate({ year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() });
}

export function addDays(date: CalendarDate, days: number): CalendarDate {
  return fromDayNumber(dayNumber(date) + days);
}

/** Days from `from` to `to` (0 when equal, negative when `to` is earlier). */
export function daysBetween(from: CalendarDate, to: CalendarDate): number {
  return dayNumber(to) - dayNumber(from);
}

export function isCalendarDate(text: string): boolean {
  try {
    parseDate(text);
    return true;
  } catch {
    return false;
  }
}

/** The calendar date it is at `instant` in the IANA `timeZone` (what "today" means for the user). */
export function localDate(instant: Date, timeZone: string): CalendarDate {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).formatToParts(instant);
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  return formatDate({ year: get('year'), month: get('month'), day: get('day') });
}

export function isTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

/** The anchor day in the month `monthsAfter` months after the start's month, clamped to that month's length. */
function monthlyAnchor(start: Ymd, monthsAfter: number): CalendarDate {
  const total = start.year * 12 + (start.month - 1) + monthsAfter;
  const year = Math.floor(total / 12);
  const month = (total % 12) + 1;
  return formatDate({ year, month, day: Math.min(start.day, daysInMonth(year, month)) });
}

/** Unclamped start of window `index` (index may be any integer; the caller bounds it). */
function naturalStart(schedule: BudgetSchedule, index: number): CalendarDate {
  const start = parseDate(schedule.startDate);
  switch (schedule.period) {
    case 'daily':
      return addDays(schedule.startDate, index);
    case 'weekly':
      return addDays(schedule.startDate, index * 7);
    case 'monthly':
      return monthlyAnchor(start, index);
    case 'yearly':
      return monthlyAnchor(start, index * 12);
  }
}

/** Window number `index` of a budget, or undefined when it does not exist (negative, or after end_date). */
export function windowAt(schedule: BudgetSchedule, index: number): BudgetWindow | undefined {
  if (!Number.isInteger(index) || index < 0) return undefined;
  const start = naturalStart(schedule, index);
  if (schedule.endDate && start > schedule.endDate) return undefined;
  let end = addDays(naturalStart(schedule, index + 1), -1);
  if (schedule.endDate && end > schedule.endDate) end = schedule.endDate;
  return { index, start, end, days: daysBetween(start, end) + 1 };
}

/** The window containing `date`, or undefined before start_date / after end_date. */
export function windowContaining(schedule: BudgetSchedule, date: CalendarDate): BudgetWindow | undefined {
  if (date < schedule.startDate) return undefined;
  if (schedule.endDate && date > schedule.endDate) return undefined;
  const start = parseDate(schedule.startDate);
  const target = parseDate(date);
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
  // The guess may be one too far when the date falls before that period's (clamped) anchor.
  if (naturalStart(schedule, index) > date) index -= 1;
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
  if (today < schedule.startDate) return windowAt(schedule, 0)!;
  if (schedule.endDate && today > schedule.endDate) return windowContaining(schedule, schedule.endDate)!;
  return windowContaining(schedule, today)!;
}

/** A budget is active on `today` when today lies between start_date and end_date (inclusive). */
export function isActiveOn(schedule: BudgetSchedule, today: CalendarDate): boolean {
  return today >= schedule.startDate && (!schedule.endDate || today <= schedule.endDate);
}
