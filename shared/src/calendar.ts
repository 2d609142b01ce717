import { z } from 'zod';

/**
 * The one calendar of the system: `YYYY-MM-DD` calendar dates and the arithmetic on them.
 *
 * Dates are proleptic Gregorian days counted as plain integers (days since 1970-01-01), computed
 * with Howard Hinnant's civil-from-days algorithm: exact for every year, no `Date.UTC` (which maps
 * years 0–99 to 1900–1999) and no string comparison across a change of year width ("10000-01-01"
 * sorts before "9999-12-31"). Instants and time zones only decide what "today" is ({@link localDate}).
 *
 * **The date domain.** Every service accepts calendar dates from {@link DATE_DOMAIN}.min to
 * {@link DATE_DOMAIN}.max and nothing else (a 400 naming the field). The domain is narrower than
 * what the arithmetic handles, so a window, a period or a due date computed from an accepted date
 * (a month after 2999-12-31, say) is still a well-formed date and never leaves four-digit years.
 */
export const DATE_DOMAIN = { min: '1900-01-01', max: '2999-12-31' } as const;

/** A calendar date, `YYYY-MM-DD`. */
export type CalendarDate = string;

const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

export interface YearMonthDay {
  year: number;
  /** 1–12 */
  month: number;
  day: number;
}

export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

