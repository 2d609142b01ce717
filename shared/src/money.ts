import { z } from 'zod';

/**
 * ISO 4217 minor-unit digits. Money never touches floating point: amounts travel as decimal
 * strings and are stored as integer minor units (bigint); this table says where the point goes.
 */
const NON_TWO_DIGIT: Record<string, number> = {
  BIF: 0,
  CLP: 0,
  DJF: 0,
  GNF: 0,
  ISK: 0,
  JPY: 0,
  KMF: 0,
  KRW: 0,
  PYG: 0,
  RWF: 0,
  UGX: 0,
  UYI: 0,
  VND: 0,
  VUV: 0,
  XAF: 0,
  XOF: 0,
  XPF: 0,
  BHD: 3,
  IQD: 3,
  JOD: 3,
  KWD: 3,
  LYD: 3,
  OMR: 3,
  TND: 3,
  CLF: 4,
  UYW: 4,
};
const TWO_DIGIT = (
  'AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN BWP BYN BZD CAD CDF ' +
  'CHE CHF CHW CNY COP COU CRC CUC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GTQ ' +
  'GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK ' +
  'MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB ' +
  'SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD ' +
  'USN UYU UZS VED VES WST XCD XCG YER ZAR ZMW ZWG ZWL'
).split(' ');

export const CURRENCY_MINOR_DIGITS: Readonly<Record<string, number>> = Object.freeze({
  ...Object.fromEntries(TWO_DIGIT.map((code) => [code, 2])),
  ...NON_TWO_DIGIT,
});

export class MoneyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MoneyError';
  }
}

export function isCurrency(code: string): boolean {
  return Object.prototype.hasOwnProperty.call(CURRENCY_MINOR_DIGITS, code);
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

/**
 * Converts minor units between currencies at a decimal rate (units of `to` per unit of `from`),
 * rounding half-even once at the end: e.g. 1000n JPY at "0.0067" → 670n USD.
 */
export function convertMinorUnits(minor: bigint, from: string, to: string, rate: string): bigint {
  const { value, scale } = parseDecimal(rate);
  if (value <= 0n) throw new MoneyError('An exchange rate must be positive');
  const fromScale = 10n ** BigInt(minorDigits(from));
  const toScale = 10n ** BigInt(minorDigits(to));
  return divideHalfEven(minor * value * toScale, scale * fromScale);
}

/** Exact percentage `part / whole * 100` as a decimal string with `places` digits (half-even). */
export function percentOf(part: bigint, whole: bigint, places = 2): string {
  if (whole === 0n) return (0).toFixed(places);
  const scaled = divideHalfEven(part * 100n * 10n ** BigInt(places), whole);
  const negative = scaled < 0n;
  const text = (negative ? -scaled : scaled).toString().padStart(places + 1, '0');
  return `${negative ? '-' : ''}${places ? `${text.slice(0, -places)}.${text.slice(-places)}` : text}`;
}

/** ISO 4217 code, upper-case, known to the table. */
export const currencyCode = z
  .string()
  .transform((s) => s.toUpperCase())
  .refine(isCurrency, { message: 'Unknown ISO 4217 currency code' })
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
