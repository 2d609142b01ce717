import fc from 'fast-check';
import { CSV_HEADER, csvRecords, encodeTags, type CsvExportRecord } from '../../reports/src/domain/csv';
import { readCsv, type CsvMapping } from '../src/import/formats/csv';
import { StatementError } from '../src/import/formats/statement';
import { chunks, collect } from './import-formats-support';

// The writer is reports' own exporter (the one GET /export/csv uses), so this round trip fails
// the day the two sides drift apart.
const read = (data: Buffer | string, mapping: CsvMapping | null = null, chunk?: number) =>
  collect(readCsv(chunks(data, chunk), { mapping, maxRows: 10_000 }));

// What the export writes today, base columns included (the reader ignores columns it does not know).
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

describe('our own export, read back with no mapping', () => {
  it('every field comes back exactly, hostile cells included', async () => {
    const records = [
      record({
        description: '=HYPERLINK("http://evil","x")',
        payee: '+1',
        notes: 'two\nlines\r\nand "quotes", commas',
      }),
      record({
        transaction_type: 'income',
        amount: '2000.00',
        description: "'already",
        category: '',
        tags: encodeTags(['b;c', '=t']),
      }),
      record({
        transaction_type: 'transfer',
        amount: '1200',
        currency: 'JPY',
        account: 'Main, "daily"',
        to_account: '@Savings',
      }),
      record({ description: '', payee: '-2+3', notes: '\tTab', account: '＝1+1' }),
    ];
    const { dialect, end, rows, problems } = await read(CSV_HEADER + csvRecords(records), null, 7);
    expect(problems).toEqual([]);
    expect(dialect).toMatchObject({
      encoding: 'utf-8',
      delimiter: ',',
      header_line: 1,
      date_format: 'yyyy-mm-dd',
    });
    expect(end).toMatchObject({ skipped_summary: null, records: 4 });
    expect(rows).toEqual([
      {
        line: 2,
        date: '2026-04-02',
        amount: '-3.50',
        currency: 'EUR',
        type: 'expense',
        account: 'Main',
        toAccount: null,
        description: '=HYPERLINK("http://evil","x")',
        payee: '+1',
        category: 'Food',
        notes: 'two\nlines\r\nand "quotes", commas',
        tags: [],
        externalId: null,
      },
      expect.objectContaining({
        line: 5,
        amount: '2000.00',
        type: 'income',
        description: "'already",
        category: null,
        tags: ['b;c', '=t'],
      }),
      expect.objectContaining({
        line: 6,
        amount: '-1200',
        currency: 'JPY',
        type: 'transfer',
        account: 'Main, "daily"',
        toAccount: '@Savings',
      }),
      expect.objectContaining({ line: 7, description: '', payee: '-2+3', notes: '\tTab', account: '＝1+1' }),
    ]);
  });

  it('round trip for any text in any text column (fast-check)', async () => {
    const text = fc.string({ unit: 'binary', maxLength: 20 });
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            transaction_type: fc.constantFrom('income', 'expense', 'transfer'),
            description: text,
            payee: text.filter((t) => t !== ''),
            notes: text.filter((t) => t !== ''),
            account: text.filter((t) => t !== ''),
            tags: fc.array(text, { maxLength: 3 }),
          }),
          { minLength: 1, maxLength: 5 },
        ),
        async (fields) => {
          const csv = CSV_HEADER + csvRecords(fields.map((f) => record({ ...f, tags: encodeTags(f.tags) })));
          const { rows, problems } = await read(csv);
          expect(problems).toEqual([]);
          expect(
            rows.map((r) => ({
              transaction_type: r.type,
              description: r.description,
              payee: r.payee,
              notes: r.notes,
              account: r.account,
              tags: r.tags,
            })),
          ).toEqual(fields);
          expect(rows.map((r) => r.amount)).toEqual(
            fields.map((f) => (f.transaction_type === 'income' ? '3.50' : '-3.50')),
          );
        },
      ),
      { numRuns: 200 },
    );
  });

  it('a bad cell in our export is a row problem with its line and column', async () => {
    const csv = CSV_HEADER + csvRecords([record(), record({ transaction_type: 'gift' })]);
    const broken = `${CSV_HEADER}2026-04-02,expense,-3.50,EUR,Main,,,x,,,\r\n2026-04-02,expense,1,EUR,Main,,,x,,,"[1]"\r\n`;
    expect((await read(csv)).problems).toEqual([
      { line: 3, column: 'transaction_type', reason: 'must be income, expense or transfer' },
    ]);
    expect((await read(broken)).problems).toEqual([
      { line: 2, column: 'amount', reason: '"-3.50" is not a positive decimal with "."' },
      { line: 3, column: 'tags', reason: 'tags must be empty or a JSON array of strings' },
    ]);
  });

  it('a file that is not our export and has no mapping asks for one', async () => {
    const error = await read('Datum;Bedrag\n01-03-2026;1,00\n').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StatementError);
    expect((error as Error).message).toMatch(
      /^No mapping was given and no line .* is our export's header .*give a mapping$/,
    );
  });
});

describe('fuzz: any bytes, any CSV-like text → rows, problems or a StatementError, never anything else', () => {
  const mappings: Array<CsvMapping | null> = [
    null,
    { columns: { date: 'Date', amount: 'Amount', description: 'Text' } },
    { columns: { date: 1, debit: 2, credit: 3 }, header: false },
    { columns: { date: 'Date', amount: 'Amount', direction: 'D' } },
  ];
  const check = async (data: Buffer | string, mapping: CsvMapping | null, chunk: number) => {
    try {
      const { rows, problems } = await collect(readCsv(chunks(data, chunk), { mapping, maxRows: 50 }));
      for (const row of rows) {
        expect(row.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
        expect(row.amount).toMatch(/^-?\d+(\.\d+)?$/);
        expect(row.line).toBeGreaterThanOrEqual(1);
      }
      for (const problem of problems) expect(problem.line).toBeGreaterThanOrEqual(1);
    } catch (error) {
      if (!(error instanceof StatementError)) throw error;
    }
  };

  it('random bytes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 600 }),
        fc.constantFrom(...mappings),
        fc.integer({ min: 1, max: 64 }),
        (bytes, mapping, chunk) => check(Buffer.from(bytes), mapping, chunk),
      ),
      { numRuns: 400 },
    );
  });

  it('random CSV-like text from separators, quotes, line breaks, dates and amounts', async () => {
    const token = fc.constantFrom(
      ',',
      ';',
      '\t',
      '"',
      '""',
      '\n',
      '\r\n',
      '\r',
      ' ',
      'sep=;\n',
      'Date',
      'Amount',
      'Text',
      'D',
      'Af',
      'C',
      '2026-03-01',
      '01/02/2026',
      '31.12.2026',
      '20260229',
      '1.234,56',
      '1,234',
      '-12.00',
      '(3)',
      '€',
      '12,-',
      'x',
      '\u00a0',
      'é',
      '\ufeff',
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(token, { maxLength: 120 }).map((tokens) => tokens.join('')),
        fc.constantFrom(...mappings),
        fc.integer({ min: 1, max: 64 }),
        (text, mapping, chunk) => check(text, mapping, chunk),
      ),
      { numRuns: 600 },
    );
  });
});
