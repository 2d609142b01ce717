/**
 * Amounts as banks write them (`1.234,56`, `1,234.56`, `1 234,56`, `-110.70`, `(12.00)`,
 * `12.00-`, `€ 1.000,-`, `EUR 12,50`) → a signed decimal string (`-1234.56`), by string rules
 * only: no floating point ever touches an amount.
 */

export type DecimalSeparator = '.' | ',';

/** Integer digits beyond this are refused (no real statement line is a quadrillion). */
const MAX_INTEGER_DIGITS = 15;
const MAX_FRACTION_DIGITS = 8;

/** Spaces a spreadsheet or bank puts between digit groups: space, NBSP, narrow NBSP, thin space. */
const SPACES = /[\s\u00a0\u202f\u2009]+/g;
/** A currency symbol (\p{Sc}: € $ £ ¥ ₹ …) or an ISO 4217-like code at either end. */
const LEADING_CURRENCY = /^(?:\p{Sc}|[A-Z]{3}(?![A-Za-z]))\s*/u;
const TRAILING_CURRENCY = /\s*(?:\p{Sc}|(?<![A-Za-z])[A-Z]{3})$/u;
const CODE = /^[A-Z]{3}$/;

export interface Amount {
  /** Signed decimal, `.` separator, no grouping, no leading zeros, never `-0`. */
  value: string;
  /** The ISO code written with the amount (`EUR 12,50`), if any. */
  currency: string | null;
}

interface Stripped {
  negative: boolean;
  number: string;
  currency: string | null;
}

/** Sign and currency off the cell: `-€ 12`, `€ -12`, `(12.00)`, `12.00-`, `12 EUR`, `−12` (U+2212). */
function strip(cell: string): Stripped | null {
  let text = cell.trim().replace(/\u2212/g, '-');
  let negative = false;
  let currency: string | null = null;
  let signs = 0;
  const takeCurrency = () => {
    for (const edge of [LEADING_CURRENCY, TRAILING_CURRENCY]) {
      const match = edge.exec(text);
      if (match === null) continue;
      const code = match[0].trim();
      if (CODE.test(code)) currency = code;
      text = (edge === LEADING_CURRENCY ? text.slice(match[0].length) : text.slice(0, match.index)).trim();
    }
  };
  takeCurrency();
  if (text.startsWith('(') && text.endsWith(')')) {
    negative = true;
    signs++;
    text = text.slice(1, -1).trim();
    takeCurrency();
  }
  if (text.startsWith('-') || text.startsWith('+')) {
    negative = negative || text[0] === '-';
    signs++;
    text = text.slice(1).trim();
    takeCurrency();
  }
  // `12.00-` (a trailing minus), but not `1.000,-` (a dash for zero cents).
  if (/\d-$/.test(text)) {
    negative = true;
    signs++;
    text = text.slice(0, -1).trim();
  }
  if (signs > 1 || text === '') return null;
  return { negative, number: text.replace(SPACES, ' '), currency };
}

/**
 * What one cell says about the decimal separator: `,` or `.` when it can only be that, `null`
 * when it has no separator, `'either'` when it fits both (`1,234`: 1234 or 1.234), `'invalid'`
 * when it is no amount at all.
 */
export function separatorEvidence(cell: string): DecimalSeparator | null | 'either' | 'invalid' {
  const stripped = strip(cell);
  if (stripped === null) return 'invalid';
  const number = stripped.number;
  if (/^\d+$/.test(number)) return null;
  const fits = (['.', ','] as const).filter((separator) => readNumber(number, separator) !== null);
  if (fits.length === 2) return 'either';
  return fits.length === 1 ? fits[0] : 'invalid';
}

/**
 * The decimal separator the cells agree on: `.` or `,` when some cell decides it and none
 * contradicts; `'conflict'` when cells decide both ways; `'ambiguous'` when only `1,234`-like
 * cells exist; `.` when no cell has a separator at all.
 */
