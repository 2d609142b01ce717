import { MoreThan, type EntityManager } from 'typeorm';
import { Transaction } from './entities';
import { repriceSplits, withSplits } from './transaction-splits';

/** A user's base-currency change being applied to their transactions. */
export interface BaseCurrencyChange {
  userId: string;
  baseCurrency: string;
  status: 'running' | 'done';
  total: number;
  done: number;
  /** Transactions left in their old base currency: no rate on or before their date. */
  failed: number;
  lastProblem: string | null;
  lastId: string | null;
  startedAt: Date;
  updatedAt: Date;
}

interface ChangeRow {
  user_id: string;
  base_currency: string;
  status: 'running' | 'done';
  total: number;
  done: number;
  failed: number;
  last_problem: string | null;
  last_id: string | null;
  started_at: Date;
  updated_at: Date;
}

function changeOf(row: ChangeRow): BaseCurrencyChange {
  return {
    userId: row.user_id,
    baseCurrency: row.base_currency,
    status: row.status,
    total: row.total,
    done: row.done,
    failed: row.failed,
    lastProblem: row.last_problem,
    lastId: row.last_id,
    startedAt: row.started_at,
    updatedAt: row.updated_at,
  };
}

/**
 * Starts (or restarts, for a newer change) the recomputation of a user's base amounts into
 * `baseCurrency`, counting the transactions recorded in another base currency. Nothing to do
 * (every transaction already in it): no row, or the finished one.
 */
export async function startBaseCurrencyChange(
  manager: EntityManager,
  userId: string,
  baseCurrency: string,
  now: Date,
): Promise<void> {
  await manager.query(
    `WITH pending AS (
       SELECT count(*)::int AS n FROM transactions WHERE user_id = $1 AND base_currency <> $2)
     INSERT INTO base_currency_changes (user_id, base_currency, status, total, done, failed, last_problem, last_id, started_at, updated_at)
     SELECT $1, $2, 'running', n, 0, 0, NULL, NULL, $3, $3 FROM pending WHERE n > 0
     ON CONFLICT (user_id) DO UPDATE
       SET base_currency = EXCLUDED.base_currency, status = 'running', total = EXCLUDED.total, done = 0,
           failed = 0, last_problem = NULL, last_id = NULL, started_at = EXCLUDED.started_at, updated_at = EXCLUDED.updated_at
       WHERE base_currency_changes.base_currency <> EXCLUDED.base_currency OR base_currency_changes.status = 'done'`,
    [userId, baseCurrency, now],
  );
}

/**
 * Reopens finished changes that left transactions in their old base currency (no rate then)
 * when new rates might convert them now: a rate naming the transaction's currency or the new base
 * (directly or as one leg of a cross rate), dated on or before the transaction. The job then runs
 * them again like any change; the ones still without a rate stay as they are, counted as failed.
 * Only rates that changed reopen anything, so asking the provider again cannot loop.
 */
export async function reopenChangesHelpedBy(
  manager: EntityManager,
  changed: { currencies: string[]; from: string },
  now: Date,
): Promise<number> {
  const reopened: unknown[] = await manager.query(
    `UPDATE base_currency_changes c
        SET status = 'running', done = 0, failed = 0, last_problem = NULL, last_id = NULL,
            started_at = $3, updated_at = $3,
            total = (SELECT count(*)::int FROM transactions t
                      WHERE t.user_id = c.user_id AND t.base_currency <> c.base_currency)
      WHERE c.status = 'done' AND c.failed > 0
        AND EXISTS (SELECT 1 FROM transactions t
                     WHERE t.user_id = c.user_id AND t.base_currency <> c.base_currency AND t.date >= $2::date
                       AND (t.currency = ANY($1::text[]) OR c.base_currency = ANY($1::text[])))
      RETURNING c.user_id`,
    [changed.currencies, changed.from, now],
  );
  return reopened.length;
}

export async function findBaseCurrencyChange(
  manager: EntityManager,
  userId: string,
): Promise<BaseCurrencyChange | undefined> {
  const [row]: ChangeRow[] = await manager.query(`SELECT * FROM base_currency_changes WHERE user_id = $1`, [
    userId,
  ]);
  return row && changeOf(row);
}

/** The changes still running, oldest first, the one to work on locked (another replica skips it). */
export async function lockRunningChange(manager: EntityManager): Promise<BaseCurrencyChange | undefined> {
  const [row]: ChangeRow[] = await manager.query(
    `SELECT * FROM base_currency_changes WHERE status = 'running' ORDER BY updated_at LIMIT 1 FOR UPDATE SKIP LOCKED`,
  );
  return row && changeOf(row);
}

/** The next transactions of the change's user after where it got to, locked, by id. */
export async function nextTransactionsOf(
  manager: EntityManager,
  change: BaseCurrencyChange,
  limit: number,
): Promise<Transaction[]> {
  const rows = await manager.find(Transaction, {
    where: { userId: change.userId, ...(change.lastId ? { id: MoreThan(change.lastId) } : {}) },
    order: { id: 'ASC' },
    take: limit,
    lock: { mode: 'pessimistic_write' },
  });
  return withSplits(manager, rows);
}

/** Saves a transaction's new base amount, its parts re-priced from it. */
export async function saveRecomputedTransaction(
  manager: EntityManager,
  transaction: Transaction,
): Promise<void> {
  await manager.save(Transaction, transaction);
  await repriceSplits(manager, transaction);
}

export async function recordBaseChangeProgress(
  manager: EntityManager,
  change: BaseCurrencyChange,
  progress: {
    done: number;
    failed: number;
    lastProblem: string | null;
    lastId: string | null;
    finished: boolean;
  },
  now: Date,
): Promise<void> {
  await manager.query(
    `UPDATE base_currency_changes
        SET done = done + $2, failed = failed + $3, last_problem = coalesce($4, last_problem),
            last_id = coalesce($5, last_id), status = $6, updated_at = $7
      WHERE user_id = $1`,
    [
      change.userId,
      progress.done,
      progress.failed,
      progress.lastProblem,
      progress.lastId,
      progress.finished ? 'done' : 'running',
      now,
    ],
  );
}
