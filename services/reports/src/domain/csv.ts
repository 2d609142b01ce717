/**
 * The CSV this service exports and the ledger's import accepts: RFC 4180, UTF-8, CRLF line
 * ends, a header row, ISO dates, `.` decimals, tags joined with `;`.
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

export type CsvRecord = Record<(typeof CSV_COLUMNS)[number], string>;

/** Quotes a field when it holds a comma, quote, CR or LF; quotes inside are doubled. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

export function csvLine(values: readonly string[]): string {
  return `${values.map(csvField).join(',')}\r\n`;
}

export function csvRecordLine(record: CsvRecord): string {
  return csvLine(CSV_COLUMNS.map((column) => record[column]));
}

export const CSV_HEADER = csvLine(CSV_COLUMNS);
