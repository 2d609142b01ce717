import { aggregateTypeOf } from '@finance/shared';
import type { EntityManager } from 'typeorm';

/**
 * The set-based writes of a run of `ledger.transaction.created` events (events/handlers.ts
 * `applyTransactionsCreated`): a handful of statements for hundreds of events, where the one-event
 * handler runs one to three per event.
 */

/**
 * Locks the aggregate versions of these transactions (in id order, so two runs never wait on each
 * other in a cycle) and returns the version each had before (none: first seen). A transaction
 * never seen gets `newest` at once; the caller raises the others with {@link raiseVersions}.
 * A no-op update is what returns the old version: PostgreSQL 15 has no OLD in RETURNING.
 */
export async function lockVersions(
  manager: EntityManager,
  eventType: string,
  newest: ReadonlyMap<string, number>,
): Promise<Map<string, number | null>> {
  const ids = [...newest.keys()].sort();
  const rows: Array<{ aggregate_id: string; version: number; inserted: boolean }> = await manager.query(
    `INSERT INTO aggregate_versions (aggregate_type, aggregate_id, version)
     SELECT $1, t.id, t.version FROM unnest($2::text[], $3::int[]) AS t(id, version) ORDER BY t.id
     ON CONFLICT (aggregate_type, aggregate_id) DO UPDATE SET version = aggregate_versions.version
     RETURNING aggregate_id, version, (xmax = 0) AS inserted`,
    [aggregateTypeOf(eventType), ids, ids.map((id) => newest.get(id))],
  );
  return new Map(rows.map((row) => [row.aggregate_id, row.inserted ? null : row.version]));
}

/** Sets the newest accepted version of transactions already known, as acceptAggregateVersion does. */
export async function raiseVersions(
  manager: EntityManager,
  eventType: string,
  versions: ReadonlyMap<string, number>,
): Promise<void> {
  if (versions.size === 0) return;
  await manager.query(
    `UPDATE aggregate_versions a SET version = t.version, updated_at = now()
     FROM unnest($2::text[], $3::int[]) AS t(id, version)
     WHERE a.aggregate_type = $1 AND a.aggregate_id = t.id AND a.version < t.version`,
    [aggregateTypeOf(eventType), [...versions.keys()], [...versions.values()]],
  );
}

/** A transaction as report_transactions stores it (minor units as decimal strings). */
export interface TransactionRow {
  id: string;
  user_id: string;
  account_id: string;
  to_account_id: string | null;
  category_id: string | null;
  type: 'income' | 'expense' | 'transfer';
  base_amount_minor: string;
  base_currency: string;
  amount_minor: string;
  currency: string;
  date: string;
  description: string;
  payee: string | null;
  notes: string | null;
  tags: string[];
  version: number;
  /** A split transaction's parts ([]: not split). */
  splits: StoredSplit[];
}

/** A part as report_transactions.splits stores it (minor units as decimal strings). */
export interface StoredSplit {
  categoryId: string | null;
  amountMinor: string;
  baseAmountMinor: string;
  notes: string | null;
  tags: string[];
}

/** The stored rows of these ids. */
export async function storedTransactions(
  manager: EntityManager,
  ids: readonly string[],
): Promise<Map<string, TransactionRow>> {
  if (ids.length === 0) return new Map();
  const rows: TransactionRow[] = await manager.query(
    `SELECT id, user_id, account_id, to_account_id, category_id, type, base_amount_minor::text AS base_amount_minor,
            base_currency, amount_minor::text AS amount_minor, currency, to_char(date, 'YYYY-MM-DD') AS date,
            description, payee, notes, tags, version, splits
     FROM report_transactions WHERE id = ANY($1::uuid[])`,
    [ids],
  );
  return new Map(rows.map((row) => [row.id, row]));
}

/** What one transaction adds to (count +1) or takes from (count −1) one roll-up row. */
export interface RollupDelta {
  table: 'daily_rollups' | 'daily_account_rollups';
  userId: string;
  accountId?: string;
  date: string;
  categoryKey: string;
  type: string;
  baseCurrency: string;
  amountMinor: bigint;
  count: 1 | -1;
}

const RECORD_COLUMNS = `id uuid, user_id uuid, account_id uuid, to_account_id uuid, category_id uuid, type text,
  base_amount_minor bigint, base_currency text, amount_minor bigint, currency text, date date, description text,
  payee text, notes text, tags text[], version int, splits jsonb`;

