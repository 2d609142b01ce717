import iconv from 'iconv-lite';
import { readCsv, csvMappingSchema, type CsvMapping } from '../src/import/formats/csv';
import { StatementError } from '../src/import/formats/statement';
import { bankRow, chunks, collect } from './import-formats-support';

const read = (
  data: Buffer | string,
  mapping: CsvMapping | null,
  options: { maxRows?: number; chunk?: number } = {},
) => collect(readCsv(chunks(data, options.chunk), { mapping, maxRows: options.maxRows ?? 1000 }));

const failure = async (data: Buffer | string, mapping: CsvMapping | null, maxRows = 1000) => {
  const error = await read(data, mapping, { maxRows }).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(StatementError);
  return error as StatementError;
};

const simple: CsvMapping = { columns: { date: 'Date', amount: 'Amount', description: 'Description' } };

describe('CSV separators, quoting and the header', () => {
  it.each([
    [',', 'Date,Description,Amount\n2026-03-01,"Shop, ""the best""",-12.50\n2026-03-02,Salary,2000.00\n'],
    [';', 'Date;Description;Amount\n2026-03-01;"Shop, ""the best""";-12.50\n2026-03-02;Salary;2000.00\n'],
    [
      '\t',
      'Date\tDescription\tAmount\n2026-03-01\t"Shop, ""the best"""\t-12.50\n2026-03-02\tSalary\t2000.00\n',
    ],
  ])('detects %j as the separator; quoted cells keep separators and quotes', async (delimiter, csv) => {
    const { dialect, rows, problems } = await read(csv, simple);
    expect(dialect).toMatchObject({ delimiter, header: true, header_line: 1, date_format: 'yyyy-mm-dd' });
    expect(problems).toEqual([]);
    expect(rows).toEqual([
      bankRow({ line: 2, date: '2026-03-01', amount: '-12.50', description: 'Shop, "the best"' }),
      bankRow({ line: 3, date: '2026-03-02', amount: '2000.00', description: 'Salary' }),
    ]);
  });

  it('honours a leading sep= line (and counts it as line 1)', async () => {
    // With the sep line the separator is ";" even though "," looks as regular.
    const csv = 'sep=;\r\nDate;Description;Amount\r\n2026-03-01;a,b,c;12,50\r\n2026-03-02;x,y,z;1,00\r\n';
    const { dialect, rows } = await read(csv, simple);
    expect(dialect).toMatchObject({ delimiter: ';', sep_line: true, header_line: 2, decimal_separator: ',' });
    expect(rows.map((r) => [r.line, r.description, r.amount])).toEqual([
      [3, 'a,b,c', '12.50'],
      [4, 'x,y,z', '1.00'],
    ]);
  });

  it('a quoted field with line breaks: the row is numbered by its first line, the next row after it', async () => {
    const csv = 'Date,Description,Amount\n2026-03-01,"two\nlines\r\nthree",1.00\n2026-03-02,next,bad\n';
    const { rows, problems } = await read(csv, simple);
    expect(rows).toEqual([
      bankRow({ line: 2, date: '2026-03-01', amount: '1.00', description: 'two\nlines\r\nthree' }),
    ]);
    expect(problems).toEqual([
      { line: 5, column: 'Amount', reason: '"bad" is not an amount (decimal separator ".")' },
    ]);
  });

  it('no header: columns by number, names in problems are numbers', async () => {
    const csv = '01.03.2026;Coffee;-3,50\n02.03.2026;Rent;-950,00\n03.03.2026;Gift;x\n';
    const { dialect, rows, problems } = await read(csv, {
      columns: { date: 1, amount: 3, description: 2 },
      header: false,
    });
    expect(dialect).toMatchObject({
      header: false,
      header_line: null,
      date_format: 'dd.mm.yyyy',
      decimal_separator: ',',
    });
    expect(rows.map((r) => [r.line, r.date, r.amount])).toEqual([
      [1, '2026-03-01', '-3.50'],
      [2, '2026-03-02', '-950.00'],
    ]);
    expect(problems).toEqual([
      { line: 3, column: '3', reason: '"x" is not an amount (decimal separator ",")' },
    ]);
  });

  it('header names match without case and surrounding spaces', async () => {
    const { rows } = await read(' DATE , amount \n2026-03-01,5\n', {
      columns: { date: 'date', amount: 'Amount' },
    });
    expect(rows).toEqual([bankRow({ line: 2, date: '2026-03-01', amount: '5' })]);
  });

  it('a header that is not there names the missing columns and shows the likely header', async () => {
    const error = await failure('Datum;Bedrag\n01-03-2026;1,00\n', simple);
    expect(error.reason).toBe('unreadable');
    expect(error.message).toMatch(/"Date", "Amount", "Description".*line 1 reads "Datum", "Bedrag"/);
  });

  it('header false with named columns is refused', async () => {
    const error = await failure('2026-03-01,1\n', { columns: { date: 'Date', amount: 2 }, header: false });
    expect(error.message).toMatch(/header is false.*"Date"/);
  });

  it('an unclosed quote is a whole-file problem with its line', async () => {
    const error = await failure('Date,Amount\n2026-03-01,1\n2026-03-02,"2\n', {
      columns: { date: 'Date', amount: 'Amount' },
    });
    expect(error.message).toBe('The CSV cannot be read from line 3: a quoted field is never closed');
  });

  it('an empty file, a header-only file', async () => {
    expect((await failure('', simple)).message).toBe('The file is empty');
    expect((await failure('Date,Amount,Description\n', simple)).message).toMatch(
      /no transactions after its header \(line 1\)/,
    );
  });
});

