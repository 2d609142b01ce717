import type { DataSource } from 'typeorm';

export interface ExportFilters {
  from: string;
  to: string;
  accountId?: string;
  /** A category id, or null for uncategorised transactions only. */
  categoryId?: string | null;
  type?: 'income' | 'expense' | 'transfer';
}

export interface ExportRow {
  id: string;
  date: string;
  type: string;
  amount_minor: string;
  currency: string;
  base_amount_minor: string;
  base_currency: string;
  account: string | null;
  to_account: string | null;
  category: string | null;
  description: string;
  payee: string | null;
  notes: string | null;
  tags: string[];
}

/**
 * One keyset batch of a user's transactions in (date, id) order, after `after` — the index
 * (user_id, date, id) makes every batch cost the same however deep the export is.
 */
export async function exportBatch(
  db: DataSource,
  userId: string,
  filters: ExportFilters,
  after: { date: string; id: string } | null,
  size: number,
): Promise<ExportRow[]> {
  const params: unknown[] = [userId, filters.from, filters.to, size];
  let where = 't.user_id = $1 AND t.date BETWEEN $2 AND $3';
  const add = (clause: (n: string) => string, value: unknown) => {
    params.push(value);
    where += ` AND ${clause(`$${params.length}`)}`;
  };
  if (filters.accountId) add((n) => `(t.account_id = ${n} OR t.to_account_id = ${n})`, filters.accountId);
  if (filters.categoryId === null) where += ' AND t.category_id IS NULL';
  else if (filters.categoryId) add((n) => `t.category_id = ${n}`, filters.categoryId);
  if (filters.type) add((n) => `t.type = ${n}`, filters.type);
  if (after) {
    params.push(after.date, after.id);
    where += ` AND (t.date, t.id) > ($${params.length - 1}::date, $${params.length}::uuid)`;
  }
  return (await db.query(
    `SELECT t.id, to_char(t.date, 'YYYY-MM-DD') AS date, t.type, t.amount_minor::text AS amount_minor, t.currency,
            t.base_amount_minor::text AS base_amount_minor, trim(t.base_currency) AS base_currency,
            a.name AS account, ta.name AS to_account, c.name AS category, t.description, t.payee, t.notes, t.tags
     FROM report_transactions t
     LEFT JOIN report_accounts a ON a.id = t.account_id
     LEFT JOIN report_accounts ta ON ta.id = t.to_account_id
     LEFT JOIN report_categories c ON c.id = t.category_id
     WHERE ${where}
     ORDER BY t.date, t.id
     LIMIT $4`,
    params,
  )) as ExportRow[];
}
