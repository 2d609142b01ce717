import { parse, type CsvError } from 'csv-parse';
import { parse as parseSync } from 'csv-parse/sync';
import { CSV_COLUMNS, decodeTags, restoreCell, type CsvColumn } from '@finance/shared';
import {
  absolute,
  detectDecimalSeparator,
  isZero,
  negate,
  readAmount,
  type DecimalSeparator,
} from './amounts';
import { DEFAULT_DIRECTION_VALUES, type CsvColumnRef, type CsvMapping } from './csv-mapping';
import { DATE_FORMATS, detectDateFormat, readDate, type DateFormat } from './dates';
import {
  StatementError,
  type RowProblem,
  type StatementDialect,
  type StatementItem,
  type StatementRow,
} from './statement';
import { decodeText } from './text';

export { csvMappingSchema, DEFAULT_DIRECTION_VALUES, type CsvMapping } from './csv-mapping';

/**
 * Bank CSV → statement rows, streamed. Detection (separator, header line, date format, decimal
 * separator) looks at a bounded prefix — the first {@link SAMPLE_LINES} records of the first
 * 64 KiB — and the rest is read record by record; docs/import-formats.md states every rule.
 */

export interface CsvReadOptions {
  /** `null`: the file must be our own export (its header is CSV_COLUMNS). */
  mapping: CsvMapping | null;
  /** More data rows than this: StatementError('tooLarge'). */
  maxRows: number;
}

/** Records of the prefix that detection looks at. */
export const SAMPLE_LINES = 200;
/** One record (a quoted field left open swallows the file) may hold at most this many characters. */
const MAX_RECORD_CHARS = 1024 * 1024;
/** Trailing summary lines held back until the end shows they are trailing; beyond: row problems. */
const MAX_HELD_BACK = 50;

const DELIMITERS = [',', ';', '\t', '|'] as const;
type Delimiter = (typeof DELIMITERS)[number];
const DELIMITER_NAMES: Record<Delimiter, string> = {
  ',': 'comma',
  ';': 'semicolon',
  '\t': 'tab',
  '|': 'pipe',
};
type RecordDelimiter = ReturnType<typeof recordDelimiterOf>;
const SEP_LINE = /^"?sep=(.)"?[ \t]*(?:\r\n|\n|\r|$)/i;

interface SampleRecord {
  line: number;
  cells: string[];
}

const PARSE_OPTIONS = {
  relax_quotes: true,
  relax_column_count: true,
  max_record_size: MAX_RECORD_CHARS,
} as const;

const normalise = (cell: string) => cell.trim().toLowerCase();
const isBlank = (cells: readonly string[]) => cells.every((cell) => cell.trim() === '');

/** Physical line breaks inside a record's cells (quoted fields may hold CR, LF or CRLF). */
function breaksIn(cells: readonly string[]): number {
  let breaks = 0;
  for (const cell of cells)
    if (cell.includes('\n') || cell.includes('\r')) breaks += cell.match(/\r\n|\n|\r/g)!.length;
  return breaks;
}

/**
 * The file's record delimiter: its first line break outside quotes (csv-parse would guess the
 * same but counts lines inside quoted fields its own way, so lines are counted here).
 */
function recordDelimiterOf(text: string): '\r\n' | '\n' | '\r' | undefined {
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (char === '"') quoted = !quoted;
    else if (!quoted && char === '\n') return '\n';
    else if (!quoted && char === '\r') return text[i + 1] === '\n' ? '\r\n' : '\r';
  }
  return undefined;
}

/** Records of the (whole-line) prefix, each with the line it starts on, from `firstLine`. */
function sampleRecords(
  text: string,
  delimiter: Delimiter,
  firstLine: number,
  recordDelimiter: RecordDelimiter,
): SampleRecord[] {
  const parseUpTo = (toLine: number | undefined) =>
    parseSync(text, {
      ...PARSE_OPTIONS,
      delimiter,
      record_delimiter: recordDelimiter,
      from_line: firstLine,
      ...(toLine === undefined ? {} : { to_line: toLine }),
    }) as string[][];
  let parsed: string[][];
  try {
    parsed = parseUpTo(firstLine + SAMPLE_LINES - 1);
  } catch (error) {
    // The prefix may end inside a quoted field: detection uses the records before the broken one.
    const brokenAt = (error as CsvError).lines;
    if (typeof brokenAt !== 'number' || brokenAt <= firstLine) return [];
    try {
      parsed = parseUpTo(Math.min(brokenAt - 1, firstLine + SAMPLE_LINES - 1));
    } catch {
      return [];
    }
  }
  let next = firstLine;
  return parsed.slice(0, SAMPLE_LINES).map((record) => {
    const line = next;
    next += 1 + breaksIn(record);
    return { line, cells: record };
  });
}

