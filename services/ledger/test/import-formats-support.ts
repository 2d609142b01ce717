import type {
  StatementItem,
  StatementRow,
  RowProblem,
  StatementDialect,
} from '../src/import/formats/statement';

/** The bytes as an upload arrives: in chunks of `size` (small sizes cut characters and records apart). */
export async function* chunks(data: Buffer | string, size = 64 * 1024): AsyncGenerator<Buffer> {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

export interface Read {
  dialect: StatementDialect;
  /** The last dialect item (with what only the end shows). */
  end: StatementDialect;
  rows: StatementRow[];
  problems: RowProblem[];
  items: StatementItem[];
}

export async function collect(items: AsyncIterable<StatementItem>): Promise<Read> {
  const all: StatementItem[] = [];
  for await (const item of items) all.push(item);
  const dialects = all.flatMap((item) => (item.kind === 'dialect' ? [item.dialect] : []));
  return {
    dialect: dialects[0],
    end: dialects[dialects.length - 1],
    rows: all.flatMap((item) => (item.kind === 'row' ? [item.row] : [])),
    problems: all.flatMap((item) => (item.kind === 'problem' ? [item.problem] : [])),
    items: all,
  };
}

/** A row with the fields a bank file leaves empty filled in, for `toEqual`. */
export function bankRow(
  fields: Partial<StatementRow> & Pick<StatementRow, 'line' | 'date' | 'amount'>,
): StatementRow {
  return {
    currency: null,
    type: null,
    account: null,
    toAccount: null,
    description: '',
    payee: null,
    category: null,
    notes: null,
    tags: [],
    externalId: null,
    ...fields,
  };
}
