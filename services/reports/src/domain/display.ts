import { formatMinorUnits, localDate } from '@finance/shared';

/** 1234567n USD → "1,234,567.00": exact, with thousands separators for people to read. */
export function displayAmount(minor: bigint, currency: string): string {
  const text = formatMinorUnits(minor, currency);
  const negative = text.startsWith('-');
  const [whole, fraction] = (negative ? text.slice(1) : text).split('.');
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${negative ? '−' : ''}${grouped}${fraction === undefined ? '' : `.${fraction}`}`;
}

/** Short axis labels: 1250000n (USD) → "12.5k". Proportional display only. */
export function compactAmount(minor: bigint, currency: string): string {
  const whole = Number(formatMinorUnits(minor, currency));
  if (Math.abs(whole) >= 1_000_000) return `${trim(whole / 1_000_000)}M`;
  if (Math.abs(whole) >= 1_000) return `${trim(whole / 1_000)}k`;
  return trim(whole);
}

function trim(value: number): string {
  return String(Math.round(value * 10) / 10);
}

/** "2026-02" → "February 2026". */
export function monthName(month: string): string {
  return new Intl.DateTimeFormat('en-GB', { month: 'long', year: 'numeric', timeZone: 'UTC' }).format(
    new Date(`${month}-01T00:00:00Z`),
  );
}

/** "2026-02-14" → "14 Feb". */
export function shortDate(date: string): string {
  return new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', timeZone: 'UTC' }).format(
    new Date(`${date}T00:00:00Z`),
  );
}

/** "1 March 2026": the day `now` is in the user's timezone (the shared calendar's: an unknown zone reads as UTC). */
export function generatedOn(now: Date, timezone: string): string {
  return new Intl.DateTimeFormat('en-GB', {
    day: 'numeric',
    month: 'long',
    year: 'numeric',
    timeZone: 'UTC',
  }).format(new Date(`${localDate(now, timezone)}T00:00:00Z`));
}
