import {
  DATE_DOMAIN,
  addDays,
  addMonths,
  compareDates,
  dayNumber,
  daysBetween,
  localDate,
  parseCalendarDate,
  type CalendarDate,
} from '@finance/shared';

/**
 * The dates of a recurring series, as pure functions of its rule.
 *
 * A series is counted from its anchor (`startDate`): occurrence k is the anchor plus k × interval
 * periods, computed from the anchor every time, never from the previous (clamped) date. So monthly
 * from Jan 31 gives Feb 28 (29 in leap years), Mar 31, Apr 30 — clamped to a short month's last
 * day, never drifting to the 28th for good, never skipping a month; yearly from Feb 29 gives Feb 28
 * in other years and Feb 29 again in leap years; weekly keeps the weekday. The series ends at its
 * `endDate` (inclusive), after `maxOccurrences` dates (skipped ones count: they are dates of the
 * series), or at the end of the date domain, whichever comes first.
 */

export const frequencies = ['daily', 'weekly', 'monthly', 'yearly'] as const;
export type Frequency = (typeof frequencies)[number];

/** Upper bound of `interval` (every N periods). */
export const MAX_INTERVAL = 1_000;

export interface RecurrenceRule {
  frequency: Frequency;
  /** Every N periods, ≥ 1. */
  interval: number;
  startDate: CalendarDate;
  /** Last date the series may fall on (inclusive), or null. */
  endDate: CalendarDate | null;
  /** Most dates the series has, or null. */
  maxOccurrences: number | null;
}

/** One date of a series and its position (0 = the anchor). */
export interface Occurrence {
  index: number;
  date: CalendarDate;
}

const DOMAIN_END = dayNumber(DATE_DOMAIN.max);

/** The date `index` periods after the anchor, ignoring the series' end; undefined past the date domain. */
function rawOccurrence(rule: RecurrenceRule, index: number): CalendarDate | undefined {
  const { frequency, interval, startDate } = rule;
  if (frequency === 'daily' || frequency === 'weekly') {
    const step = frequency === 'daily' ? interval : 7 * interval;
    const day = dayNumber(startDate) + index * step;
    return day > DOMAIN_END ? undefined : addDays(startDate, index * step);
  }
  const months = (frequency === 'monthly' ? interval : 12 * interval) * index;
  const anchor = parseCalendarDate(startDate)!;
  const targetYear = Math.floor((anchor.year * 12 + anchor.month - 1 + months) / 12);
  if (targetYear > Number(DATE_DOMAIN.max.slice(0, 4))) return undefined;
  return addMonths(startDate, months, anchor.day);
}

/** Occurrence `index` of the series, or undefined when the series has ended before it. */
export function occurrenceAt(rule: RecurrenceRule, index: number): CalendarDate | undefined {
  if (!Number.isInteger(index) || index < 0) return undefined;
  if (rule.maxOccurrences !== null && index >= rule.maxOccurrences) return undefined;
  const date = rawOccurrence(rule, index);
  if (date === undefined) return undefined;
  if (rule.endDate !== null && compareDates(date, rule.endDate) > 0) return undefined;
  return date;
}

/** The first occurrence on or after `date`, or undefined when the series has ended by then. */
export function firstOccurrenceOnOrAfter(rule: RecurrenceRule, date: CalendarDate): Occurrence | undefined {
  const { frequency, interval, startDate } = rule;
  let index: number;
  if (frequency === 'daily' || frequency === 'weekly') {
    const step = frequency === 'daily' ? interval : 7 * interval;
    index = Math.max(0, Math.ceil(daysBetween(startDate, date) / step));
  } else {
    const from = parseCalendarDate(startDate)!;
    const to = parseCalendarDate(date)!;
    const step = frequency === 'monthly' ? interval : 12 * interval;
    const months = (to.year - from.year) * 12 + (to.month - from.month);
    // The estimate's month is at most the wanted one's; a clamped day may still fall before `date`.
    index = Math.max(0, Math.floor(months / step));
    for (;;) {
      const candidate = rawOccurrence(rule, index);
      if (candidate === undefined || compareDates(candidate, date) >= 0) break;
      index++;
    }
  }
  const found = occurrenceAt(rule, index);
  return found === undefined ? undefined : { index, date: found };
}

/** The first occurrence strictly after `previous` (what comes after a date, whatever happened on it). */
export function nextOccurrence(rule: RecurrenceRule, previous: CalendarDate): Occurrence | undefined {
  return firstOccurrenceOnOrAfter(rule, addDays(previous, 1));
}

/** The position of `date` in the series, or undefined when the series never falls on it. */
export function indexOfOccurrence(rule: RecurrenceRule, date: CalendarDate): number | undefined {
  const found = firstOccurrenceOnOrAfter(rule, date);
  return found && found.date === date ? found.index : undefined;
}

/** Up to `count` occurrences from position `fromIndex` on, in order (fewer when the series ends). */
export function occurrencesFrom(rule: RecurrenceRule, fromIndex: number, count: number): Occurrence[] {
  const found: Occurrence[] = [];
  for (let index = fromIndex; found.length < count; index++) {
    const date = occurrenceAt(rule, index);
    if (date === undefined) break;
    found.push({ index, date });
  }
  return found;
}

/**
 * Where a new series begins: at its anchor when past occurrences are to be booked (`backfill`),
 * otherwise at its first date on or after today (undefined: it has already ended).
 */
export function firstScheduledOccurrence(
  rule: RecurrenceRule,
  today: CalendarDate,
  backfill: boolean,
): Occurrence | undefined {
  if (backfill) {
    const date = occurrenceAt(rule, 0);
    return date === undefined ? undefined : { index: 0, date };
  }
  return firstOccurrenceOnOrAfter(rule, today);
}

/** The rule's own problems (the end before the start, an interval out of range), as field messages. */
export function recurrenceRuleProblems(
  rule: RecurrenceRule,
): Array<{ field: 'endDate' | 'interval' | 'maxOccurrences'; message: string }> {
  const problems: Array<{ field: 'endDate' | 'interval' | 'maxOccurrences'; message: string }> = [];
  if (!Number.isInteger(rule.interval) || rule.interval < 1 || rule.interval > MAX_INTERVAL)
    problems.push({ field: 'interval', message: `Must be a whole number from 1 to ${MAX_INTERVAL}` });
  if (rule.endDate !== null && compareDates(rule.endDate, rule.startDate) < 0)
    problems.push({ field: 'endDate', message: 'Must be on or after start_date' });
  if (rule.maxOccurrences !== null && (!Number.isInteger(rule.maxOccurrences) || rule.maxOccurrences < 1))
    problems.push({ field: 'maxOccurrences', message: 'Must be at least 1' });
  return problems;
}

/** Today for someone in `timeZone` at `now` (an unknown zone counts as UTC). */
export function todayFor(now: Date, timeZone: string): CalendarDate {
  return localDate(now, timeZone);
}

/**
 * The latest calendar date anywhere on Earth at `now` (UTC+14, Kiritimati): no user's today is
 * later, so a date index range up to it finds every template that may be due, whatever the
 * user's zone; each candidate is then checked against its user's own today.
 */
export function latestTodayAnywhere(now: Date): CalendarDate {
  return localDate(now, 'Pacific/Kiritimati');
}

/** The date a reminder `daysBefore` an occurrence is due on. */
export function reminderDate(occurrenceDate: CalendarDate, daysBefore: number): CalendarDate {
  return addDays(occurrenceDate, -daysBefore);
}
