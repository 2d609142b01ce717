import type { CalendarDate } from '@finance/shared';
import type { EntityManager } from 'typeorm';
import type { Db } from './db';

/**
 * Goals' read model of the ledger: the user's transactions (`ledger.transaction.*`) and accounts
 * (`ledger.account.*`), so a link is checked without calling the ledger and keeps working while
 * the ledger is down. The applied version of each lives in the shared `aggregate_versions`
 * (acceptAggregateVersion); a deleted one's row goes, and its version there keeps late events out.
 */

export interface KnownTransaction {
  id: string;
  userId: string;
  accountId: string;
  type: 'income' | 'expense' | 'transfer';
  /** The amount in the user's base currency when it was recorded, in minor units of `baseCurrency`. */
  baseAmountMinor: bigint;
  baseCurrency: string;
  /**
   * The amount in its own currency (the account's), in minor units of `currency`; null for rows
   * written before goals kept it. After the user changes base currency, a goal still in the old one
   * goes on counting a transaction made in that currency (valueIn).
   */
  amountMinor: bigint | null;
  currency: string | null;
  date: CalendarDate;
}

/**
 * What a transaction is worth in `currency` without a rate: its base amount when recorded in that
 * base currency, else its own amount when it was made in that currency; undefined otherwise (no
 * contribution is ever converted here: the ledger owns the rates).
 */
export function valueIn(t: KnownTransaction, currency: string): bigint | undefined {
  if (t.baseCurrency === currency) return t.baseAmountMinor;
  if (t.currency === currency && t.amountMinor !== null) return t.amountMinor;
  return undefined;
}

interface TransactionRow {
  id: string;
  user_id: string;
  account_id: string;
  type: KnownTransaction['type'];
  base_amount_minor: string;
  base_currency: string;
  amount_minor: string | null;
  currency: string | null;
  date: CalendarDate;
}

const transactionOf = (row: TransactionRow): KnownTransaction => ({
  id: row.id,
  userId: row.user_id,
  accountId: row.account_id,
  type: row.type,
  baseAmountMinor: BigInt(row.base_amount_minor),
  baseCurrency: row.base_currency,
  amountMinor: row.amount_minor === null ? null : BigInt(row.amount_minor),
  currency: row.currency,
  date: row.date,
});

/**
 * The user's transaction, or undefined (another user's is as absent as a missing one). With
 * `lock`, its row is held until the transaction ends: every contribution of it and every change
 * from the ledger queue on it, which keeps "contributions ≤ the transaction" exact.
 */
export async function findKnownTransaction(
  db: Db,
  userId: string,
  id: string,
  options: { lock?: boolean } = {},
): Promise<KnownTransaction | undefined> {
  const rows: TransactionRow[] = await db.query(
    `SELECT id, user_id, account_id, type, base_amount_minor::text, base_currency, amount_minor::text, currency, date::text
       FROM known_transactions WHERE id = $1 AND user_id = $2 ${options.lock ? 'FOR UPDATE' : ''}`,
    [id, userId],
  );
  return rows[0] ? transactionOf(rows[0]) : undefined;
}

/** Writes the transaction's state (the caller accepted its version); the row stays locked. */
export async function writeKnownTransaction(manager: EntityManager, t: KnownTransaction): Promise<void> {
  await manager.query(
    `INSERT INTO known_transactions (id, user_id, account_id, type, base_amount_minor, base_currency, amount_minor, currency, date)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
     ON CONFLICT (id) DO UPDATE SET user_id = EXCLUDED.user_id, account_id = EXCLUDED.account_id,
       type = EXCLUDED.type, base_amount_minor = EXCLUDED.base_amount_minor,
       base_currency = EXCLUDED.base_currency, amount_minor = EXCLUDED.amount_minor,
       currency = EXCLUDED.currency, date = EXCLUDED.date`,
    [
      t.id,
      t.userId,
      t.accountId,
      t.type,
      t.baseAmountMinor.toString(),
      t.baseCurrency,
      t.amountMinor?.toString() ?? null,
      t.currency,
      t.date,
    ],
  );
}

export async function removeKnownTransaction(manager: EntityManager, id: string): Promise<void> {
  await manager.query(`DELETE FROM known_transactions WHERE id = $1`, [id]);
}

/** Whether the account is one of the user's (live) accounts. */
export async function isKnownAccount(db: Db, userId: string, id: string): Promise<boolean> {
  const rows: unknown[] = await db.query(`SELECT 1 FROM known_accounts WHERE id = $1 AND user_id = $2`, [
    id,
    userId,
  ]);
  return rows.length === 1;
}

export async function writeKnownAccount(
  manager: EntityManager,
  account: { id: string; userId: string },
): Promise<void> {
  await manager.query(
    `INSERT INTO known_accounts (id, user_id) VALUES ($1, $2)
     ON CONFLICT (id) DO UPDATE SET user_id = EXCLUDED.user_id`,
    [account.id, account.userId],
  );
}

export async function removeKnownAccount(manager: EntityManager, id: string): Promise<void> {
  await manager.query(`DELETE FROM known_accounts WHERE id = $1`, [id]);
}

/**
 * For an event handler writing a user's rows: holds the user's directory row (FOR SHARE, as
 * `lockUserForWrite` does for HTTP writes) and answers false when the user was deleted. The
 * deletion takes that row exclusively, so an event racing the deletion either commits first (and
 * is purged by it) or waits and then writes nothing: no row of a deleted user survives.
 * A deactivated user's events still apply (their data stays theirs).
 */
export async function holdUserForEvent(manager: EntityManager, userId: string): Promise<boolean> {
  const lock = () =>
    manager.query(
      `SELECT deleted_at IS NOT NULL AS deleted FROM user_directory WHERE user_id = $1 FOR SHARE`,
      [userId],
    ) as Promise<Array<{ deleted: boolean }>>;
  let rows = await lock();
  if (rows.length === 0) {
    // Auth's registration has not arrived: an empty row to lock, filled in when it comes.
    await manager.query(`INSERT INTO user_directory (user_id) VALUES ($1) ON CONFLICT DO NOTHING`, [userId]);
    rows = await lock();
  }
  return rows[0]?.deleted === false;
}

/** Everything of the user in the read models (on `auth.user.deleted`). */
export async function forgetLedgerDataOf(manager: EntityManager, userId: string): Promise<void> {
  await manager.query(`DELETE FROM known_transactions WHERE user_id = $1`, [userId]);
  await manager.query(`DELETE FROM known_accounts WHERE user_id = $1`, [userId]);
}
