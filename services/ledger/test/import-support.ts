import { CSV_COLUMNS, encodeTags, neutraliseCell } from '@finance/shared';
import type { LedgerHarness, TestUser } from './support';

/** One row of our own export (reports' GET /export/csv), as the test states it. */
export interface ExportRow {
  date: string;
  transaction_type: 'income' | 'expense' | 'transfer';
  amount: string;
  currency?: string;
  account?: string;
  to_account?: string;
  category?: string;
  description?: string;
  payee?: string;
  notes?: string;
  tags?: string[];
}

function cell(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The export's CSV for these rows: its header, its cell rules (formula neutralisation, tags as JSON). */
export function exportCsv(rows: ExportRow[]): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const r of rows) {
    const values: Record<string, string> = {
      date: r.date,
      transaction_type: r.transaction_type,
      amount: r.amount,
      currency: r.currency ?? 'USD',
      account: neutraliseCell(r.account ?? ''),
      to_account: neutraliseCell(r.to_account ?? ''),
      category: neutraliseCell(r.category ?? ''),
      description: neutraliseCell(r.description ?? ''),
      payee: neutraliseCell(r.payee ?? ''),
      notes: neutraliseCell(r.notes ?? ''),
      tags: encodeTags(r.tags ?? []),
    };
    lines.push(CSV_COLUMNS.map((c) => cell(values[c])).join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}

/** POST /import/csv with the file as the text/csv body. */
export function importCsv(
  h: LedgerHarness,
  user: TestUser,
  csv: string | Buffer,
  query = '',
  headers: Record<string, string> = {},
) {
  return h.call('POST', `/import/csv${query ? `?${query}` : ''}`, user, {
    body: typeof csv === 'string' ? csv : csv.toString('latin1'),
    headers: { 'content-type': 'text/csv', ...headers },
  });
}

/** POST /import/csv as a multipart form (part `file`, optional fields). */
export async function importMultipart(
  h: LedgerHarness,
  user: TestUser,
  csv: string,
  fields: Record<string, string> = {},
  query = '',
) {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  form.append('file', new Blob([csv], { type: 'text/csv' }), 'statement.csv');
  const response = await fetch(`${h.service.url}/import/csv${query ? `?${query}` : ''}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${user.token}` },
    body: form,
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}

/** Every transaction of the user, oldest first (all pages). */
export async function allTransactions(h: LedgerHarness, user: TestUser): Promise<any[]> {
  const out: any[] = [];
  let cursor: string | null = null;
  do {
    const page: { body: { data: any[]; next_cursor: string | null } } = await h.call(
      'GET',
      `/transactions?sort=date&limit=200${cursor ? `&cursor=${cursor}` : ''}`,
      user,
    );
    out.push(...page.body.data);
    cursor = page.body.next_cursor;
  } while (cursor);
  return out;
}