/** The most frequent cell count of non-blank records (ties: the larger), and how many have it. */
function modalCount(records: readonly SampleRecord[]): { count: number; frequency: number } {
  const counts = new Map<number, number>();
  for (const record of records)
    if (!isBlank(record.cells)) counts.set(record.cells.length, (counts.get(record.cells.length) ?? 0) + 1);
  let best = { count: 0, frequency: 0 };
  for (const [count, frequency] of counts)
    if (frequency > best.frequency || (frequency === best.frequency && count > best.count))
      best = { count, frequency };
  return best;
}

const hasColumns = (cells: readonly string[], names: readonly string[]) => {
  const present = new Set(cells.map(normalise));
  return names.every((name) => present.has(normalise(name)));
};

/** What detection decided: everything the record loop needs. */
interface Dialect {
  encoding: string;
  delimiter: Delimiter;
  recordDelimiter: RecordDelimiter;
  sepLine: boolean;
  /** Line of the header record, `null` without one. */
  headerLine: number | null;
  header: string[] | null;
  /** Records starting before this line are preamble (or the header, or the sep= line). */
  bodyLine: number;
  preamble: number[];
  dateFormat: DateFormat | null;
  decimal: DecimalSeparator;
}

/** A mapped column: its 0-based index and the name problems give it (header text or number). */
interface Column {
  index: number;
  name: string;
}

interface Layout {
  /** Our own export (no mapping): where each of its columns is. */
  exportColumns?: Record<CsvColumn, Column>;
  date: Column;
  amount?: Column;
  debit?: Column;
  credit?: Column;
  direction?: Column;
  description: Column[];
  payee?: Column;
  category?: Column;
  notes?: Column;
  externalId?: Column;
  currency?: Column;
  /** Records with fewer cells than this lack a mapped column. */
  needed: number;
  debitValues: Set<string>;
  creditValues: Set<string>;
}

function mappedRefs(mapping: CsvMapping): CsvColumnRef[] {
  const { description, ...single } = mapping.columns;
  const refs = Object.values(single).filter((ref): ref is CsvColumnRef => ref !== undefined);
  if (description !== undefined) refs.push(...(Array.isArray(description) ? description : [description]));
  return refs;
}

function cellsPreview(cells: readonly string[]): string {
  const shown = cells.slice(0, 12).map((cell) => JSON.stringify(cell.trim().slice(0, 40)));
  return shown.join(', ') + (cells.length > 12 ? ', …' : '');
}

/** Picks the separator: a `sep=` line, the mapping's, the one that finds the header, else the most regular. */
function chooseDelimiter(
  prefix: string,
  firstLine: number,
  recordDelimiter: RecordDelimiter,
  headerNames: readonly string[],
): { delimiter: Delimiter; records: SampleRecord[] } {
  const candidates = DELIMITERS.map((delimiter) => ({
    delimiter,
    records: sampleRecords(prefix, delimiter, firstLine, recordDelimiter),
  }));
  if (headerNames.length > 0) {
    const withHeader = candidates
      .map((candidate) => ({
        ...candidate,
        at: candidate.records.findIndex((r) => hasColumns(r.cells, headerNames)),
      }))
      .filter((candidate) => candidate.at >= 0)
      .sort((a, b) => a.at - b.at);
    if (withHeader.length > 0) return withHeader[0];
  }
  let best = candidates[0];
  let bestModal = { count: 0, frequency: 0 };
  for (const candidate of candidates) {
    const modal = modalCount(candidate.records);
    const score = modal.count >= 2 ? modal.frequency : 0;
    const bestScore = bestModal.count >= 2 ? bestModal.frequency : 0;
    if (score > bestScore || (score === bestScore && score > 0 && modal.count > bestModal.count))
      [best, bestModal] = [candidate, modal];
  }
  return best;
}

