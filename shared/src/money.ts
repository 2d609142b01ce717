import { z } from 'zod';

import { readFileSync } from 'node:fs';
import * as iso4217 from 'currency-codes';

/**
 * ISO 4217 from the `currency-codes` package (ISO's list one, kept up to date by its authors):
 * the codes, names and minor-unit digits. Money never touches floating point: amounts travel as
 * decimal strings and are stored as integer minor units (bigint); the digits say where the point goes.
 */
export interface CurrencyInfo {
  code: string;
  name: string;
  minorDigits: number;
  /** Withdrawn from ISO 4217: readable where it is stored, not accepted for anything new. */
  historic: boolean;
}

/**
 * Codes ISO lists with "N.A." minor units (gold, bond units, XDR, the testing code, XXX): not
 * money an account holds. The package flattens N.A. to 0 digits, so they are read from the ISO
 * file it ships.
 */
function codesWithoutMinorUnits(): Set<string> {
  const xml = readFileSync(require.resolve('currency-codes/iso-4217-list-one.xml'), 'utf8');
  const codes = new Set<string>();
  for (const m of xml.matchAll(
    /<Ccy>([A-Z]{3})<\/Ccy>\s*<CcyNbr>\d*<\/CcyNbr>\s*<CcyMnrUnts>N\.A\.<\/CcyMnrUnts>/g,
  ))
    codes.add(m[1]);
  return codes;
}

/**
 * Codes accepted before the package replaced our own table that its list does not carry (SLL and
 * ZWL were withdrawn; XCG is newer than the package's data): stored amounts in them stay readable,
 * nothing new may use them.
 */
const NOT_IN_PACKAGE: readonly CurrencyInfo[] = [
  { code: 'SLL', name: 'Leone (old)', minorDigits: 2, historic: true },
  { code: 'ZWL', name: 'Zimbabwe Dollar', minorDigits: 2, historic: true },
  { code: 'XCG', name: 'Caribbean Guilder', minorDigits: 2, historic: true },
];

const CURRENCIES: ReadonlyMap<string, CurrencyInfo> = (() => {
  const excluded = codesWithoutMinorUnits();
  const map = new Map<string, CurrencyInfo>();
  for (const record of iso4217.data)
    if (!excluded.has(record.code))
      map.set(record.code, {
        code: record.code,
        name: record.currency,
        minorDigits: record.digits,
        historic: false,
      });
  for (const info of NOT_IN_PACKAGE) if (!map.has(info.code)) map.set(info.code, info);
  return map;
})();

/** The currencies, current and historic, sorted by code. */
export function listCurrencies(): CurrencyInfo[] {
  return [...CURRENCIES.values()].sort((a, b) => a.code.localeCompare(b.code));
}

export function currencyInfo(code: string): CurrencyInfo | undefined {
  return CURRENCIES.get(code);
}

/** Minor-unit digits of every known currency, current and historic. */
export const CURRENCY_MINOR_DIGITS: Readonly<Record<string, number>> = Object.freeze(
  Object.fromEntries([...CURRENCIES.values()].map((c) => [c.code, c.minorDigits])),
);

export class MoneyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MoneyError';
  }
}

/** Known to ISO 4217, current or historic: stored amounts in it can be read. */
export function isCurrency(code: string): boolean {
  return CURRENCIES.has(code);
}

/** A current ISO 4217 currency: what new accounts, transactions and base currencies may use. */
export function isActiveCurrency(code: string): boolean {
  return CURRENCIES.get(code)?.historic === false;
}

export function minorDigits(currency: string): number {
  const digits = CURRENCY_MINOR_DIGITS[currency];
  if (digits === undefined) throw new MoneyError(`Unknown currency ${currency}`);
  return digits;
}

const DECIMAL = /^(-)?(\d+)(?:\.(\d+))?$/;