/** Roll-up deltas summed in SQL per row key, then added to the table in one upsert. */
function rollupPart(table: RollupDelta['table'], param: number): string {
  const account = table === 'daily_account_rollups' ? 'account_id, ' : '';
  const accountType = table === 'daily_account_rollups' ? 'account_id uuid, ' : '';
  return `INSERT INTO ${table} (user_id, ${account}date, category_key, type, base_currency, total_minor, count)
    SELECT user_id, ${account}date, category_key, type, base_currency, sum(amount), sum(count)
    FROM jsonb_to_recordset($${param}::jsonb) AS d(user_id uuid, ${accountType}date date, category_key uuid,
      type text, base_currency text, amount numeric, count int)
    GROUP BY user_id, ${account}date, category_key, type, base_currency
    ORDER BY user_id, ${account}date, category_key, type, base_currency
    ON CONFLICT (user_id, ${account}date, category_key, type, base_currency)
    DO UPDATE SET total_minor = ${table}.total_minor + EXCLUDED.total_minor, count = ${table}.count + EXCLUDED.count`;
}

/**
 * Writes the rows (one multi-row upsert) and the roll-up deltas (summed per row, one upsert per
 * table) in ONE statement; then, when a delta took something out, drops the rows it left empty,
 * as the one-event handler does.
 */
export async function writeTransactionRun(
  manager: EntityManager,
  rows: readonly TransactionRow[],
  deltas: readonly RollupDelta[],
): Promise<void> {
  const json = (table: RollupDelta['table']) =>
    JSON.stringify(
      deltas
        .filter((delta) => delta.table === table)
        .map((delta) => ({
          user_id: delta.userId,
          account_id: delta.accountId,
          date: delta.date,
          category_key: delta.categoryKey,
          type: delta.type,
          base_currency: delta.baseCurrency,
          amount: delta.amountMinor.toString(),
          count: delta.count,
        })),
    );
  await manager.query(
    `WITH upserted AS (
       INSERT INTO report_transactions (id, user_id, account_id, to_account_id, category_id, type,
         base_amount_minor, base_currency, amount_minor, currency, date, description, payee, notes, tags, version,
         splits)
       SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(${RECORD_COLUMNS}) ORDER BY id
       ON CONFLICT (id) DO UPDATE SET account_id = EXCLUDED.account_id, to_account_id = EXCLUDED.to_account_id,
         category_id = EXCLUDED.category_id, type = EXCLUDED.type, base_amount_minor = EXCLUDED.base_amount_minor,
         base_currency = EXCLUDED.base_currency, amount_minor = EXCLUDED.amount_minor, currency = EXCLUDED.currency,
         date = EXCLUDED.date, description = EXCLUDED.description, payee = EXCLUDED.payee, notes = EXCLUDED.notes,
         tags = EXCLUDED.tags, version = EXCLUDED.version, splits = EXCLUDED.splits
       RETURNING 1
     ), daily AS (${rollupPart('daily_rollups', 2)} RETURNING 1),
     account AS (${rollupPart('daily_account_rollups', 3)} RETURNING 1)
     SELECT 1`,
    [JSON.stringify(rows), json('daily_rollups'), json('daily_account_rollups')],
  );
  if (!deltas.some((delta) => delta.count < 0)) return;
  // Only rows a delta touched: counts never go below zero, so 0 means the last one went.
  await manager.query(
    `DELETE FROM daily_rollups r USING jsonb_to_recordset($1::jsonb) AS d(user_id uuid, date date, category_key uuid, type text, base_currency text)
     WHERE r.user_id = d.user_id AND r.date = d.date AND r.category_key = d.category_key AND r.type = d.type
       AND r.base_currency = d.base_currency AND r.count = 0`,
    [json('daily_rollups')],
  );
  await manager.query(
    `DELETE FROM daily_account_rollups r
     USING jsonb_to_recordset($1::jsonb) AS d(user_id uuid, account_id uuid, date date, category_key uuid, type text, base_currency text)
     WHERE r.user_id = d.user_id AND r.account_id = d.account_id AND r.date = d.date
       AND r.category_key = d.category_key AND r.type = d.type AND r.base_currency = d.base_currency AND r.count = 0`,
    [json('daily_account_rollups')],
  );
}
