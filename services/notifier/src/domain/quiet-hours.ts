import { isValidTimezone } from '@finance/shared';
import type { QuietHours } from './preferences';

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MINUTES = 24 * 60;

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-GB', {
      timeZone,
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** The local wall-clock minute of the day (0–1439) at `instant` in `timeZone` (unknown zone: UTC). */
export function localMinuteOfDay(instant: Date, timeZone: string): number {
  const zone = isValidTimezone(timeZone) ? timeZone : 'UTC';
  const parts = formatterFor(zone).formatToParts(instant);
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  return get('hour') * 60 + get('minute');
}

/** Whether a local minute of the day lies in the quiet hours (`start` inclusive, `end` exclusive). */
export function isQuietMinute(minute: number, quiet: QuietHours): boolean {
  if (quiet.start === quiet.end) return false;
  return quiet.start < quiet.end
    ? minute >= quiet.start && minute < quiet.end
    : minute >= quiet.start || minute < quiet.end;
}

/**
 * When the quiet hours that `now` falls in end (the first instant whose local time is out of
 * them), or null when `now` is not in quiet hours. Daylight-saving changes are handled: the
 * wall-clock end is found, and an end time a spring-forward skips ends the quiet hours at the jump.
 */
export function quietHoursEnd(now: Date, timeZone: string, quiet: QuietHours | null): Date | null {
  if (!quiet) return null;
  const local = localMinuteOfDay(now, timeZone);
  if (!isQuietMinute(local, quiet)) return null;
  // Ignoring daylight saving, the end is this far ahead; a change moves it by at most a couple of hours.
  const naiveMinutes = (quiet.end - local + DAY_MINUTES) % DAY_MINUTES;
  const wholeMinute = Math.floor(now.getTime() / MINUTE_MS) * MINUTE_MS;
  const naiveEnd = wholeMinute + naiveMinutes * MINUTE_MS;
  // Walk whole minutes from a little before it (never before now) to the first one out of quiet hours.
  let t = Math.max(wholeMinute + MINUTE_MS, naiveEnd - 2 * HOUR_MS);
  const limit = naiveEnd + 3 * HOUR_MS;
  for (; t <= limit; t += MINUTE_MS) {
    if (!isQuietMinute(localMinuteOfDay(new Date(t), timeZone), quiet)) return new Date(t);
  }
  return new Date(naiveEnd);
}