function detect(
  prefix: string,
  complete: boolean,
  encoding: string,
  mapping: CsvMapping | null,
): { dialect: Dialect; layout: Layout } {
  if (prefix.trim() === '') throw new StatementError('The file is empty');
  const sep = SEP_LINE.exec(prefix);
  const sepDelimiter =
    sep && (DELIMITERS as readonly string[]).includes(sep[1]) ? (sep[1] as Delimiter) : null;
  if (sep && sepDelimiter === null)
    throw new StatementError(
      `Line 1 names the separator ${JSON.stringify(sep[1])}; only , ; tab and | are read`,
    );
  const firstLine = sep ? 2 : 1;
  // Detection reads whole lines only: the prefix may end inside one.
  const sampleText = complete ? prefix : prefix.slice(0, Math.max(prefix.lastIndexOf('\n') + 1, 0));
  const recordDelimiter = recordDelimiterOf(prefix);

  const refs = mapping === null ? [...CSV_COLUMNS] : mappedRefs(mapping);
  const names = refs.filter((ref): ref is string => typeof ref === 'string');
  const withHeader = mapping === null || mapping.header !== false;
  if (!withHeader && names.length > 0)
    throw new StatementError(
      `header is false, so columns are given by number, not by name (${names.map((n) => JSON.stringify(n)).join(', ')})`,
    );

  const given = sepDelimiter ?? mapping?.delimiter;
  const { delimiter, records } =
    given === undefined
      ? chooseDelimiter(sampleText, firstLine, recordDelimiter, names)
      : { delimiter: given, records: sampleRecords(sampleText, given, firstLine, recordDelimiter) };
  const modal = modalCount(records);
  if (records.every((record) => isBlank(record.cells)))
    throw new StatementError('The file has no lines to read (only blank lines or an unclosed quote)');

  let headerIndex = -1;
  if (withHeader) {
    headerIndex =
      names.length > 0
        ? records.findIndex((record) => hasColumns(record.cells, names))
        : records.findIndex((record) => record.cells.length === modal.count);
    if (headerIndex < 0) {
      const likely = records.find((record) => record.cells.length === modal.count) ?? records[0];
      const missing = names.filter(
        (name) => !records.some((r) => r.cells.map(normalise).includes(normalise(name))),
      );
      throw new StatementError(
        mapping === null
          ? `No mapping was given and no line among the first ${SAMPLE_LINES} is our export's header ` +
              `(${CSV_COLUMNS.join(',')}); line ${likely.line} reads ${cellsPreview(likely.cells)}: give a mapping`
          : `No line among the first ${SAMPLE_LINES} has the columns ` +
              `${(missing.length > 0 ? missing : names).map((n) => JSON.stringify(n)).join(', ')}; ` +
              `line ${likely.line} reads ${cellsPreview(likely.cells)}`,
      );
    }
  }
  const header = headerIndex >= 0 ? records[headerIndex].cells.map((cell) => cell.trim()) : null;
  const layout = layoutOf(mapping, header);

  // Records that look like data: every mapped column present and a date in the date column.
  const afterHeader = records.slice(headerIndex + 1);
  const candidates = afterHeader.filter(
    (record) => record.cells.length >= layout.needed && !isBlank(record.cells),
  );
  const dateCells = candidates
    .map((record) => ({ line: record.line, cell: record.cells[layout.date.index].trim() }))
    .filter((sample) => sample.cell !== '');
  const dateFormat =
    mapping === null ? 'yyyy-mm-dd' : (mapping.date_format ?? chooseDateFormat(dateCells, layout.date.name));

  let bodyIndex = headerIndex + 1;
  if (!withHeader) {
    bodyIndex = records.findIndex(
      (record) =>
        record.cells.length >= layout.needed &&
        dateFormat !== null &&
        readDate(record.cells[layout.date.index], dateFormat) !== null,
    );
    if (bodyIndex < 0)
      throw new StatementError(
        `No line among the first ${SAMPLE_LINES} has a date in column ${layout.date.name} and all ${layout.needed} mapped columns`,
      );
  }
  const body = records.slice(bodyIndex);
  const dataRecords = body.filter(
    (record) =>
      record.cells.length >= layout.needed &&
      dateFormat !== null &&
      readDate(record.cells[layout.date.index], dateFormat) !== null,
  );
  const decimal: DecimalSeparator =
    mapping === null ? '.' : (mapping.decimal_separator ?? chooseDecimal(dataRecords, layout));

  const bodyLine = bodyIndex < records.length ? records[bodyIndex].line : Number.MAX_SAFE_INTEGER;
  const preamble = records
    .slice(0, withHeader ? headerIndex : bodyIndex)
    .filter((r) => !isBlank(r.cells))
    .map((r) => r.line);
  return {
    dialect: {
      encoding,
      delimiter,
      sepLine: sep !== null,
      headerLine: withHeader ? records[headerIndex].line : null,
      header,
      recordDelimiter,
      bodyLine: withHeader ? records[headerIndex].line + 1 + breaksIn(records[headerIndex].cells) : bodyLine,
      preamble,
      dateFormat,
      decimal,
    },
    layout,
  };
}

