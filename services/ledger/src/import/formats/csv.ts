import { parse } from 'csv-parse';
import { CSV_COLUMNS, decodeTags, restoreCell } from '@finance/shared';
import { z } from 'zod';
import { StatementError, type StatementItem, type StatementRow } from './statement';

/**
 * How to read a bank's CSV: which column holds what. (Seed: our own export's columns only, with no
 * mapping; the reader of messy bank files extends this.)
 */
export const csvMappingSchema = z
  .object({
    columns: z
      .object({
        date: z.string().min(1),
        amount: z.string().min(1),
        description: z.string().min(1).optional(),
      })
      .strict(),
  })
  .strict();
export type CsvMapping = z.infer<typeof csvMappingSchema>;

export interface CsvReadOptions {
  mapping: CsvMapping | null;
  /** More data rows than this: StatementError('tooLarge'). */
  maxRows: number;
}

const TYPES = new Set(['income', 'expense', 'transfer']);

/** Our export (reports' GET /export/csv) back into statement rows: header row, comma, UTF-8. */
export async function* readCsv(
  input: AsyncIterable<Buffer | string>,
  options: CsvReadOptions,
): AsyncGenerator<StatementItem> {
  const parser = parse({ bom: true, columns: false, relax_column_count: true, info: true });
  const feeding = (async () => {
    try {
      for await (const chunk of input)
        if (!parser.write(chunk)) await new Promise((r) => parser.once('drain', r));
      parser.end();
    } catch (error) {
      parser.destroy(error as Error);
    }
  })();
  let header: string[] | null = null;
  let rows = 0;
  yield { kind: 'dialect', dialect: { encoding: 'utf-8', delimiter: ',', header: true } };
  try {
    for await (const record of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      const line = record.info.lines;
      const cells = record.record;
      if (header === null) {
        header = cells;
        const missing = CSV_COLUMNS.filter((c) => !header!.includes(c));
        if (missing.length > 0)
          throw new StatementError(`The header has no column ${missing.join(', ')}; give a mapping`);
        continue;
      }
      if (++rows > options.maxRows)
        throw new StatementError(`The file has more than ${options.maxRows} rows`, 'tooLarge');
      const cell = (name: string) => cells[header!.indexOf(name)] ?? '';
      const type = cell('transaction_type');
      if (!TYPES.has(type)) {
        yield {
          kind: 'problem',
          problem: { line, column: 'transaction_type', reason: 'must be income, expense or transfer' },
        };
        continue;
      }
      let tags: string[];
      try {
        tags = decodeTags(cell('tags'));
      } catch (error) {
        yield { kind: 'problem', problem: { line, column: 'tags', reason: (error as Error).message } };
        continue;
      }
      const amount = cell('amount');
      const text = (name: string) => (cell(name) === '' ? null : restoreCell(cell(name)));
      const row: StatementRow = {
        line,
        date: cell('date'),
        amount: type === 'income' ? amount : `-${amount}`,
        currency: text('currency'),
        type: type as StatementRow['type'],
        account: text('account'),
        toAccount: text('to_account'),
        description: restoreCell(cell('description')),
        payee: text('payee'),
        category: text('category'),
        notes: text('notes'),
        tags,
        externalId: null,
      };
      yield { kind: 'row', row };
    }
  } finally {
    parser.destroy(); // a consumer that stopped early must not leave the feeder waiting for 'drain'
    await feeding;
  }
}