describe('CSV preamble and summary lines (skipped by rule)', () => {
  // A Dutch bank's export: account lines before the header, a saldo and totals after the data.
  const bank = [
    'Rekeningnummer;NL91ABNA0417164300',
    'Periode;01-03-2026 t/m 31-03-2026',
    '',
    'Datum;Naam / Omschrijving;Af Bij;Bedrag (EUR);Mededelingen',
    '01-03-2026;Albert Heijn;Af;12,50;Pinbetaling',
    '02-03-2026;Werkgever BV;Bij;2.500,00;Salaris maart',
    '03-03-2026;Huur;Af;1.050,00;',
    '',
    'Saldo;;;1.437,50',
    'Totaal;3',
  ].join('\r\n');
  const mapping: CsvMapping = {
    columns: {
      date: 'Datum',
      amount: 'Bedrag (EUR)',
      direction: 'Af Bij',
      description: 'Naam / Omschrijving',
      notes: 'Mededelingen',
    },
  };

  it('lines before the header are preamble, trailing lines without a date are summary; both reported', async () => {
    const { dialect, end, rows, problems } = await read(bank, mapping);
    expect(dialect).toMatchObject({
      delimiter: ';',
      header_line: 4,
      skipped_preamble: '1-2',
      date_format: 'dd-mm-yyyy',
      decimal_separator: ',',
    });
    expect(end).toMatchObject({ skipped_summary: '9-10', blank_lines: 1, records: 3, complete: true });
    expect(problems).toEqual([]);
    expect(rows).toEqual([
      bankRow({
        line: 5,
        date: '2026-03-01',
        amount: '-12.50',
        description: 'Albert Heijn',
        notes: 'Pinbetaling',
      }),
      bankRow({
        line: 6,
        date: '2026-03-02',
        amount: '2500.00',
        description: 'Werkgever BV',
        notes: 'Salaris maart',
      }),
      bankRow({ line: 7, date: '2026-03-03', amount: '-1050.00', description: 'Huur' }),
    ]);
  });

  it('a line without a date between data rows is a row problem, not summary', async () => {
    const lines = bank.split('\r\n');
    lines.splice(5, 0, 'Tussentotaal;;;12,50;');
    const { rows, problems, end } = await read(lines.join('\n'), mapping);
    expect(problems).toEqual([
      { line: 6, column: 'Datum', reason: '"Tussentotaal" is not a date in dd-mm-yyyy' },
    ]);
    expect(rows.map((r) => r.line)).toEqual([5, 7, 8]);
    expect(end).toMatchObject({ skipped_summary: '10-11', records: 4 });
  });

  it('a short line between data rows: the problem names the cell count', async () => {
    const csv = 'Date,Amount,Description\n2026-03-01,1,a\n2026-03-02\n2026-03-03,3,c\n';
    const { problems } = await read(csv, simple);
    expect(problems).toEqual([
      { line: 3, column: null, reason: 'the line has 1 cells; the mapped columns need 3' },
    ]);
  });

  it('a row with a real date but a bad amount is a problem even at the end', async () => {
    const csv = 'Date,Amount\n2026-03-01,1\n2026-03-02,1.2.3\n';
    const { problems } = await read(csv, { columns: { date: 'Date', amount: 'Amount' } });
    expect(problems).toEqual([
      { line: 3, column: 'Amount', reason: '"1.2.3" is not an amount (decimal separator ".")' },
    ]);
  });
});

