import {
  MAX_PERIODS,
  addDays,
  addMonths,
  compareDates,
  isValidTimezone,
  localDate,
  countPeriods,
  daysBetween,
  endOfMonth,
  nextPeriodStart,
  periodStart,
  periodsBetween,
  startOfMonth,
  type CalendarDate,
  type Granularity,
} from '@finance/shared';

/**
 * Reports' own calendar rules: which range a request means, how long a range and a series may
 * be, and which periods a trend compares. All date arithmetic is the system's one calendar
 * (`shared/src/calendar.ts`: day numbers, correct for every year, dates limited to DATE_DOMAIN);
 * nothing here compares dates as strings or builds a series without a bound.
 */

/** Longest range analytics and exports answer: five years, leap days included. */
export const MAX_RANGE_DAYS = 5 * 366;

export interface DateRange {
  from: CalendarDate;
  to: CalendarDate;
}

/** Why a range cannot be answered. */
export type RangeIssue =
  | { kind: 'reversed' }
  | { kind: 'too-long'; days: number; max: number }
  | { kind: 'too-many-periods'; periods: number; max: number };

/**
 * What is wrong with `range` (read by `granularity`, when it is a series), or undefined. The
 * period count is computed without building the periods, so this is cheap for any dates.
 */
export function rangeIssue(range: DateRange, granularity?: Granularity): RangeIssue | undefined {
  if (compareDates(range.from, range.to) > 0) return { kind: 'reversed' };
  const days = daysBetween(range.from, range.to) + 1;
  if (days > MAX_RANGE_DAYS) return { kind: 'too-long', days, max: MAX_RANGE_DAYS };
  if (granularity) {
    const periods = countPeriods(range.from, range.to, granularity);
    if (periods > MAX_PERIODS) return { kind: 'too-many-periods', periods, max: MAX_PERIODS };
  }
  return undefined;
}

/**
 * The documented defaults: a missing end completes the month of the other one; with neither,
 * the range is the month of `today` (the user's local date). A completed range lies inside one
 * month, so it is never reversed, too long, or more than 31 periods.
 */
export function completeRange(
  requested: { from?: CalendarDate; to?: CalendarDate },
  today: CalendarDate,
): DateRange {
  const anchor = requested.from ?? requested.to ?? today;
  return { from: requested.from ?? startOfMonth(anchor), to: requested.to ?? endOfMonth(anchor) };
}

/** The start of the period `n` periods after (before, when negative) the one starting at `start`. */
export function shiftPeriods(start: CalendarDate, granularity: Granularity, n: number): CalendarDate {
  switch (granularity) {
    case 'day':
      return addDays(start, n);
    case 'week':
      return addDays(start, 7 * n);
    case 'month':
      return addMonths(startOfMonth(start), n);
    case 'year':
      return addMonths(periodStart(start, 'year'), 12 * n);
  }
}

export interface TrendWindow {
  /** Start of the period holding today. */
  current: CalendarDate;
  /** Starts of the `count` periods before it, oldest first (the last one is "previous"). */
  history: CalendarDate[];
  /** First and last day read: the oldest history period to the end of the current one. */
  range: DateRange;
}

/**
 * The periods a trend compares: the one holding `today` and the `count` before it. Built by
 * `periodsBetween`, so a count above MAX_PERIODS throws before anything is allocated.
 */
export function trendWindow(today: CalendarDate, granularity: Granularity, count: number): TrendWindow {
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`A trend needs at least one past period`);
  const current = periodStart(today, granularity);
  const first = shiftPeriods(current, granularity, -count);
  const history = periodsBetween(first, addDays(current, -1), granularity);
  return { current, history, range: { from: first, to: addDays(nextPeriodStart(current, granularity), -1) } };
}

/** How far `zone`'s wall clock is ahead of UTC at `instant`, in milliseconds (whole seconds). */
function zoneOffsetMs(instant: number, zone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  }).formatToParts(new Date(instant));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const wall = new Date(0);
  wall.setUTCFullYear(get('year'), get('month') - 1, get('day'));
  wall.setUTCHours(get('hour'), get('minute'), get('second'));
  return wall.getTime() - Math.floor(instant / 1000) * 1000;
}

/**
 * The instant `date` begins in the IANA `timeZone` (an unknown zone counts as UTC, as `localDate`
 * reads it): what "before the month's end" means for a user. The offset is looked up twice, so a
 * change of offset (summer time) between UTC midnight and local midnight is taken into account.
 */
export function startOfLocalDay(date: CalendarDate, timeZone: string): Date {
  const zone = isValidTimezone(timeZone) ? timeZone : 'UTC';
  const naive = Date.parse(`${date}T00:00:00Z`);
  const guess = naive - zoneOffsetMs(naive, zone);
  const instant = naive - zoneOffsetMs(guess, zone);
  // A day whose midnight the clocks skip (Havana's spring forward) begins at the jump: `guess`.
  return new Date(localDate(new Date(instant), zone) === date ? instant : guess);
}
