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
  /** 1, 2, … for the parts of a split transaction (one row each); null when not split. */
  split_part: number | null;
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
  // A split transaction is in each of its parts' categories (the ledger's list filter too).
  if (filters.categoryId === null)
    where += ` AND t.category_id IS NULL AND (t.splits = '[]'::jsonb OR jsonb_path_exists(t.splits, '$[*] ? (@.categoryId == null)'))`;
  else if (filters.categoryId)
    add(
      (n) =>
        `(t.category_id = ${n} OR t.splits @> jsonb_build_array(jsonb_build_object('categoryId', ${n}::text)))`,
      filters.categoryId,
    );
  if (filters.type) add((n) => `t.type = ${n}`, filters.type);
  if (after) {
    params.push(after.date, after.id);
    where += ` AND (t.date, t.id) > ($${params.length - 1}::date, $${params.length}::uuid)`;
  }
  // The batch is `size` transactions (a keyset over them), then each split one becomes its parts'
  // rows: a batch never ends inside a transaction.
  return (await db.query(
    `WITH page AS (SELECT * FROM report_transactions t WHERE ${where} ORDER BY t.date, t.id LIMIT $4)
     SELECT t.id, to_char(t.date, 'YYYY-MM-DD') AS date, t.type,
            coalesce(p.part->>'amountMinor', t.amount_minor::text) AS amount_minor, t.currency,
            coalesce(p.part->>'baseAmountMinor', t.base_amount_minor::text) AS base_amount_minor,
            trim(t.base_currency) AS base_currency,
            a.name AS account, ta.name AS to_account, c.name AS category, t.description, t.payee,
            CASE WHEN p.n IS NULL THEN t.notes ELSE p.part->>'notes' END AS notes,
            CASE WHEN p.n IS NULL THEN t.tags
                 ELSE ARRAY(SELECT jsonb_array_elements_text(p.part->'tags')) END AS tags,
            p.n::int AS split_part
     FROM page t
     LEFT JOIN LATERAL jsonb_array_elements(t.splits) WITH ORDINALITY AS p(part, n) ON true
     LEFT JOIN report_accounts a ON a.id = t.account_id
     LEFT JOIN report_accounts ta ON ta.id = t.to_account_id
     LEFT JOIN report_categories c
       ON c.id = CASE WHEN p.n IS NULL THEN t.category_id ELSE (p.part->>'categoryId')::uuid END
     ORDER BY t.date, t.id, p.n`,
    params,
  )) as ExportRow[];
}