describe('CSV dates', () => {
  const dated = (cells: string[], date_format?: CsvMapping['date_format']) =>
    read(`Date,Amount\n${cells.map((d) => `${d},1`).join('\n')}\n`, {
      columns: { date: 'Date', amount: 'Amount' },
      ...(date_format ? { date_format } : {}),
    });

  it.each([
    [['2026-03-01', '2026-12-31T10:00:00Z'], 'yyyy-mm-dd', ['2026-03-01', '2026-12-31']],
    [['01/03/2026', '31/12/2026'], 'dd/mm/yyyy', ['2026-03-01', '2026-12-31']],
    [['03/01/2026', '12/31/2026'], 'mm/dd/yyyy', ['2026-03-01', '2026-12-31']],
    [['1.3.2026', '31.12.2026'], 'dd.mm.yyyy', ['2026-03-01', '2026-12-31']],
    [['20260301', '20261231'], 'yyyymmdd', ['2026-03-01', '2026-12-31']],
    [['1/3/26', '31/12/99'], 'd/m/yy', ['2026-03-01', '1999-12-31']],
  ])('detects %j as %s', async (cells, format, dates) => {
    const { dialect, rows } = await dated(cells);
    expect(dialect.date_format).toBe(format);
    expect(rows.map((r) => r.date)).toEqual(dates);
  });

  it('an ambiguous file (every date fits day-first and month-first) asks for date_format', async () => {
    const error = await failure('Date,Amount\n01/02/2026,1\n03/04/2026,2\n12/11/2026,3\n', {
      columns: { date: 'Date', amount: 'Amount' },
    });
    expect(error.reason).toBe('ambiguous');
    expect(error.message).toBe(
      'The dates in column Date fit dd/mm/yyyy and mm/dd/yyyy (line 2: "01/02/2026"); give date_format',
    );
    const { rows } = await dated(['01/02/2026', '03/04/2026'], 'mm/dd/yyyy');
    expect(rows.map((r) => r.date)).toEqual(['2026-01-02', '2026-03-04']);
  });

  it('one day-first date in the sample decides for the file', async () => {
    const { dialect, rows } = await dated(['01/02/2026', '13/02/2026']);
    expect(dialect.date_format).toBe('dd/mm/yyyy');
    expect(rows.map((r) => r.date)).toEqual(['2026-02-01', '2026-02-13']);
  });

  it('calendar-valid dates only: 31 April and 29 February 2026 are row problems', async () => {
    const { rows, problems } = await dated([
      '2026-04-30',
      '2026-04-31',
      '2026-02-29',
      '2024-02-29',
      '2026-05-01',
    ]);
    expect(rows.map((r) => r.date)).toEqual(['2026-04-30', '2024-02-29', '2026-05-01']);
    expect(problems).toEqual([
      { line: 3, column: 'Date', reason: '"2026-04-31" is not a date in yyyy-mm-dd' },
      { line: 4, column: 'Date', reason: '"2026-02-29" is not a date in yyyy-mm-dd' },
    ]);
  });

  it('no format reads the dates: names the column, the line and the formats', async () => {
    const error = await failure('Date,Amount\nMarch 1,1\n', { columns: { date: 'Date', amount: 'Amount' } });
    expect(error.message).toMatch(
      /^No date format reads column Date \(line 2: "March 1"\); give date_format, one of yyyy-mm-dd/,
    );
  });
});