function chooseDateFormat(
  samples: ReadonlyArray<{ line: number; cell: string }>,
  column: string,
): DateFormat | null {
  if (samples.length === 0) return null;
  const detection = detectDateFormat(samples.map((sample) => sample.cell));
  if (detection.format !== null) return detection.format;
  if (detection.candidates.length === 0) {
    const [first] = samples;
    throw new StatementError(
      `No date format reads column ${column} (line ${first.line}: ${JSON.stringify(first.cell)}); ` +
        `give date_format, one of ${DATE_FORMATS.join(', ')}`,
    );
  }
  const example =
    samples.find((sample) =>
      detection.candidates.every((format) => readDate(sample.cell, format) !== null),
    ) ?? samples[0];
  throw new StatementError(
    `The dates in column ${column} fit ${detection.candidates.join(' and ')} ` +
      `(line ${example.line}: ${JSON.stringify(example.cell)}); give date_format`,
    'ambiguous',
  );
}

function chooseDecimal(records: readonly SampleRecord[], layout: Layout): DecimalSeparator {
  const columns = [layout.amount, layout.debit, layout.credit].filter((c): c is Column => c !== undefined);
  const cells = records
    .flatMap((record) =>
      columns.map((column) => ({ line: record.line, cell: record.cells[column.index].trim() })),
    )
    .filter((sample) => sample.cell !== '');
  const found = detectDecimalSeparator(cells.map((sample) => sample.cell));
  if (found === '.' || found === ',') return found;
  if (found === 'ambiguous') {
    const example = cells.find((sample) => /^\D*\d{1,3}[.,]\d{3}\D*$/.test(sample.cell)) ?? cells[0];
    throw new StatementError(
      `Amounts like ${JSON.stringify(example.cell)} (line ${example.line}) read as thousands or as decimals ` +
        'and no other amount tells which; give decimal_separator',
      'ambiguous',
    );
  }
  const comma = cells.find((sample) => detectDecimalSeparator([sample.cell]) === ',');
  const dot = cells.find((sample) => detectDecimalSeparator([sample.cell]) === '.');
  throw new StatementError(
    `Amounts use both separators as decimals (line ${comma?.line}: ${JSON.stringify(comma?.cell)}, ` +
      `line ${dot?.line}: ${JSON.stringify(dot?.cell)}); give decimal_separator`,
    'ambiguous',
  );
}

function layoutOf(mapping: CsvMapping | null, header: string[] | null): Layout {
  const resolve = (ref: CsvColumnRef): Column => {
    if (typeof ref === 'number') return { index: ref - 1, name: header?.[ref - 1] || String(ref) };
    const index = header!.findIndex((cell) => normalise(cell) === normalise(ref));
    return { index, name: header![index] };
  };
  const optional = (ref: CsvColumnRef | undefined) => (ref === undefined ? undefined : resolve(ref));
  if (mapping === null) {
    const exportColumns = Object.fromEntries(CSV_COLUMNS.map((name) => [name, resolve(name)])) as Record<
      CsvColumn,
      Column
    >;
    return {
      exportColumns,
      date: exportColumns.date,
      amount: exportColumns.amount,
      description: [exportColumns.description],
      needed: Math.max(...CSV_COLUMNS.map((name) => exportColumns[name].index)) + 1,
      debitValues: new Set(),
      creditValues: new Set(),
    };
  }
  const { columns } = mapping;
  const description = columns.description === undefined ? [] : [columns.description].flat().map(resolve);
  const layout: Layout = {
    date: resolve(columns.date),
    amount: optional(columns.amount),
    debit: optional(columns.debit),
    credit: optional(columns.credit),
    direction: optional(columns.direction),
    description,
    payee: optional(columns.payee),
    category: optional(columns.category),
    notes: optional(columns.notes),
    externalId: optional(columns.external_id),
    currency: optional(columns.currency),
    needed: 0,
    debitValues: new Set((mapping.direction_values?.debit ?? DEFAULT_DIRECTION_VALUES.debit).map(normalise)),
    creditValues: new Set(
      (mapping.direction_values?.credit ?? DEFAULT_DIRECTION_VALUES.credit).map(normalise),
    ),
  };
  layout.needed = Math.max(...mappedRefs(mapping).map((ref) => resolve(ref).index)) + 1;
  return layout;
}

