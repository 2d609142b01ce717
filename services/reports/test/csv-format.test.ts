import { parse } from 'csv-parse/sync';
import fc from 'fast-check';
import {
  CSV_COLUMNS,
  CSV_EXPORT_COLUMNS,
  CSV_HEADER,
  csvCells,
  csvLines,
  csvRecords,
  decodeTags,
  encodeTags,
  neutraliseCell,
  restoreCell,
  type CsvExportRecord,
} from '../src/domain/csv';

const record = (overrides: Partial<CsvExportRecord> = {}): CsvExportRecord => ({
  date: '2026-04-02',
  transaction_type: 'expense',
  amount: '3.50',
  currency: 'EUR',
  account: 'Main',
  to_account: '',
  category: 'Food',
  description: 'Coffee',
  payee: '',
  notes: '',
  tags: '',
  base_amount: '3.50',
  base_currency: 'EUR',
  transaction_id: '0190f5a0-7a1b-7c3d-8e4f-5a6b7c8d9e0f',
  split_part: '',
  ...overrides,
});

describe('CSV cells', () => {
  it('writes RFC 4180: quotes a cell holding , " CR or LF, doubles inner quotes, CRLF after every record', () => {
    expect(csvLines([['plain', 'a,b', 'say "hi"', 'two\nlines', 'cr\ronly', '', 'é ✓']])).toBe(
      'plain,"a,b","say ""hi""","two\nlines","cr\ronly",,é ✓\r\n',
    );
    expect(csvLines([['a'], ['b']])).toBe('a\r\nb\r\n');
    expect(csvLines([])).toBe('');
    expect(CSV_HEADER).toBe(
      `${CSV_COLUMNS.join(',')},base_amount,base_currency,transaction_id,split_part\r\n`,
    );
    // The import's columns first, in their order; the base-currency ones after them.
    expect(CSV_EXPORT_COLUMNS.slice(0, CSV_COLUMNS.length)).toEqual([...CSV_COLUMNS]);
  });

  it.each([
    ['=HYPERLINK("http://evil","x")', `'=HYPERLINK("http://evil","x")`],
    ['+1', "'+1"],
    ['-2+3', "'-2+3"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['\tTab', "'\tTab"],
    ['\rCR', "'\rCR"],
    ['＝1+1', "'＝1+1"],
    ["'already", "''already"],
    ['plain', 'plain'],
    ['', ''],
    [' =leading space', ' =leading space'],
    ['a=b', 'a=b'],
  ])('neutralises %j as %j, and restoring gives it back', (text, cell) => {
    expect(neutraliseCell(text)).toBe(cell);
    expect(restoreCell(cell)).toBe(text);
  });

  it('neutralises text cells but never the amount: a negative amount stays a number', () => {
    const cells = csvCells(record({ amount: '-12.50', description: '-12.50', payee: '=x' }));
    expect(cells[CSV_COLUMNS.indexOf('amount')]).toBe('-12.50');
    expect(cells[CSV_COLUMNS.indexOf('description')]).toBe("'-12.50");
    expect(cells[CSV_COLUMNS.indexOf('payee')]).toBe("'=x");
    expect(csvCells(record({ base_amount: '-1200' }))[CSV_EXPORT_COLUMNS.indexOf('base_amount')]).toBe(
      '-1200',
    );
    // An amount column holds a number or nothing gets written.
    expect(() => csvCells(record({ amount: '=1+1' }))).toThrow(RangeError);
    expect(() => csvCells(record({ base_amount: '@1' }))).toThrow(RangeError);
  });

  it('tags: empty cell for none, else a JSON array that keeps ; , quotes and brackets inside tags', () => {
    expect(encodeTags([])).toBe('');
    expect(encodeTags(['coffee', 'work'])).toBe('["coffee","work"]');
    const awkward = ['=tag', 'b;c', 'x,y', 'a"b', '[x]', '\\', ';', "'q", 'ünï ✓'];
    expect(decodeTags(encodeTags(awkward))).toEqual(awkward);
    expect(decodeTags('')).toEqual([]);
    for (const bad of ['coffee;work', '{"a":1}', '[1]', '["a",null]', '['])
      expect(() => decodeTags(bad)).toThrow(SyntaxError);
  });

  it('round trip for any text: cells → CSV → csv-parse → restore/decode gives back every value', () => {
    const text = fc.string({ unit: 'binary', maxLength: 20 });
    fc.assert(
      fc.property(
        fc.record({ description: text, payee: text, notes: text, account: text }),
        fc.array(
          text.filter((t) => t.length > 0),
          { maxLength: 4 },
        ),
        (fields, tags) => {
          const csv = CSV_HEADER + csvRecords([record({ ...fields, tags: encodeTags(tags) })]);
          const [row] = parse(csv, { columns: true }) as Array<Record<string, string>>;
          expect({
            description: restoreCell(row.description),
            payee: restoreCell(row.payee),
            notes: restoreCell(row.notes),
            account: restoreCell(row.account),
          }).toEqual(fields);
          expect(decodeTags(restoreCell(row.tags))).toEqual(tags);
          for (const column of CSV_EXPORT_COLUMNS.filter((c) => c !== 'amount' && c !== 'base_amount'))
            expect(/^[=+\-@\t\r]/.test(row[column])).toBe(false);
        },
      ),
      { numRuns: 500 },
    );
  });
});