/** "12.34" USD → 1234n. Rejects more decimals than the currency has (JPY "1.5" is an error). */
export function toMinorUnits(amount: string, currency: string): bigint {
  const digits = minorDigits(currency);
  const match = DECIMAL.exec(amount.trim());
  if (!match) throw new MoneyError(`"${amount}" is not a decimal number`);
  const [, sign, whole, fraction = ''] = match;
  const significant = fraction.replace(/0+$/, '');
  if (significant.length > digits) {
    throw new MoneyError(
      digits === 0
        ? `${currency} amounts have no decimal places`
        : `${currency} amounts have at most ${digits} decimal places`,
    );
  }
  const minor = BigInt(whole + significant.padEnd(digits, '0'));
  return sign ? -minor : minor;
}

/** The largest amount a PostgreSQL bigint column holds, in minor units. */
export const MAX_STORABLE_MINOR_UNITS = 9_223_372_036_854_775_807n;

/**
 * {@link toMinorUnits} for an amount that is stored as a bigint: one that does not fit is a
 * MoneyError too (15 integer digits pass every currency's shape, but with 4 minor digits, CLF,
 * they overflow a bigint: refused here rather than failing an INSERT with a 500).
 */
export function toStorableMinorUnits(amount: string, currency: string): bigint {
  const minor = toMinorUnits(amount, currency);
  if (minor > MAX_STORABLE_MINOR_UNITS || minor < -MAX_STORABLE_MINOR_UNITS)
    throw new MoneyError(`Too large for ${currency}`);
  return minor;
}

/** 1234n USD → "12.34"; -5n USD → "-0.05"; 1200n JPY → "1200". */
export function formatMinorUnits(minor: bigint | string | number, currency: string): string {
  const value = BigInt(minor);
  const digits = minorDigits(currency);
  const negative = value < 0n;
  const text = (negative ? -value : value).toString();
  if (digits === 0) return (negative ? '-' : '') + text;
  const padded = text.padStart(digits + 1, '0');
  return `${negative ? '-' : ''}${padded.slice(0, -digits)}.${padded.slice(-digits)}`;
}

/** Integer division rounding half to even (banker's rounding), for any signs. */
export function divideHalfEven(numerator: bigint, denominator: bigint): bigint {
  if (denominator === 0n) throw new MoneyError('Division by zero');
  if (denominator < 0n) return divideHalfEven(-numerator, -denominator);
  const quotient = numerator / denominator; // truncates toward zero
  const remainder = numerator % denominator;
  if (remainder === 0n) return quotient;
  const twice = 2n * (remainder < 0n ? -remainder : remainder);
  const awayFromZero = numerator < 0n ? quotient - 1n : quotient + 1n;
  if (twice > denominator) return awayFromZero;
  if (twice < denominator) return quotient;
  return quotient % 2n === 0n ? quotient : awayFromZero;
}

/** A decimal string as an exact fraction: "1.2345" → { value: 12345n, scale: 10000n }. */
export function parseDecimal(text: string): { value: bigint; scale: bigint } {
  const match = DECIMAL.exec(text.trim());
  if (!match) throw new MoneyError(`"${text}" is not a decimal number`);
  const [, sign, whole, fraction = ''] = match;
  const value = BigInt(whole + fraction);
  return { value: sign ? -value : value, scale: 10n ** BigInt(fraction.length) };
}

/** An exact exchange rate as a fraction (units of the quote per unit of the base): no precision lost on a cross rate. */
export interface RateRatio {
  numerator: bigint;
  denominator: bigint;
}

/** "1.0843" → 10843/10000. */
export function rateRatio(rate: string): RateRatio {
  const { value, scale } = parseDecimal(rate);
  if (value <= 0n) throw new MoneyError('An exchange rate must be positive');
  return { numerator: value, denominator: scale };
}

/**
 * Converts minor units between currencies at an exact rate (units of `to` per unit of `from`),
 * rounding half-even once, at the end, to `to`'s minor units.
 */
export function convertMinorUnitsAt(minor: bigint, from: string, to: string, rate: RateRatio): bigint {
  if (rate.numerator <= 0n || rate.denominator <= 0n)
    throw new MoneyError('An exchange rate must be positive');
  const fromScale = 10n ** BigInt(minorDigits(from));
  const toScale = 10n ** BigInt(minorDigits(to));
  return divideHalfEven(minor * rate.numerator * toScale, rate.denominator * fromScale);
}