function lineRanges(lines: readonly number[]): string | null {
  if (lines.length === 0) return null;
  const ranges: string[] = [];
  let start = lines[0];
  let end = start;
  for (const line of [...lines.slice(1), Number.NaN]) {
    if (line === end + 1) end = line;
    else {
      ranges.push(start === end ? String(start) : `${start}-${end}`);
      start = end = line;
    }
  }
  return ranges.join(', ');
}

function dialectItem(
  dialect: Dialect,
  end?: { summary: number[]; blank: number; rows: number },
): StatementItem {
  const shown: StatementDialect = {
    format: 'csv',
    encoding: dialect.encoding,
    delimiter: dialect.delimiter,
    delimiter_name: DELIMITER_NAMES[dialect.delimiter],
    sep_line: dialect.sepLine,
    header: dialect.headerLine !== null,
    header_line: dialect.headerLine,
    date_format: dialect.dateFormat,
    decimal_separator: dialect.decimal,
    skipped_preamble: lineRanges(dialect.preamble),
  };
  if (end !== undefined) {
    shown.skipped_summary = lineRanges(end.summary);
    shown.blank_lines = end.blank;
    shown.records = end.rows;
    shown.complete = true;
  }
  return { kind: 'dialect', dialect: shown };
}

/**
 * A bank CSV (or our own export, with `mapping: null`) as statement items: first a `dialect`
 * (what was detected), then a `row` or `problem` per data record in file order, then a last
 * `dialect` repeating the first with what only the end shows (`skipped_summary`, `blank_lines`,
 * `records`, `complete: true`). Whole-file problems throw StatementError. Stopping early
 * (`return()` on the generator) ends the read and the input.
 */
export async function* readCsv(
  input: AsyncIterable<Buffer | string>,
  options: CsvReadOptions,
): AsyncGenerator<StatementItem> {
  const { mapping } = options;
  const text = await decodeText(input, mapping?.encoding);
  let parser: ReturnType<typeof parse> | null = null;
  let feeding: Promise<void> | null = null;
  const waiting: { caughtUp?: () => void } = {};
  try {
    const { dialect, layout } = detect(text.prefix, text.complete, text.encoding, mapping);
    yield dialectItem(dialect);

    const csv = parse({
      ...PARSE_OPTIONS,
      delimiter: dialect.delimiter,
      record_delimiter: dialect.recordDelimiter,
    });
    parser = csv;
    // Lines are counted here, record by record. A record csv-parse parsed but this loop has not
    // taken yet is lost when the parser fails (the stream is destroyed), so the feeder ends the
    // input only once this loop has taken every record: an unclosed quote (found at the end) is
    // then reported at its own record's first line.
    let next = 1;
    feeding = (async () => {
      try {
        if (!csv.write(text.prefix)) await drained(csv);
        for await (const chunk of text.rest) {
          if (csv.destroyed) break;
          if (!csv.write(chunk)) await drained(csv);
        }
        if (csv.destroyed) return; // the consumer stopped
        if (csv.readableLength > 0) await new Promise<void>((resolve) => (waiting.caughtUp = resolve));
        if (!csv.destroyed) csv.end();
      } catch (error) {
        csv.destroy(error as Error);
      }
    })();

    let rows = 0;
    let blank = 0;
    const heldBack: Array<{ line: number; problem: RowProblem }> = [];
    const summary: number[] = [];
    const count = () => {
      if (++rows > options.maxRows)
        throw new StatementError(`The file has more than ${options.maxRows} rows`, 'tooLarge');
    };
    try {
      for await (const cells of csv as AsyncIterable<string[]>) {
        const line = next;
        next += 1 + breaksIn(cells);
        if (csv.readableLength === 0) waiting.caughtUp?.();
        if (line < dialect.bodyLine) continue;
        if (isBlank(cells)) {
          blank++;
          continue;
        }
        const entry = entryDate(cells, layout, dialect);
        if ('problem' in entry) {
          // A line that is no entry is summary if only such lines follow it; else a bad row.
          heldBack.push({ line, problem: { line, ...entry.problem } });
          if (heldBack.length > MAX_HELD_BACK) {
            count();
            yield { kind: 'problem', problem: heldBack.shift()!.problem };
          }
          continue;
        }
        if (heldBack.length > 0)
          for (const held of heldBack.splice(0)) {
            count();
            yield { kind: 'problem', problem: held.problem };
          }
        count();
        yield rowItem(cells, line, entry.date, layout, dialect);
      }
    } catch (error) {
      throw asStatementError(error, next);
    }
    summary.push(...heldBack.map((held) => held.line));
    if (rows === 0)
      throw new StatementError(
        dialect.headerLine === null
          ? 'The file has no transactions'
          : `The file has no transactions after its header (line ${dialect.headerLine})`,
      );
    yield dialectItem(dialect, { summary, blank, rows });
  } finally {
    // A consumer that stopped early: end the parser (the feeder's wait ends on 'close') and the input.
    parser?.destroy();
    waiting.caughtUp?.();
    await feeding;
    await text.close();
  }
}

