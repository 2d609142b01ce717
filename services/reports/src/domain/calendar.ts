/**
 * Calendar arithmetic on `YYYY-MM-DD` dates. Transactions carry calendar dates already (the
 * ledger decided the day in the user's timezone), so periods are plain calendar maths; the
 * timezone only matters for "today" (see {@link localDate}).
 */

export const granularities = ['day', 'week', 'month', 'year'] as const;
export type Granularity = (typeof granularities)[number];

const DAY_MS = 86_400_000;

function toUtc(date: string): Date {
  return new Date(`${date}T00:00:00Z`);
}

function iso(date: Date): string {
  return date.toISOString().slice(0, 10);
}

export function addDays(date: string, days: number): string {
  return iso(new Date(toUtc(date).getTime() + days * DAY_MS));
}

/** First day of the month `months` after the month of `date` (negative goes back). */
export function addMonths(date: string, months: number): string {
  const d = toUtc(date);
  return iso(new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + months, 1)));
}

export function daysBetween(from: string, to: string): number {
  return Math.round((toUtc(to).getTime() - toUtc(from).getTime()) / DAY_MS);
}

/** The first day of the period holding `date`. Weeks start on Monday (ISO 8601). */
export function periodStart(date: string, granularity: Granularity): string {
  switch (granularity) {
    case 'day':
      return date;
    case 'week': {
      const weekday = (toUtc(date).getUTCDay() + 6) % 7; // Monday = 0
      return addDays(date, -weekday);
    }
    case 'month':
      return `${date.slice(0, 7)}-01`;
    case 'year':
      return `${date.slice(0, 4)}-01-01`;
  }
}

export function nextPeriodStart(start: string, granularity: Granularity): string {
  switch (granularity) {
    case 'day':
      return addDays(start, 1);
    case 'week':
      return addDays(start, 7);
    case 'month':
      return addMonths(start, 1);
    case 'year':
      return `${Number(start.slice(0, 4)) + 1}-01-01`;
  }
}

/** Every period touching [from, to], in order: what zero-filling walks over. */
export function periodsBetween(from: string, to: string, granularity: Granularity): string[] {
  const periods: string[] = [];
  for (let start = periodStart(from, granularity); start <= to; start = nextPeriodStart(start, granularity)) {
    periods.push(start);
  }
  return periods;
}

/** `YYYY-MM` → its first and last day. */
export function monthBounds(month: string): { from: string; to: string } {
  const from = `${month}-01`;
  return { from, to: addDays(addMonths(from, 1), -1) };
}

/** Today's calendar date for someone in `timezone` at `instant`. */
export function localDate(instant: Date, timezone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone: timezone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).formatToParts(instant);
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return `${part('year')}-${part('month')}-${part('day')}`;
}

export function isValidTimezone(timezone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: timezone });
    return true;
  } catch {
    return false;
  }
}

/** A real calendar date (rejects 2025-02-30). */
export function isCalendarDate(text: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text) || text.startsWith('0000')) return false; // PostgreSQL has no year 0
  const date = toUtc(text);
  // A month 13 makes an Invalid Date, whose toISOString throws: check before formatting it.
  return !Number.isNaN(date.getTime()) && iso(date) === text;
}
