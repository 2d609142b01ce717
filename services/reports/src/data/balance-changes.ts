import type { DataSource, EntityManager } from 'typeorm';

/**
 * `account_day_changes` (migration 1796710000000): each account's balance change per day, in its
 * own currency and in the booked base currency, kept beside the transaction read model so net
 * worth and balance history read days × accounts, never transactions.
 */
type Db = DataSource | EntityManager;

/** A transaction as far as balances go: the read-model row plus what a transfer delivered. */
export interface BalanceState {
  id: string;
  user_id: string;
  account_id: string;
  to_account_id: string | null;
  type: 'income' | 'expense' | 'transfer';
  amount_minor: string;
  currency: string;
  base_amount_minor: string;
  base_currency: string;
  date: string;
  version: number;
  /** A transfer between currencies: what arrived, in `to_currency`; null otherwise. */
  to_amount_minor: string | null;
  to_currency: string | null;
}

/** What a transfer between currencies delivered (the event's `toAmount`, `toCurrency`). */
export interface TransferArrival {
  toAmountMinor: bigint;
  toCurrency: string;
}

/** One account's change on one day from one transaction (a leg), or the reverse of one. */
export interface BalanceLeg {
  userId: string;
  accountId: string;
  date: string;
  currency: string;
  baseCurrency: string;
  changeMinor: bigint;
  baseChangeMinor: bigint;
  count: 1 | -1;
}

/**
 * Serialises the balance bookkeeping of these transactions across replicas: two batches holding
 * the same transaction read its state before and after one another, never both before. Locks are
 * taken in id order (no cycles) and held until the transaction ends.
 */
export async function lockBalanceStates(manager: EntityManager, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  await manager.query(
    `SELECT pg_advisory_xact_lock(hashtextextended('reports.balance:' || id, 0))
     FROM unnest($1::text[]) AS t(id) ORDER BY id`,
    [[...new Set(ids.map((id) => id.toLowerCase()))].sort()],
  );
}

/** The stored balance state of these transactions (ids as stored: lower case). */
export async function balanceStates(
  manager: EntityManager,
  ids: readonly string[],
): Promise<Map<string, BalanceState>> {
  if (ids.length === 0) return new Map();
  const rows: BalanceState[] = await manager.query(
    `SELECT t.id, t.user_id, t.account_id, t.to_account_id, t.type, t.amount_minor::text AS amount_minor, t.currency,
            t.base_amount_minor::text AS base_amount_minor, t.base_currency, to_char(t.date, 'YYYY-MM-DD') AS date,
            t.version, a.to_amount_minor::text AS to_amount_minor, a.to_currency
     FROM report_transactions t LEFT JOIN report_transfer_arrivals a ON a.transaction_id = t.id
     WHERE t.id = ANY($1::uuid[])`,
    [ids],
  );
  return new Map(rows.map((row) => [row.id, row]));
}

/**
 * Writes what changed: the arrivals of these transactions (`null`: none, or no longer stored) and
 * the legs summed per day row in SQL (exact numeric), then drops the rows left without legs.
 */