/** Resolves when the parser takes more input, or is closed (a consumer stopped early). */
function drained(stream: NodeJS.EventEmitter & { destroyed: boolean }): Promise<void> {
  return new Promise((resolve) => {
    if (stream.destroyed) return resolve();
    const done = () => {
      stream.off('drain', done);
      stream.off('close', done);
      resolve();
    };
    stream.on('drain', done);
    stream.on('close', done);
  });
}

/** csv-parse's error for the record starting on `line` as a StatementError. */
function asStatementError(error: unknown, line: number): Error {
  if (error instanceof StatementError) return error;
  const csvError = error as CsvError;
  if (typeof csvError.code === 'string' && csvError.code.startsWith('CSV_')) {
    const reason =
      csvError.code === 'CSV_QUOTE_NOT_CLOSED'
        ? 'a quoted field is never closed'
        : csvError.code === 'CSV_MAX_RECORD_SIZE'
          ? `a record is longer than ${MAX_RECORD_CHARS} characters (an unclosed quote?)`
          : csvError.message;
    return new StatementError(`The CSV cannot be read from line ${line}: ${reason}`);
  }
  return error as Error;
}

/** The entry's date, or why the record is no entry (too few cells, no date). */
function entryDate(
  cells: readonly string[],
  layout: Layout,
  dialect: Dialect,
): { date: string } | { problem: Omit<RowProblem, 'line'> } {
  if (cells.length < layout.needed)
    return {
      problem: {
        column: null,
        reason: `the line has ${cells.length} cells; the mapped columns need ${layout.needed}`,
      },
    };
  const cell = cells[layout.date.index].trim();
  if (cell === '') return { problem: { column: layout.date.name, reason: 'the date is empty' } };
  const date = dialect.dateFormat === null ? null : readDate(cell, dialect.dateFormat);
  if (date === null)
    return {
      problem: {
        column: layout.date.name,
        reason: `${JSON.stringify(cell)} is not a date in ${dialect.dateFormat ?? 'any known format'}`,
      },
    };
  return { date };
}

