import { stringify, type Options } from 'csv-stringify/sync';

/**
 * The CSV this service exports and the ledger's import accepts: RFC 4180 (written by
 * csv-stringify), UTF-8, CRLF line ends, a header row, ISO dates, `.` decimals. Two cell rules
 * make it safe to open in a spreadsheet and exact to read back; README.md states both, and
 * the import must undo exactly them (restoreCell, decodeTags).
 */
export const CSV_COLUMNS = [
  'date',
  'transaction_type',
  'amount',
  'currency',
  'account',
  'to_account',
  'category',
  'description',
  'payee',
  'notes',
  'tags',
] as const;

export type CsvColumn = (typeof CSV_COLUMNS)[number];
export type CsvRecord = Record<CsvColumn, string>;

/** Columns holding a number: written as the number, never neutralised (a negative stays negative). */
const NUMBER_COLUMNS: ReadonlySet<CsvColumn> = new Set(['amount']);
const NUMBER = /^-?\d+(\.\d+)?$/;

/**
 * First characters that make a spreadsheet read a cell as a formula (OWASP "CSV Injection":
 * = + - @ tab CR, and their full-width forms, which some spreadsheets normalise), plus the
 * apostrophe itself: so that "strip one leading apostrophe" undoes the rule exactly, a cell that
 * already starts with one gets another.
 */
const NEEDS_APOSTROPHE = /^[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20']/;

/** Formula neutralisation (OWASP): a text cell starting with a trigger character gets a leading `'`. */
export function neutraliseCell(text: string): string {
  return NEEDS_APOSTROPHE.test(text) ? `'${text}` : text;
}

/** The import's half of {@link neutraliseCell}: a text cell starting with `'` loses that one `'`. */
export function restoreCell(cell: string): string {
  return cell.startsWith("'") ? cell.slice(1) : cell;
}

/**
 * Tags as one cell: empty for none, else a JSON array of strings (`["coffee","b;c"]`), which no
 * tag text can make ambiguous (a `;` or `,` or quote in a tag stays inside its string).
 */
export function encodeTags(tags: readonly string[]): string {
  return tags.length === 0 ? '' : JSON.stringify(tags);
}

/** The import's reading of a tags cell; throws on anything that is not empty or a JSON array of strings. */
export function decodeTags(cell: string): string[] {
  if (cell === '') return [];
  let value: unknown;
  try {
    value = JSON.parse(cell);
  } catch {
    throw new SyntaxError('tags must be empty or a JSON array of strings');
  }
  if (!Array.isArray(value) || !value.every((tag) => typeof tag === 'string'))
    throw new SyntaxError('tags must be empty or a JSON array of strings');
  return value;
}

/** A record's cells in column order, each text cell neutralised; an amount must be a plain number. */
export function csvCells(record: CsvRecord): string[] {
  return CSV_COLUMNS.map((column) => {
    const value = record[column];
    if (!NUMBER_COLUMNS.has(column)) return neutraliseCell(value);
    if (!NUMBER.test(value))
      throw new RangeError(`${column} must be a decimal number, not ${JSON.stringify(value)}`);
    return value;
  });
}

const RFC_4180: Options = {
  record_delimiter: '\r\n',
  // With a custom record delimiter csv-stringify would otherwise leave a lone LF or CR unquoted.
  quote_record_delimiter: true,
  eof: true,
};

/** RFC 4180 lines (each ending in CRLF) for already-prepared cells. */
export function csvLines(rows: ReadonlyArray<readonly string[]>): string {
  return rows.length === 0 ? '' : stringify(rows as string[][], RFC_4180);
}

/** The records as CSV lines, with both cell rules applied. */
export function csvRecords(records: readonly CsvRecord[]): string {
  return csvLines(records.map(csvCells));
}

export const CSV_HEADER = csvLines([CSV_COLUMNS]);