describe('CSV amounts', () => {
  const amounts = (cells: string[], decimal_separator?: ',' | '.') =>
    read(`Date;Amount\n${cells.map((a) => `2026-03-01;${a}`).join('\n')}\n`, {
      columns: { date: 'Date', amount: 'Amount' },
      ...(decimal_separator ? { decimal_separator } : {}),
    });

  it.each([
    [['1.234,56', '-0,99'], ',', ['1234.56', '-0.99']],
    [['1,234.56', '-0.99'], '.', ['1234.56', '-0.99']],
    [['1 234,56', '1\u00a0234,56', '1\u202f234,56'], ',', ['1234.56', '1234.56', '1234.56']],
    [['-110.70', '(12.00)', '12.00-', '+5.10'], '.', ['-110.70', '-12.00', '-12.00', '5.10']],
    [
      ['€ 1.000,-', '-€ 3,50', '€ -3,50', '1,5 €', '$ 0,00', '-0,00'],
      ',',
      ['1000', '-3.50', '-3.50', '1.5', '0.00', '0.00'],
    ],
    [["1'234.50", '007.10', '−4.20'], '.', ['1234.50', '7.10', '-4.20']],
  ])('%j read with %j', async (cells, separator, values) => {
    const { dialect, rows, problems } = await amounts(cells);
    expect(problems).toEqual([]);
    expect(dialect.decimal_separator).toBe(separator);
    expect(rows.map((r) => r.amount)).toEqual(values);
  });

  it('an ISO code written with the amount becomes the row currency', async () => {
    const { rows } = await amounts(['EUR 12,50', '3,00 USD', '1,00']);
    expect(rows.map((r) => [r.amount, r.currency])).toEqual([
      ['12.50', 'EUR'],
      ['3.00', 'USD'],
      ['1.00', null],
    ]);
  });

  it('"1,234" alone is ambiguous; another amount in the file decides; the mapping decides', async () => {
    const error = await failure('Date;Amount\n2026-03-01;1,234\n2026-03-02;5\n', {
      columns: { date: 'Date', amount: 'Amount' },
    });
    expect(error.reason).toBe('ambiguous');
    expect(error.message).toMatch(
      /^Amounts like "1,234" \(line 2\) read as thousands or as decimals.*give decimal_separator$/,
    );
    expect((await amounts(['1,234', '2,50'])).rows.map((r) => r.amount)).toEqual(['1.234', '2.50']);
    expect((await amounts(['1,234', '2.50'])).rows.map((r) => r.amount)).toEqual(['1234', '2.50']);
    expect((await amounts(['1,234'], '.')).rows.map((r) => r.amount)).toEqual(['1234']);
  });

  it('amounts deciding both ways ask for decimal_separator', async () => {
    const error = await failure('Date;Amount\n2026-03-01;1,50\n2026-03-02;2.50\n', {
      columns: { date: 'Date', amount: 'Amount' },
    });
    expect(error.reason).toBe('ambiguous');
    expect(error.message).toMatch(/both separators.*line 2: "1,50".*line 3: "2.50"/);
  });

  it('bad amounts are row problems naming the cell', async () => {
    const { problems } = await amounts(
      ['1.234,5', '1.23.4', '--1', '12,34,5', '', '1e5', '1234567890123456'],
      ',',
    );
    expect(problems).toEqual([
      { line: 3, column: 'Amount', reason: '"1.23.4" is not an amount (decimal separator ",")' },
      { line: 4, column: 'Amount', reason: '"--1" is not an amount (decimal separator ",")' },
      { line: 5, column: 'Amount', reason: '"12,34,5" is not an amount (decimal separator ",")' },
      { line: 6, column: 'Amount', reason: 'the amount is empty' },
      { line: 7, column: 'Amount', reason: '"1e5" is not an amount (decimal separator ",")' },
      { line: 8, column: 'Amount', reason: '"1234567890123456" has too many digits' },
    ]);
  });

  it('separate debit and credit columns', async () => {
    const csv = [
      'Date,Debit,Credit,Text',
      '2026-03-01,12.50,,Shop',
      '2026-03-02,,2000.00,Salary',
      '2026-03-03,-7.00,0.00,Fee written negative',
      '2026-03-04,,,Nothing',
      '2026-03-05,1.00,2.00,Both',
    ].join('\n');
    const { rows, problems } = await read(csv, {
      columns: { date: 'Date', debit: 'Debit', credit: 'Credit', description: 'Text' },
    });
    expect(rows.map((r) => [r.line, r.amount])).toEqual([
      [2, '-12.50'],
      [3, '2000.00'],
      [4, '-7.00'],
    ]);
    expect(problems).toEqual([
      { line: 5, column: 'Debit', reason: 'neither Debit nor Credit has an amount' },
      { line: 6, column: 'Debit', reason: 'both Debit and Credit have an amount' },
    ]);
  });

  it('amount plus a direction column: default values and the mapping’s own', async () => {
    const csv =
      'Date,Amount,DC\n2026-03-01,5.00,D\n2026-03-02,6.00,c\n2026-03-03,7.00,debit\n2026-03-04,8.00,X\n2026-03-05,-1.00,C\n';
    const { rows, problems } = await read(csv, {
      columns: { date: 'Date', amount: 'Amount', direction: 'DC' },
    });
    expect(rows.map((r) => r.amount)).toEqual(['-5.00', '6.00', '-7.00']);
    expect(problems).toEqual([
      {
        line: 5,
        column: 'DC',
        reason: expect.stringMatching(
          /^"X" is neither a debit \(af, d, debit.*\) nor a credit \(bij, c, credit.*\) value$/,
        ),
      },
      { line: 6, column: 'Amount', reason: 'a negative amount with the credit direction "C"' },
    ]);
    const own = await read('Date,Amount,Way\n2026-03-01,5.00,OUT\n2026-03-02,6.00,in\n', {
      columns: { date: 'Date', amount: 'Amount', direction: 'Way' },
      direction_values: { debit: ['out'], credit: ['IN'] },
    });
    expect(own.rows.map((r) => r.amount)).toEqual(['-5.00', '6.00']);
  });

  it('optional columns: currency, payee, category, notes, external id, several description columns', async () => {
    const csv =
      'Date;Amount;Cur;Who;Cat;Memo;Ref;D1;D2\n2026-03-01;-1,00;usd;Bob;Food;n;R-1;Lunch;at noon\n2026-03-02;1,00;EURO;;;;;;\n';
    const { rows, problems } = await read(csv, {
      columns: {
        date: 'Date',
        amount: 'Amount',
        currency: 'Cur',
        payee: 'Who',
        category: 'Cat',
        notes: 'Memo',
        external_id: 'Ref',
        description: ['D1', 'D2'],
      },
    });
    expect(rows).toEqual([
      bankRow({
        line: 2,
        date: '2026-03-01',
        amount: '-1.00',
        currency: 'USD',
        payee: 'Bob',
        category: 'Food',
        notes: 'n',
        externalId: 'R-1',
        description: 'Lunch at noon',
      }),
    ]);
    expect(problems).toEqual([{ line: 3, column: 'Cur', reason: '"EURO" is not an ISO 4217 currency code' }]);
  });
});