export function detectDecimalSeparator(
  cells: readonly string[],
): DecimalSeparator | 'ambiguous' | 'conflict' {
  const decided = new Set<DecimalSeparator>();
  let either = false;
  for (const cell of cells) {
    const evidence = separatorEvidence(cell);
    if (evidence === '.' || evidence === ',') decided.add(evidence);
    else if (evidence === 'either') either = true;
  }
  if (decided.size === 2) return 'conflict';
  if (decided.size === 1) return [...decided][0];
  return either ? 'ambiguous' : '.';
}

/**
 * Digit groups of three after a first group of 1–3, one grouping character used throughout (the
 * other separator, a space or an apostrophe), or no grouping; then an optional fraction, which
 * may be `-` (`1.000,-`: no cents). `,50` (no integer part) is 0.50.
 */
const NUMBER_PATTERNS: Record<DecimalSeparator, RegExp> = {
  ',': /^(?:(\d{1,3}(?:([. '])\d{3}(?:\2\d{3})*))|(\d*))(?:,(\d+|-))?$/,
  '.': /^(?:(\d{1,3}(?:([, '])\d{3}(?:\2\d{3})*))|(\d*))(?:\.(\d+|-))?$/,
};

/** `1.234,56` with `,` → `{ integer: '1234', fraction: '56' }`; `null` when it is not that form. */
function readNumber(number: string, decimal: DecimalSeparator): { integer: string; fraction: string } | null {
  const pattern = NUMBER_PATTERNS[decimal];
  const match = pattern.exec(number);
  if (match === null) return null;
  const integer = (match[1] ?? match[3] ?? '').replace(/[^\d]/g, '');
  const fraction = match[4] === undefined || match[4] === '-' ? '' : match[4];
  if (integer === '' && fraction === '') return null;
  if (match[4] === '-' && integer === '') return null;
  return { integer, fraction };
}

export type AmountResult = { ok: true; amount: Amount } | { ok: false; reason: string };

/** The cell as a signed decimal, its decimal separator known. */
/** The common cell (`-110.70`, `12,5`): no currency, grouping or odd sign; read without the general rules. */
const PLAIN: Record<DecimalSeparator, RegExp> = {
  '.': /^(-?)(0|[1-9]\d{0,14})(?:\.(\d{1,8}))?$/,
  ',': /^(-?)(0|[1-9]\d{0,14})(?:,(\d{1,8}))?$/,
};

export function readAmount(cell: string, decimal: DecimalSeparator): AmountResult {
  const plain = PLAIN[decimal].exec(cell);
  if (plain !== null) {
    const value = plain[3] === undefined ? plain[2] : `${plain[2]}.${plain[3]}`;
    const negative = plain[1] === '-' && !/^[0.]*$/.test(value);
    return { ok: true, amount: { value: negative ? `-${value}` : value, currency: null } };
  }
  const quoted = JSON.stringify(cell.trim());
  const stripped = strip(cell);
  const parts = stripped === null ? null : readNumber(stripped.number, decimal);
  if (stripped === null || parts === null)
    return { ok: false, reason: `${quoted} is not an amount (decimal separator "${decimal}")` };
  const integer = parts.integer.replace(/^0+(?=\d)/, '') || '0';
  if (integer.length > MAX_INTEGER_DIGITS || parts.fraction.length > MAX_FRACTION_DIGITS)
    return { ok: false, reason: `${quoted} has too many digits` };
  const value = parts.fraction === '' ? integer : `${integer}.${parts.fraction}`;
  const zero = /^[0.]*$/.test(value);
  return {
    ok: true,
    amount: { value: stripped.negative && !zero ? `-${value}` : value, currency: stripped.currency },
  };
}

/** The absolute value of a signed decimal string. */
export function absolute(value: string): string {
  return value.startsWith('-') ? value.slice(1) : value;
}

/** The decimal negated (`0` stays `0`). */
export function negate(value: string): string {
  if (value.startsWith('-')) return value.slice(1);
  return /^[0.]*$/.test(value) ? value : `-${value}`;
}

/** True for a zero amount (`0`, `0.00`). */
export function isZero(value: string): boolean {
  return /^-?[0.]*$/.test(value);
}
