import { SHARED_MIGRATIONS, createDataSource, openDatabase } from '@finance/shared';
import type { DataSource } from 'typeorm';
import { reportsMigrations } from './migrations';
import { rebuildBalanceChanges } from './balance-changes';
import { rebuildRollups } from './rollups';

/**
 * Filling reports' read model without events: the bench's seeding (a million transactions in
 * seconds, not the hours the event path would take) and an operator's backfill. The rows land in
 * `report_transactions` exactly as their `ledger.transaction.created` events would leave them, and
 * the roll-ups and day changes are then rebuilt from them by the repair path
 * (`rebuildDerivedTables`), so reading them back gives what consuming the events would have given.
 * This module is reports' only surface for it: nothing outside reports writes its tables.
 */

/**
 * Reports' database at `url` (a running system's), its schema brought up to date as the service
 * does at start: for tools and the bench, which load data beside a started service.
 */
export function openReportsDatabase(url: string, poolSize = 2): Promise<DataSource> {
  return openDatabase(
    createDataSource({
      url,
      entities: [],
      migrations: [...SHARED_MIGRATIONS, ...reportsMigrations],
      poolSize,
      applicationName: 'reports-bulk-load',
    }),
  );
}

/** One transaction as the read model keeps it (what its `ledger.transaction.created` carries). */
export interface BulkTransaction {
  id: string;
  userId: string;
  accountId: string;
  /** Transfers only: the account the money went to. */
  toAccountId?: string | null;
  categoryId: string | null;
  type: 'income' | 'expense' | 'transfer';
  /** In `currency`'s minor units. */
  amountMinor: bigint;
  currency: string;
  /** In the user's base currency's minor units, as the ledger converted it. */
  baseAmountMinor: bigint;
  baseCurrency: string;
  /** YYYY-MM-DD */
  date: string;
  description: string;
  payee?: string | null;
  notes?: string | null;
  tags?: string[];
  /** The transaction's version in the ledger (default 1). */
  version?: number;
  /** A transfer between currencies: what arrived, in `toCurrency`'s minor units (else absent). */
  toAmountMinor?: bigint | null;
  toCurrency?: string | null;
}

/** Rows per INSERT: a million rows is 50 statements of ~5 MB each (measured: ~30 µs a row, indexes kept). */
const DEFAULT_BATCH_SIZE = 20_000;

/**
 * Inserts the transactions (an id already present is left as it is), then rebuilds the roll-ups of
 * every user they belong to and refreshes the planner's statistics. Returns how many rows were new
 * and whose roll-ups were rebuilt.
 */
export async function bulkLoadTransactions(
  db: DataSource,
  transactions: Iterable<BulkTransaction> | AsyncIterable<BulkTransaction>,
  options: { batchSize?: number } = {},
): Promise<{ inserted: number; users: string[] }> {
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  const users = new Set<string>();
  let inserted = 0;
  let batch: BulkTransaction[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    inserted += await insertBatch(db, batch);
    batch = [];
  };
  for await (const transaction of transactions) {
    users.add(transaction.userId);
    batch.push(transaction);
    if (batch.length >= batchSize) await flush();
  }
  await flush();
  for (const userId of users) await rebuildDerivedTables(db, userId);
  await db.query(`ANALYZE report_transactions, daily_rollups, daily_account_rollups, account_day_changes`);
  return { inserted, users: [...users] };
}

async function insertBatch(db: DataSource, batch: BulkTransaction[]): Promise<number> {
  // One JSON parameter per batch: any number of rows in one statement, tags included as arrays.
  const rows = batch.map((t) => ({
    id: t.id,
    user_id: t.userId,
    account_id: t.accountId,
    to_account_id: t.toAccountId ?? null,
    category_id: t.categoryId,
    type: t.type,
    base_amount_minor: t.baseAmountMinor.toString(),
    base_currency: t.baseCurrency,
    amount_minor: t.amountMinor.toString(),
    currency: t.currency,
    date: t.date,
    description: t.description,
    payee: t.payee ?? null,
    notes: t.notes ?? null,
    tags: t.tags ?? [],
    version: t.version ?? 1,
  }));
  // What transfers between currencies delivered: kept beside the rows, as their events would.
  const arrivals = batch
    .filter((t) => t.type === 'transfer' && t.toAmountMinor != null && t.toCurrency)
    .map((t) => ({
      id: t.id,
      user_id: t.userId,
      to_amount_minor: t.toAmountMinor!.toString(),
      to_currency: t.toCurrency,
    }));
  const [{ inserted }] = (await db.query(
    `WITH added AS (INSERT INTO report_transactions (id, user_id, account_id, to_account_id, category_id, type, base_amount_minor,
       base_currency, amount_minor, currency, date, description, payee, notes, tags, version)
     SELECT id, user_id, account_id, to_account_id, category_id, type, base_amount_minor, base_currency,
            amount_minor, currency, date, description, payee, notes, tags, version
     FROM json_to_recordset($1::json) AS r(id uuid, user_id uuid, account_id uuid, to_account_id uuid,
       category_id uuid, type text, base_amount_minor bigint, base_currency char(3), amount_minor bigint,
       currency char(3), date date, description text, payee text, notes text, tags text[], version integer)
     ON CONFLICT (id) DO NOTHING
     RETURNING id)
     , arrived AS (INSERT INTO report_transfer_arrivals (transaction_id, user_id, to_amount_minor, to_currency)
       SELECT a.id, a.user_id, a.to_amount_minor, a.to_currency
       FROM json_to_recordset($2::json) AS a(id uuid, user_id uuid, to_amount_minor bigint, to_currency char(3))
       WHERE a.id IN (SELECT id FROM added)
       ON CONFLICT (transaction_id) DO NOTHING)
     SELECT count(*)::int AS inserted FROM added`,
    [JSON.stringify(rows), JSON.stringify(arrivals)],
  )) as Array<{ inserted: number }>;
  return inserted;
}

/**
 * Everything reports derives from a user's stored transactions, recomputed: the daily roll-ups
 * (`rebuildRollups`), then net worth's per-account day changes (`rebuildBalanceChanges`). The path
 * after a bulk insert into the read model, and the repair of both.
 */
export async function rebuildDerivedTables(db: DataSource, userId: string): Promise<void> {
  await rebuildRollups(db, userId);
  await db.transaction((manager) => rebuildBalanceChanges(manager, userId));
}

export { rebuildRollups };