describe('CSV encodings', () => {
  const csv = 'Date;Description;Amount\n2026-03-01;Café € ünï;-1,50\n';
  const expected = [bankRow({ line: 2, date: '2026-03-01', amount: '-1.50', description: 'Café € ünï' })];
  const mapping = simple;

  it.each([
    ['utf-8', Buffer.from(csv, 'utf8')],
    ['utf-8', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(csv, 'utf8')])],
    ['utf-16le', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(csv, 'utf16le')])],
    ['utf-16be', Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(csv, 'utf16le').swap16()])],
    ['windows-1252', iconv.encode(csv, 'win1252')],
  ])('reads %s (%#), in 5-byte chunks too', async (encoding, bytes) => {
    for (const chunk of [undefined, 5]) {
      const { dialect, rows } = await read(bytes, mapping, { chunk });
      expect(dialect.encoding).toBe(encoding);
      expect(rows).toEqual(expected);
    }
  });

  it('windows-1252 bytes 0x80 (€) and 0xE9 (é) with no BOM: not UTF-8, so Windows-1252', async () => {
    const bytes = Buffer.concat([
      Buffer.from('Date;Description;Amount\n2026-03-01;Caf', 'latin1'),
      Buffer.from([0xe9, 0x20, 0x80]),
      Buffer.from(';-1,50\n', 'latin1'),
    ]);
    const { dialect, rows } = await read(bytes, mapping);
    expect(dialect.encoding).toBe('windows-1252');
    expect(rows[0].description).toBe('Café €');
  });

  it('the mapping may name the encoding (ISO-8859-1 is read as its superset Windows-1252)', async () => {
    const { dialect, rows } = await read(iconv.encode(csv, 'win1252'), {
      ...mapping,
      encoding: 'iso-8859-1',
    });
    expect(dialect.encoding).toBe('iso-8859-1');
    expect(rows).toEqual(expected);
  });

  it('a file valid UTF-8 in its first 64 KiB but not later is refused with the byte offset', async () => {
    const good = `Date;Description;Amount\n${'2026-03-01;ok;1,00\n'.repeat(4000)}`;
    const bytes = Buffer.concat([Buffer.from(good), Buffer.from([0xe9]), Buffer.from(';1,00\n')]);
    const error = await failure(bytes, mapping, 10_000);
    expect(error.message).toMatch(/not valid UTF-8 after byte \d+.*give its encoding/);
  });
});

