/**
 * The date formats a bank CSV may use, each read strictly into `YYYY-MM-DD` (calendar-valid only:
 * no 31 April, 29 February only in leap years). Detection picks the one format that reads the
 * most of a sample; a tie (every `01/02/2026` fits both day-first and month-first) is ambiguous.
 */

export const DATE_FORMATS = [
  'yyyy-mm-dd',
  'dd/mm/yyyy',
  'mm/dd/yyyy',
  'dd.mm.yyyy',
  'dd-mm-yyyy',
  'yyyymmdd',
  'd/m/yy',
  'm/d/yy',
] as const;
export type DateFormat = (typeof DATE_FORMATS)[number];

type Parts = [year: string, month: string, day: string];

/** Each format's pattern and where its year, month and day are. `yyyy-mm-dd` allows a time after it. */
const PATTERNS: Record<DateFormat, { pattern: RegExp; parts: (m: RegExpExecArray) => Parts }> = {
  'yyyy-mm-dd': {
    pattern: /^(\d{4})-(\d{2})-(\d{2})(?:[T ]\d{2}:\d{2}.*)?$/,
    parts: (m) => [m[1], m[2], m[3]],
  },
  'dd/mm/yyyy': { pattern: /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/, parts: (m) => [m[3], m[2], m[1]] },
  'mm/dd/yyyy': { pattern: /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/, parts: (m) => [m[3], m[1], m[2]] },
  'dd.mm.yyyy': { pattern: /^(\d{1,2})\.(\d{1,2})\.(\d{4})$/, parts: (m) => [m[3], m[2], m[1]] },
  'dd-mm-yyyy': { pattern: /^(\d{1,2})-(\d{1,2})-(\d{4})$/, parts: (m) => [m[3], m[2], m[1]] },
  yyyymmdd: { pattern: /^(\d{4})(\d{2})(\d{2})$/, parts: (m) => [m[1], m[2], m[3]] },
  'd/m/yy': { pattern: /^(\d{1,2})\/(\d{1,2})\/(\d{2})$/, parts: (m) => [fullYear(m[3]), m[2], m[1]] },
  'm/d/yy': { pattern: /^(\d{1,2})\/(\d{1,2})\/(\d{2})$/, parts: (m) => [fullYear(m[3]), m[1], m[2]] },
};

/** Two-digit years as POSIX strptime's %y: 69–99 → 19xx, 00–68 → 20xx. */
function fullYear(yy: string): string {
  return `${Number(yy) >= 69 ? '19' : '20'}${yy}`;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** A calendar date as `YYYY-MM-DD`, or `null` when the parts do not name a real day. */
export function calendarDate(year: string, month: string, day: string): string | null {
  const y = Number(year);
  const m = Number(month);
  const d = Number(day);
  if (y < 1 || m < 1 || m > 12 || d < 1) return null;
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  if (d > (m === 2 && leap ? 29 : DAYS_IN_MONTH[m - 1])) return null;
  return `${year.padStart(4, '0')}-${month.padStart(2, '0')}-${day.padStart(2, '0')}`;
}

/** The cell read in `format` as `YYYY-MM-DD`, or `null` when it is not a real date in that format. */
export function readDate(cell: string, format: DateFormat): string | null {
  const { pattern, parts } = PATTERNS[format];
  const match = pattern.exec(cell.trim());
  return match === null ? null : calendarDate(...parts(match));
}

export type DateDetection =
  { format: DateFormat } | { format: null; candidates: DateFormat[] } | { format: null; candidates: [] };

/**
 * The format that reads the most of `samples` (non-empty cells). Several formats reading the
 * same most → ambiguous (`candidates`); none reading any → `candidates: []`.
 */
export function detectDateFormat(samples: readonly string[]): DateDetection {
  let best: DateFormat[] = [];
  let bestCount = 0;
  for (const format of DATE_FORMATS) {
    const count = samples.filter((cell) => readDate(cell, format) !== null).length;
    if (count > bestCount) [best, bestCount] = [[format], count];
    else if (count === bestCount && count > 0) best.push(format);
  }
  if (best.length === 1) return { format: best[0] };
  return { format: null, candidates: best };
}