/**
 * Converts minor units between currencies at a decimal rate (units of `to` per unit of `from`),
 * rounding half-even once at the end: e.g. 1000n JPY at "0.0067" → 670n USD.
 */
export function convertMinorUnits(minor: bigint, from: string, to: string, rate: string): bigint {
  return convertMinorUnitsAt(minor, from, to, rateRatio(rate));
}

/**
 * Splits `total` minor units over parts in proportion to non-negative `weights`, exactly: each part
 * first gets floor(total × weight / Σweights), then the units still missing go one each to the parts
 * with the largest remainders (ties: the earlier part). The result sums to `total`, and a part of
 * weight 0 gets 0. (Largest-remainder, the Hamilton method; a split transaction's base amounts.)
 */
export function allocateProportionally(total: bigint, weights: readonly bigint[]): bigint[] {
  if (weights.some((w) => w < 0n)) throw new MoneyError('Weights must not be negative');
  const sum = weights.reduce((a, w) => a + w, 0n);
  if (sum === 0n) {
    if (total !== 0n) throw new MoneyError('Cannot allocate over weights that sum to zero');
    return weights.map(() => 0n);
  }
  const negative = total < 0n;
  const magnitude = negative ? -total : total;
  const shares = weights.map((w) => (magnitude * w) / sum);
  const remainders = weights.map((w, index) => ({ index, rest: (magnitude * w) % sum }));
  let missing = magnitude - shares.reduce((a, s) => a + s, 0n);
  remainders.sort((a, b) => (a.rest === b.rest ? a.index - b.index : a.rest > b.rest ? -1 : 1));
  for (const { index } of remainders) {
    if (missing === 0n) break;
    shares[index] += 1n;
    missing -= 1n;
  }
  return negative ? shares.map((s) => -s) : shares;
}

/** Exact percentage `part / whole * 100` as a decimal string with `places` digits (half-even). */
export function percentOf(part: bigint, whole: bigint, places = 2): string {
  if (whole === 0n) return (0).toFixed(places);
  const scaled = divideHalfEven(part * 100n * 10n ** BigInt(places), whole);
  const negative = scaled < 0n;
  const text = (negative ? -scaled : scaled).toString().padStart(places + 1, '0');
  return `${negative ? '-' : ''}${places ? `${text.slice(0, -places)}.${text.slice(-places)}` : text}`;
}

/** A current ISO 4217 code, upper-cased; a withdrawn one is refused with its own message. */
export const currencyCode = z
  .string()
  .transform((s) => s.toUpperCase())
  .superRefine((code, ctx) => {
    if (isActiveCurrency(code)) return;
    ctx.addIssue({
      code: 'custom',
      message: isCurrency(code)
        ? `${code} is a withdrawn currency and is not accepted for anything new`
        : 'Unknown ISO 4217 currency code',
    });
  })
  .meta({ description: 'ISO 4217 currency code', example: 'EUR' });

/**
 * A money amount in a request: a decimal string ("12.34") or a JSON number (12.34, read by its
 * shortest decimal spelling, never through arithmetic). Out: a normalised decimal string.
 * Whether the decimals fit the currency is checked where the currency is known (toMinorUnits).
 */
export const decimalAmount = z
  .union([z.string(), z.number()])
  .transform((value, ctx) => {
    const text = typeof value === 'number' ? numberToDecimalString(value) : value.trim();
    if (text === undefined || !/^-?\d{1,15}(\.\d{1,8})?$/.test(text)) {
      ctx.addIssue({
        code: 'custom',
        message: 'Must be a decimal number like "12.34" (at most 15 integer and 8 decimal digits)',
      });
      return z.NEVER;
    }
    return text;
  })
  .meta({ description: 'Decimal amount as a string, e.g. "12.34"', example: '12.34' });

/** A strictly positive {@link decimalAmount}. */
export const positiveAmount = decimalAmount.refine((s) => !s.startsWith('-') && /[1-9]/.test(s), {
  message: 'Must be greater than 0',
});

function numberToDecimalString(value: number): string | undefined {
  if (!Number.isFinite(value)) return undefined;
  const text = String(value);
  // Exponent forms (1e-7, 1e21) are outside what money needs; reject them rather than guess.
  return /e/i.test(text) ? undefined : text;
}