export function daysInMonth(year: number, month: number): number {
  return [31, isLeapYear(year) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
}

/** The parts of a well-formed calendar date (any year 0001–9999), or undefined. */
export function parseCalendarDate(text: string): YearMonthDay | undefined {
  const match = typeof text === 'string' ? DATE_PATTERN.exec(text) : null;
  if (!match) return undefined;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  return { year, month, day };
}

/** Whether `text` is a real date written `YYYY-MM-DD` (2024-02-30 and year 0000 are not). */
export function isCalendarDate(text: string): boolean {
  return parseCalendarDate(text) !== undefined;
}

/** Whether `text` is a real date inside the accepted {@link DATE_DOMAIN}. */
export function isInDateDomain(text: string): boolean {
  return isCalendarDate(text) && text >= DATE_DOMAIN.min && text <= DATE_DOMAIN.max;
}

function requireDate(date: CalendarDate): YearMonthDay {
  const parts = parseCalendarDate(date);
  if (!parts) throw new RangeError(`Not a calendar date: ${String(date)}`);
  return parts;
}

export function formatCalendarDate({ year, month, day }: YearMonthDay): CalendarDate {
  if (!Number.isInteger(year) || year < 1 || year > 9999)
    throw new RangeError(`Year ${year} is outside 0001–9999`);
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/** Days since 1970-01-01 of a year/month/day (Hinnant's days_from_civil; exact for every year). */
export function dayNumberOf({ year, month, day }: YearMonthDay): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

/** Days since 1970-01-01 of a calendar date. */
export function dayNumber(date: CalendarDate): number {
  return dayNumberOf(requireDate(date));
}

/** The year/month/day of a day number (Hinnant's civil_from_days). */
export function civilFromDayNumber(n: number): YearMonthDay {
  const z = n + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor(
    (dayOfEra -
      Math.floor(dayOfEra / 1460) +
      Math.floor(dayOfEra / 36_524) -
      Math.floor(dayOfEra / 146_096)) /
      365,
  );
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const mp = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

export function fromDayNumber(n: number): CalendarDate {
  return formatCalendarDate(civilFromDayNumber(n));
}

export function addDays(date: CalendarDate, days: number): CalendarDate {
  return fromDayNumber(dayNumber(date) + days);
}

/** Days from `from` to `to`: 0 when equal, negative when `to` is earlier. */
export function daysBetween(from: CalendarDate, to: CalendarDate): number {
  return dayNumber(to) - dayNumber(from);
}

/** Compares two calendar dates by day number (not as strings). */
export function compareDates(a: CalendarDate, b: CalendarDate): number {
  return dayNumber(a) - dayNumber(b);
}

/** Monday = 0 … Sunday = 6 (ISO 8601). */
export function weekdayOf(date: CalendarDate): number {
  // 1970-01-01 was a Thursday (3).
  return (((dayNumber(date) + 3) % 7) + 7) % 7;
}

/**
 * The same day `months` months later (earlier when negative), clamped to the last day of a
 * shorter month: Jan 31 + 1 → Feb 28/29; `anchorDay` keeps a series on its anchor (Jan 31, Feb 28,
 * Mar 31) instead of drifting to the 28th.
 */
export function addMonths(date: CalendarDate, months: number, anchorDay?: number): CalendarDate {
  const { year, month, day } = requireDate(date);
  const total = year * 12 + (month - 1) + months;
  const targetYear = Math.floor(total / 12);
  const targetMonth = total - targetYear * 12 + 1;
  const wanted = anchorDay ?? day;
  return formatCalendarDate({
    year: targetYear,
    month: targetMonth,
    day: Math.min(wanted, daysInMonth(targetYear, targetMonth)),
  });
}

/** First day of the month holding `date`. */
export function startOfMonth(date: CalendarDate): CalendarDate {
  const { year, month } = requireDate(date);
  return formatCalendarDate({ year, month, day: 1 });
}

/** Last day of the month holding `date`. */
export function endOfMonth(date: CalendarDate): CalendarDate {
  const { year, month } = requireDate(date);
  return formatCalendarDate({ year, month, day: daysInMonth(year, month) });
}

/** `YYYY-MM` → its first and last day. */
export function monthBounds(month: string): { from: CalendarDate; to: CalendarDate } {
  const from = `${month}-01`;
  return { from, to: endOfMonth(from) };
}

// ── periods: what analytics zero-fill and group by ─────────────────────────────

export const granularities = ['day', 'week', 'month', 'year'] as const;
export type Granularity = (typeof granularities)[number];

/**
 * The most periods one series may hold. A series is built only after {@link countPeriods} says it
 * fits, so no request can make a service allocate or loop more than this (a decade of weeks).
 */
export const MAX_PERIODS = 1_000;

/** The first day of the period holding `date`. Weeks start on Monday (ISO 8601). */
export function periodStart(date: CalendarDate, granularity: Granularity): CalendarDate {
  const { year, month } = requireDate(date);
  switch (granularity) {
    case 'day':
      return date;
    case 'week':
      return addDays(date, -weekdayOf(date));
    case 'month':
      return formatCalendarDate({ year, month, day: 1 });
    case 'year':
      return formatCalendarDate({ year, month: 1, day: 1 });
  }
}

/** The first day of the period after the one starting at `start`. */
export function nextPeriodStart(start: CalendarDate, granularity: Granularity): CalendarDate {
  switch (granularity) {
    case 'day':
      return addDays(start, 1);
    case 'week':
      return addDays(start, 7);
    case 'month':
      return addMonths(startOfMonth(start), 1);
    case 'year':
      return addMonths(formatCalendarDate({ year: requireDate(start).year, month: 1, day: 1 }), 12);
  }
}

/** How many periods touch [from, to] (0 when `to` is before `from`), computed without building them. */
export function countPeriods(from: CalendarDate, to: CalendarDate, granularity: Granularity): number {
  const a = requireDate(from);
  const b = requireDate(to);
  if (dayNumberOf(b) < dayNumberOf(a)) return 0;
  switch (granularity) {
    case 'day':
      return dayNumberOf(b) - dayNumberOf(a) + 1;
    case 'week':
      return Math.floor((dayNumber(periodStart(to, 'week')) - dayNumber(periodStart(from, 'week'))) / 7) + 1;
    case 'month':
      return (b.year - a.year) * 12 + (b.month - a.month) + 1;
    case 'year':
      return b.year - a.year + 1;
  }
}

export class TooManyPeriodsError extends RangeError {
  constructor(
    readonly periods: number,
    readonly max: number,
  ) {
    super(`${periods} periods is more than ${max}`);
    this.name = 'TooManyPeriodsError';
  }
}

/**
 * The start of every period touching [from, to], in order: what zero-filling walks over.
 * Throws {@link TooManyPeriodsError} before building anything when there would be more than `max`.
 */
export function periodsBetween(
  from: CalendarDate,
  to: CalendarDate,
  granularity: Granularity,
  max: number = MAX_PERIODS,
): CalendarDate[] {
  const count = countPeriods(from, to, granularity);
  if (count > max) throw new TooManyPeriodsError(count, max);
  const periods: CalendarDate[] = [];
  let start = periodStart(from, granularity);
  for (let i = 0; i < count; i++) {
    periods.push(start);
    if (i + 1 < count) start = nextPeriodStart(start, granularity);
  }
  return periods;
}

// ── time zones: what "today" is for a user ─────────────────────────────────────

export function isValidTimezone(timeZone: string): boolean {
  if (typeof timeZone !== 'string' || timeZone.length === 0 || timeZone.length > 64) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

/** The calendar date it is at `instant` in the IANA `timeZone`; an unknown zone counts as UTC. */
export function localDate(instant: Date, timeZone: string): CalendarDate {
  const zone = isValidTimezone(timeZone) ? timeZone : 'UTC';
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone: zone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).formatToParts(instant);
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  return formatCalendarDate({ year: get('year'), month: get('month'), day: get('day') });
}

/** Today's date for someone in `timeZone`. */
export function todayIn(timeZone: string, now: Date = new Date()): CalendarDate {
  return localDate(now, timeZone);
}

// ── schemas: how dates arrive in requests ─────────────────────────────────────

const DATE_MESSAGE = 'Must be a calendar date like 2024-05-31';
const DOMAIN_MESSAGE = `Must be between ${DATE_DOMAIN.min} and ${DATE_DOMAIN.max}`;

function dateIssue(text: string): string | undefined {
  if (!isCalendarDate(text)) return DATE_MESSAGE;
  if (!isInDateDomain(text)) return DOMAIN_MESSAGE;
  return undefined;
}

/** A calendar date inside the date domain, in a body or a query string (400 naming the field otherwise). */
export const calendarDateSchema = z
  .string()
  .superRefine((text, ctx) => {
    const message = dateIssue(text);
    if (message) ctx.addIssue({ code: 'custom', message });
  })
  .meta({
    description: `Calendar date (YYYY-MM-DD), ${DATE_DOMAIN.min} to ${DATE_DOMAIN.max}`,
    example: '2024-05-31',
  });

/**
 * A calendar date in a body, also given as an ISO 8601 date-time whose date part is taken as
 * written (seed-V1 clients send `2024-05-31T10:00:00`).
 */
export const calendarDateOrDateTime = z
  .string()
  .transform((value, ctx) => {
    const trimmed = value.trim();
    const date = trimmed.slice(0, 10);
    const rest = trimmed.slice(10);
    const message = rest !== '' && !/^T\d{2}:\d{2}/.test(rest) ? DATE_MESSAGE : dateIssue(date);
    if (message) {
      ctx.addIssue({ code: 'custom', message });
      return z.NEVER;
    }
    return date;
  })
  .meta({
    description: `Calendar date (YYYY-MM-DD), ${DATE_DOMAIN.min} to ${DATE_DOMAIN.max}`,
    example: '2024-05-31',
  });