function rowItem(
  cells: readonly string[],
  line: number,
  date: string,
  layout: Layout,
  dialect: Dialect,
): StatementItem {
  const problem = (column: Column | null, reason: string): StatementItem => ({
    kind: 'problem',
    problem: { line, column: column?.name ?? null, reason },
  });
  if (layout.exportColumns !== undefined)
    return ownExportRow(cells, line, date, layout.exportColumns, problem);

  const cell = (column: Column | undefined) => (column === undefined ? '' : cells[column.index].trim());
  const text = (column: Column | undefined) => cell(column) || null;
  let amount: string;
  let currency: string | null = null;
  if (layout.debit !== undefined && layout.credit !== undefined) {
    const read = (column: Column) => {
      const value = cell(column);
      if (value === '') return null;
      const result = readAmount(value, dialect.decimal);
      return result.ok ? result : { ...result, column };
    };
    const debit = read(layout.debit);
    const credit = read(layout.credit);
    for (const side of [debit, credit])
      if (side !== null && !side.ok) return problem(side.column, side.reason);
    const debitValue = debit?.ok ? debit.amount.value : null;
    const creditValue = credit?.ok ? credit.amount.value : null;
    if (debitValue === null && creditValue === null)
      return problem(layout.debit, `neither ${layout.debit.name} nor ${layout.credit.name} has an amount`);
    if (debitValue !== null && creditValue !== null && !isZero(debitValue) && !isZero(creditValue))
      return problem(layout.debit, `both ${layout.debit.name} and ${layout.credit.name} have an amount`);
    // Money out is negative however the debit column writes it (`12.00` or `-12.00`).
    amount =
      debitValue !== null && !isZero(debitValue)
        ? `-${absolute(debitValue)}`
        : absolute(creditValue ?? debitValue!);
    currency = (debit?.ok ? debit.amount.currency : null) ?? (credit?.ok ? credit.amount.currency : null);
  } else {
    const column = layout.amount!;
    const value = cell(column);
    if (value === '') return problem(column, 'the amount is empty');
    const result = readAmount(value, dialect.decimal);
    if (!result.ok) return problem(column, result.reason);
    amount = result.amount.value;
    currency = result.amount.currency;
    if (layout.direction !== undefined) {
      const direction = normalise(cell(layout.direction));
      const out = layout.debitValues.has(direction);
      if (!out && !layout.creditValues.has(direction))
        return problem(
          layout.direction,
          `${JSON.stringify(cell(layout.direction))} is neither a debit (${[...layout.debitValues].join(', ')}) ` +
            `nor a credit (${[...layout.creditValues].join(', ')}) value`,
        );
      if (amount.startsWith('-') && !out)
        return problem(
          column,
          `a negative amount with the credit direction ${JSON.stringify(cell(layout.direction))}`,
        );
      amount = out && !isZero(amount) ? `-${absolute(amount)}` : amount;
    }
  }
  if (layout.currency !== undefined && cell(layout.currency) !== '') {
    const code = cell(layout.currency).toUpperCase();
    if (!/^[A-Z]{3}$/.test(code))
      return problem(
        layout.currency,
        `${JSON.stringify(cell(layout.currency))} is not an ISO 4217 currency code`,
      );
    currency = code;
  }
  const row: StatementRow = {
    line,
    date,
    amount,
    currency,
    type: null,
    account: null,
    toAccount: null,
    description: layout.description
      .map((column) => cell(column))
      .filter((part) => part !== '')
      .join(' '),
    payee: text(layout.payee),
    category: text(layout.category),
    notes: text(layout.notes),
    tags: [],
    externalId: text(layout.externalId),
  };
  return { kind: 'row', row };
}

const TYPES = new Set(['income', 'expense', 'transfer']);
const EXPORT_AMOUNT = /^\d{1,15}(\.\d{1,8})?$/;

/** A row of our own export: its cells exactly as reports wrote them, the two cell rules undone. */
function ownExportRow(
  cells: readonly string[],
  line: number,
  date: string,
  columns: Record<CsvColumn, Column>,
  problem: (column: Column | null, reason: string) => StatementItem,
): StatementItem {
  const cell = (name: CsvColumn) => cells[columns[name].index];
  const text = (name: CsvColumn) => (cell(name) === '' ? null : restoreCell(cell(name)));
  const type = cell('transaction_type');
  if (!TYPES.has(type)) return problem(columns.transaction_type, 'must be income, expense or transfer');
  const amount = cell('amount');
  if (!EXPORT_AMOUNT.test(amount))
    return problem(columns.amount, `${JSON.stringify(amount)} is not a positive decimal with "."`);
  let tags: string[];
  try {
    tags = decodeTags(cell('tags'));
  } catch (error) {
    return problem(columns.tags, (error as Error).message);
  }
  const currency = cell('currency');
  if (currency !== '' && !/^[A-Z]{3}$/.test(currency))
    return problem(columns.currency, `${JSON.stringify(currency)} is not an ISO 4217 currency code`);
  const row: StatementRow = {
    line,
    date,
    amount: type === 'income' ? amount : negate(amount),
    currency: currency === '' ? null : currency,
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
  return { kind: 'row', row };
}
