import { stringify, type Options } from 'csv-stringify/sync';
import {
  CSV_EXPORT_COLUMNS,
  neutraliseCell,
  type CsvExportColumn,
  type CsvExportRecord,
} from '@finance/shared';

export {
  CSV_BASE_COLUMNS,
  CSV_COLUMNS,
  CSV_EXPORT_COLUMNS,
  decodeTags,
  encodeTags,
  neutraliseCell,
  restoreCell,
} from '@finance/shared';
export type { CsvColumn, CsvExportColumn, CsvExportRecord, CsvRecord } from '@finance/shared';

/**
 * The CSV this service exports and the ledger's import accepts: RFC 4180 (written by
 * csv-stringify), UTF-8, CRLF line ends, a header row, ISO dates, `.` decimals. Two cell rules
 * make it safe to open in a spreadsheet and exact to read back; README.md states both, and
 * the import must undo exactly them (restoreCell, decodeTags). The columns and the cell rules
 * live in shared (`csv-cells.ts`), one copy for both directions; the writing is here. The file has
 * the import's columns, then `base_amount`, `base_currency` (CSV_BASE_COLUMNS, informative).
 */

/** Columns holding a number: written as the number, never neutralised (a negative stays negative). */
const NUMBER_COLUMNS: ReadonlySet<CsvExportColumn> = new Set(['amount', 'base_amount']);
const NUMBER = /^-?\d+(\.\d+)?$/;

/** A record's cells in column order, each text cell neutralised; an amount must be a plain number. */
export function csvCells(record: CsvExportRecord): string[] {
  return CSV_EXPORT_COLUMNS.map((column) => {
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
export function csvRecords(records: readonly CsvExportRecord[]): string {
  return csvLines(records.map(csvCells));
}

export const CSV_HEADER = csvLines([CSV_EXPORT_COLUMNS]);