export async function writeBalanceChanges(
  manager: EntityManager,
  arrivals: ReadonlyMap<string, { userId: string; arrival: TransferArrival | null }>,
  legs: readonly BalanceLeg[],
): Promise<void> {
  const kept = [...arrivals].filter(([, a]) => a.arrival !== null);
  if (arrivals.size > 0)
    await manager.query(
      `WITH gone AS (
         DELETE FROM report_transfer_arrivals WHERE transaction_id = ANY($1::uuid[]) AND NOT transaction_id = ANY($2::uuid[])
       )
       INSERT INTO report_transfer_arrivals (transaction_id, user_id, to_amount_minor, to_currency)
       SELECT * FROM unnest($2::uuid[], $3::uuid[], $4::bigint[], $5::text[])
       ON CONFLICT (transaction_id) DO UPDATE SET to_amount_minor = EXCLUDED.to_amount_minor,
         to_currency = EXCLUDED.to_currency`,
      [
        [...arrivals.keys()],
        kept.map(([id]) => id),
        kept.map(([, a]) => a.userId),
        kept.map(([, a]) => a.arrival!.toAmountMinor.toString()),
        kept.map(([, a]) => a.arrival!.toCurrency),
      ],
    );
  if (legs.length === 0) return;
  const json = JSON.stringify(
    legs.map((leg) => ({
      user_id: leg.userId,
      account_id: leg.accountId,
      date: leg.date,
      currency: leg.currency,
      base_currency: leg.baseCurrency,
      change: leg.changeMinor.toString(),
      base_change: leg.baseChangeMinor.toString(),
      count: leg.count,
    })),
  );
  await manager.query(
    `INSERT INTO account_day_changes (user_id, account_id, date, currency, base_currency, change_minor, base_change_minor, count)
     SELECT user_id, account_id, date, currency, base_currency, sum(change), sum(base_change), sum(count)
     FROM jsonb_to_recordset($1::jsonb) AS l(user_id uuid, account_id uuid, date date, currency text,
       base_currency text, change numeric, base_change numeric, count int)
     GROUP BY user_id, account_id, date, currency, base_currency
     ORDER BY user_id, account_id, date, currency, base_currency
     ON CONFLICT (user_id, account_id, date, currency, base_currency) DO UPDATE SET
       change_minor = account_day_changes.change_minor + EXCLUDED.change_minor,
       base_change_minor = account_day_changes.base_change_minor + EXCLUDED.base_change_minor,
       count = account_day_changes.count + EXCLUDED.count`,
    [json],
  );
  if (!legs.some((leg) => leg.count < 0)) return;
  // Only rows a leg touched: counts never go below zero, so 0 means the last leg went.
  await manager.query(
    `DELETE FROM account_day_changes c
     USING jsonb_to_recordset($1::jsonb) AS l(user_id uuid, account_id uuid, date date, currency text, base_currency text)
     WHERE c.user_id = l.user_id AND c.account_id = l.account_id AND c.date = l.date
       AND c.currency = l.currency AND c.base_currency = l.base_currency AND c.count = 0`,
    [json],
  );
}

/**
 * Recomputes a user's day changes from their stored transactions and arrivals in one pass (the
 * repair and bulk-load path, `rebuildDerivedTables` in bulk-load.ts), in the caller's transaction.
 */
export async function rebuildBalanceChanges(manager: EntityManager, userId: string): Promise<void> {
  await manager.query(`DELETE FROM account_day_changes WHERE user_id = $1`, [userId]);
  await manager.query(
    `INSERT INTO account_day_changes (user_id, account_id, date, currency, base_currency, change_minor, base_change_minor, count)
     SELECT user_id, account_id, date, currency, base_currency, sum(change), sum(base_change), count(*)
     FROM (
       SELECT user_id, account_id, date, currency, base_currency,
              CASE WHEN type = 'income' THEN amount_minor ELSE -amount_minor END AS change,
              CASE WHEN type = 'income' THEN base_amount_minor ELSE -base_amount_minor END AS base_change
       FROM report_transactions WHERE user_id = $1
       UNION ALL
       SELECT t.user_id, t.to_account_id, t.date, coalesce(a.to_currency, t.currency), t.base_currency,
              coalesce(a.to_amount_minor, t.amount_minor), t.base_amount_minor
       FROM report_transactions t LEFT JOIN report_transfer_arrivals a ON a.transaction_id = t.id
       WHERE t.user_id = $1 AND t.type = 'transfer' AND t.to_account_id IS NOT NULL
     ) legs
     GROUP BY user_id, account_id, date, currency, base_currency`,
    [userId],
  );
}

/** An account as net worth and balance history read it. */
export interface BalanceAccountRow {
  id: string;
  name: string;
  type: string;
  currency: string;
  opening_balance_minor: string;
}

