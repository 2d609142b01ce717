import {
  MAX_PERIODS,
  addDays,
  addMonths,
  compareDates,
  countPeriods,
  nextPeriodStart,
  periodStart,
  periodsBetween,
  type CalendarDate,
} from '@finance/shared';

/**
 * A goal's progress over time: the cumulative amount at the end of each week or month, zero-filled
 * (a period without contributions carries the amount before it), beside the target. Built on the
 * shared calendar: periods are counted before they are built and never more than MAX_PERIODS.
 */

export const seriesGranularities = ['week', 'month'] as const;
export type SeriesGranularity = (typeof seriesGranularities)[number];

export interface SeriesRange {
  from: CalendarDate;
  to: CalendarDate;
}

export type SeriesRangeIssue =
  { kind: 'reversed' } | { kind: 'too-many-periods'; periods: number; max: number };

/**
 * The range a request means: `from` defaults to the goal's start (the earlier of its creation day
 * and its first contribution), `to` to today. A defaulted `from` is moved forward so the series
 * holds at most MAX_PERIODS periods (the amount before it is still counted); given dates are
 * taken as they are, and checked by {@link seriesRangeIssue}.
 */
export function seriesRange(
  requested: { from?: CalendarDate; to?: CalendarDate },
  defaults: { start: CalendarDate; today: CalendarDate },
  granularity: SeriesGranularity,
): SeriesRange {
  const to = requested.to ?? defaults.today;
  if (requested.from !== undefined) return { from: requested.from, to };
  let from = compareDates(defaults.start, to) > 0 ? to : defaults.start;
  if (countPeriods(from, to, granularity) > MAX_PERIODS) {
    const last = periodStart(to, granularity);
    from =
      granularity === 'week' ? addDays(last, -7 * (MAX_PERIODS - 1)) : addMonths(last, -(MAX_PERIODS - 1));
  }
  return { from, to };
}

export function seriesRangeIssue(
  range: SeriesRange,
  granularity: SeriesGranularity,
): SeriesRangeIssue | undefined {
  if (compareDates(range.from, range.to) > 0) return { kind: 'reversed' };
  const periods = countPeriods(range.from, range.to, granularity);
  if (periods > MAX_PERIODS) return { kind: 'too-many-periods', periods, max: MAX_PERIODS };
  return undefined;
}

export interface SeriesPoint {
  /** First day of the period inside the range (the range's `from` for the first one). */
  periodStart: CalendarDate;
  /** Last day of the period inside the range (the range's `to` for the last one). */
  periodEnd: CalendarDate;
  /** Net amount dated inside [periodStart, periodEnd]. */
  contributed: bigint;
  /** Everything dated up to periodEnd. */
  cumulative: bigint;
}

/**
 * The series over `range`: `before` is the net amount dated before `range.from`; `byPeriod` the
 * net amount dated inside the range, keyed by the calendar start of its period (a Monday, or a
 * month's first day).
 */
export function progressSeries(
  range: SeriesRange,
  granularity: SeriesGranularity,
  before: bigint,
  byPeriod: ReadonlyMap<CalendarDate, bigint>,
): SeriesPoint[] {
  let cumulative = before;
  return periodsBetween(range.from, range.to, granularity).map((start) => {
    const end = addDays(nextPeriodStart(start, granularity), -1);
    const contributed = byPeriod.get(start) ?? 0n;
    cumulative += contributed;
    return {
      periodStart: compareDates(start, range.from) < 0 ? range.from : start,
      periodEnd: compareDates(end, range.to) > 0 ? range.to : end,
      contributed,
      cumulative,
    };
  });
}
