import {
  addDays,
  convertMinorUnitsAt,
  divideHalfEven,
  rateRatio,
  weekdayOf,
  type RateRatio,
} from '@finance/shared';

/** A stored rate: `rate` units of `quote` per unit of `base`, on `date`. */
export interface StoredRate {
  base: string;
  quote: string;
  date: string;
  /** Exact decimal string, as stored. */
  rate: string;
  source: string;
}

/** A rate from one currency to another, exact, and the day it is of. */
export interface FxQuote {
  from: string;
  to: string;
  ratio: RateRatio;
  /** The rate's date: the latest on or before the day asked for. */
  date: string;
}

function gcd(a: bigint, b: bigint): bigint {
  while (b) [a, b] = [b, a % b];
  return a;
}

function reduced(numerator: bigint, denominator: bigint): RateRatio {
  const g = gcd(numerator, denominator);
  return { numerator: numerator / g, denominator: denominator / g };
}

export function identityQuote(currency: string, date: string): FxQuote {
  return { from: currency, to: currency, ratio: { numerator: 1n, denominator: 1n }, date };
}

/** `from`→`to` from a stored row in either direction (an inverse is exact as a fraction). */
export function quoteFromRow(from: string, to: string, row: StoredRate): FxQuote {
  const { numerator, denominator } = rateRatio(row.rate);
  const ratio = row.base === from ? reduced(numerator, denominator) : reduced(denominator, numerator);
  return { from, to, ratio, date: row.date };
}

/**
 * A cross rate through a common base H, exact: (H→to) / (H→from). Both legs are of one day.
 */
export function crossQuote(
  from: string,
  to: string,
  hubToFrom: string,
  hubToTo: string,
  date: string,
): FxQuote {
  const a = rateRatio(hubToFrom);
  const b = rateRatio(hubToTo);
  return { from, to, ratio: reduced(b.numerator * a.denominator, b.denominator * a.numerator), date };
}

/** Minor units of `quote.from` in `quote.to`, half-even once at the end. */
export function convertWith(quote: FxQuote, minor: bigint): bigint {
  return convertMinorUnitsAt(minor, quote.from, quote.to, quote.ratio);
}

/** Decimal places a rate is shown and recorded with (the conversion itself uses the exact ratio). */
export const RATE_DISPLAY_PLACES = 12;

/** The ratio as a decimal string, half-even to {@link RATE_DISPLAY_PLACES}, trailing zeros dropped. */
export function formatRate(ratio: RateRatio, places = RATE_DISPLAY_PLACES): string {
  const scaled = divideHalfEven(ratio.numerator * 10n ** BigInt(places), ratio.denominator);
  const text = scaled.toString().padStart(places + 1, '0');
  const whole = text.slice(0, -places);
  const fraction = text.slice(-places).replace(/0+$/, '');
  return fraction ? `${whole}.${fraction}` : whole;
}

/** A stored rate more than this many times off the previous one is taken for a broken answer. */
export const MAX_RATE_JUMP = 100n;

/**
 * Why a rate from the provider must not be stored, or undefined when it is plausible: it is
 * positive, and within {@link MAX_RATE_JUMP}× of the rate stored before it for the same pair.
 */
export function implausibleRate(rate: string, previous: string | undefined): string | undefined {
  let next: RateRatio;
  try {
    next = rateRatio(rate);
  } catch {
    return `rate ${rate} is not a positive decimal`;
  }
  if (previous === undefined) return undefined;
  const before = rateRatio(previous);
  // next/before > 100 ⇔ next.n·before.d > 100·next.d·before.n (all positive).
  const left = next.numerator * before.denominator;
  const right = next.denominator * before.numerator;
  if (left > MAX_RATE_JUMP * right || right > MAX_RATE_JUMP * left)
    return `rate ${rate} is more than ${MAX_RATE_JUMP}× away from the stored ${previous}`;
  return undefined;
}

/** The problem text when no rate exists: "no EUR→JPY rate on or before 2026-01-03". */
export function noRateMessage(from: string, to: string, date: string): string {
  return `no ${from}→${to} rate on or before ${date}`;
}

/**
 * Whether a rate of `rateDate` is the one for `date` for good: it is of that very day, or only a
 * weekend lies between (the ECB publishes on working days: Friday's is Sunday's rate).
 */
export function isFinalQuote(rateDate: string, date: string): boolean {
  if (rateDate >= date) return true;
  for (let day = addDays(rateDate, 1); day <= date; day = addDays(day, 1))
    if (weekdayOf(day) < 5) return false;
  return true;
}