/** The user's live accounts (deleted ones never held money: the ledger deletes only empty accounts). */
export async function balanceAccounts(
  db: Db,
  userId: string,
  accountId?: string,
): Promise<BalanceAccountRow[]> {
  return (await db.query(
    `SELECT id, name, type, currency, opening_balance_minor::text AS opening_balance_minor
     FROM report_accounts WHERE user_id = $1 AND NOT deleted ${accountId ? 'AND id = $2' : ''}
     ORDER BY id`,
    accountId ? [userId, accountId] : [userId],
  )) as BalanceAccountRow[];
}

/** A running sum at the end of a bucket: bucket 0 is everything before `from`, bucket i the i-th period. */
export interface RunningSumRow {
  bucket: number;
  liability: boolean;
  running_minor: string;
}

/**
 * Net worth's running sums of booked base amounts in `currency`, per bucket and per side (assets,
 * liabilities), up to `to`. `thresholds` are the first days of buckets 1…n (from, then every later
 * period's start). Only buckets with changes are answered; the caller carries sums forward.
 */
export async function netWorthRunningSums(
  db: Db,
  userId: string,
  scope: { currency: string; thresholds: readonly string[]; to: string; liabilityTypes: readonly string[] },
): Promise<RunningSumRow[]> {
  return (await db.query(
    `SELECT bucket, liability, (sum(sum(change)) OVER (PARTITION BY liability ORDER BY bucket))::text AS running_minor
     FROM (
       SELECT width_bucket(c.date, $3::date[]) AS bucket, a.type = ANY($5::text[]) AS liability,
              c.base_change_minor AS change
       FROM account_day_changes c JOIN report_accounts a ON a.id = c.account_id AND a.user_id = c.user_id
       WHERE c.user_id = $1 AND c.base_currency = $2 AND c.date <= $4 AND NOT a.deleted
     ) d
     GROUP BY bucket, liability ORDER BY bucket, liability`,
    [userId, scope.currency, scope.thresholds, scope.to, scope.liabilityTypes],
  )) as RunningSumRow[];
}

/** One account's running sums in its own `currency`, per bucket (as {@link netWorthRunningSums}). */
export async function accountRunningSums(
  db: Db,
  userId: string,
  accountId: string,
  scope: { currency: string; thresholds: readonly string[]; to: string },
): Promise<Array<{ bucket: number; running_minor: string }>> {
  return (await db.query(
    `SELECT bucket, (sum(sum(change_minor)) OVER (ORDER BY bucket))::text AS running_minor
     FROM (SELECT width_bucket(date, $3::date[]) AS bucket, change_minor FROM account_day_changes
           WHERE user_id = $1 AND account_id = $2 AND currency = $4 AND date <= $5) d
     GROUP BY bucket ORDER BY bucket`,
    [userId, accountId, scope.thresholds, scope.currency, scope.to],
  )) as Array<{ bucket: number; running_minor: string }>;
}

/** Transaction legs of one account up to `to` in another currency than its own (left out, counted). */
export async function accountLegsInOtherCurrencies(
  db: Db,
  userId: string,
  accountId: string,
  scope: { currency: string; to: string },
): Promise<Array<{ currency: string; count: number }>> {
  return (await db.query(
    `SELECT currency, sum(count)::int AS count FROM account_day_changes
     WHERE user_id = $1 AND account_id = $2 AND currency <> $3 AND date <= $4 GROUP BY currency`,
    [userId, accountId, scope.currency, scope.to],
  )) as Array<{ currency: string; count: number }>;
}

/**
 * Transactions up to `to` by booked base currency, each once (income and expense on their account,
 * a transfer on its source), from the per-account roll-ups.
 */
export async function transactionCountsByBaseCurrency(
  db: Db,
  userId: string,
  to: string,
): Promise<Array<{ currency: string; count: number }>> {
  return (await db.query(
    `SELECT base_currency AS currency, sum(count)::int AS count FROM daily_account_rollups
     WHERE user_id = $1 AND date <= $2 AND type IN ('income', 'expense', 'transfer_out') GROUP BY 1`,
    [userId, to],
  )) as Array<{ currency: string; count: number }>;
}
