import { parse } from 'csv-parse/sync';
import { isCalendarDate } from '@finance/shared';

/** One day of the ECB's reference rates: units of each currency per 1 EUR. */
export interface EcbDay {
  base: 'EUR';
  date: string;
  rates: Record<string, string>;
}

export class EcbFileProblem extends Error {}

const RATE = /^\d{1,15}(\.\d{1,15})?$/;

/**
 * The ECB's historical reference-rate file (`eurofxref-hist.csv`, and the one-day
 * `eurofxref.csv`): a header `Date,USD,JPY,…` (often with a trailing comma), one row per working
 * day, `N/A` where a currency was not quoted. Every problem names its line.
 */
export function parseEcbRates(text: string): EcbDay[] {
  let records: string[][];
  try {
    records = parse(text, { relax_column_count: true, skip_empty_lines: true, trim: true, bom: true });
  } catch (error) {
    throw new EcbFileProblem(`Not a CSV file: ${(error as Error).message}`);
  }
  const [header, ...rows] = records;
  if (!header || header[0] !== 'Date')
    throw new EcbFileProblem('Line 1 must be the header "Date,USD,JPY,…" of the ECB reference-rate file');
  const codes = header.slice(1);
  for (const code of codes)
    if (code !== '' && !/^[A-Z]{3}$/.test(code))
      throw new EcbFileProblem(`Line 1: "${code}" is not a currency code`);
  if (rows.length === 0) throw new EcbFileProblem('The file has no rates');
  return rows.map((row, index) => {
    const line = index + 2;
    const date = row[0];
    if (!isCalendarDate(date)) throw new EcbFileProblem(`Line ${line}: "${date}" is not a date (YYYY-MM-DD)`);
    const rates: Record<string, string> = {};
    codes.forEach((code, i) => {
      const value = row[i + 1] ?? '';
      if (code === '' || value === '' || value === 'N/A') return;
      if (!RATE.test(value)) throw new EcbFileProblem(`Line ${line}, ${code}: "${value}" is not a rate`);
      rates[code] = value;
    });
    return { base: 'EUR', date, rates };
  });
}