describe('CSV limits and stopping early', () => {
  it('more rows than maxRows → tooLarge', async () => {
    const csv = `Date,Amount\n${'2026-03-01,1\n'.repeat(11)}`;
    const error = await failure(csv, { columns: { date: 'Date', amount: 'Amount' } }, 10);
    expect(error.reason).toBe('tooLarge');
    expect(error.message).toBe('The file has more than 10 rows');
  });

  it('a consumer that stops after the first row does not hang and ends the input', async () => {
    let ended = false;
    async function* endless() {
      try {
        yield Buffer.from('Date,Amount\n');
        for (;;) yield Buffer.from('2026-03-01,1\n'.repeat(1000));
      } finally {
        ended = true;
      }
    }
    const reader = readCsv(endless(), {
      mapping: { columns: { date: 'Date', amount: 'Amount' } },
      maxRows: 1e9,
    });
    let rows = 0;
    for await (const item of reader) if (item.kind === 'row' && ++rows === 3) break;
    expect(rows).toBe(3);
    expect(ended).toBe(true);
  });

  it('a consumer that stops right after the dialect does not hang', async () => {
    const reader = readCsv(chunks('Date,Amount\n2026-03-01,1\n'), {
      mapping: { columns: { date: 'Date', amount: 'Amount' } },
      maxRows: 10,
    });
    expect((await reader.next()).value).toMatchObject({ kind: 'dialect' });
    expect(await reader.return(undefined)).toEqual({ done: true, value: undefined });
  });
});

describe('csvMappingSchema (the HTTP API mapping)', () => {
  const messages = (value: unknown) => {
    const result = csvMappingSchema.safeParse(value);
    return result.success
      ? []
      : result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
  };

  it('accepts names or 1-based numbers and the optional dialect fields', () => {
    expect(
      messages({
        columns: { date: 'Datum', amount: 5, direction: 'Af Bij', description: ['Naam', 9] },
        header: true,
        delimiter: ';',
        encoding: 'windows-1252',
        date_format: 'dd-mm-yyyy',
        decimal_separator: ',',
        direction_values: { debit: ['Af'], credit: ['Bij'] },
      }),
    ).toEqual([]);
  });

  it.each([
    [{ columns: { date: 'D' } }, ['columns.amount: map amount, or debit and credit']],
    [
      { columns: { date: 'D', amount: 'A', debit: 'X', credit: 'Y' } },
      ['columns.amount: map amount or debit and credit, not both'],
    ],
    [{ columns: { date: 'D', debit: 'X' } }, ['columns.credit: debit needs a credit column too']],
    [
      { columns: { date: 'D', debit: 'X', credit: 'Y', direction: 'Z' } },
      ['columns.direction: direction needs an amount column'],
    ],
    [{ columns: { date: 0, amount: 'A' } }, ['columns.date: column numbers start at 1']],
    [{ columns: { date: ' ', amount: 'A' } }, ['columns.date: a column name must not be empty']],
    [
      { columns: { date: 'D', amount: 'A', Amount: 'B' } },
      [expect.stringMatching(/^columns: Unrecognized key/)],
    ],
    [
      { columns: { date: 'D', amount: 'A' }, dateFormat: 'x' },
      [expect.stringMatching(/^: Unrecognized key: "dateFormat"/)],
    ],
  ])('%j → %j', (value, expected) => {
    expect(messages(value)).toEqual(expected);
  });
});
