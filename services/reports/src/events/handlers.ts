import { acceptAggregateVersion, toMinorUnits } from '@finance/shared';
import type { EntityManager } from 'typeorm';
import { isValidTimezone } from '../domain/calendar';
import type { FinanceEvent } from './contract';

/** Nil UUID: the roll-up key of uncategorised transactions (a real value, so unique indexes see it). */
export const UNCATEGORISED = '00000000-0000-0000-0000-000000000000';

type TransactionEvent = FinanceEvent<
  'ledger.transaction.created' | 'ledger.transaction.updated' | 'ledger.transaction.deleted'
>;

/** What one transaction adds to the roll-ups. */
interface Contribution {
  userId: string;
  accountId: string;
  toAccountId: string | null;
  categoryId: string | null;
  type: 'income' | 'expense' | 'transfer';
  baseAmountMinor: bigint;
  date: string;
}

interface StoredTransaction {
  user_id: string;
  account_id: string;
  to_account_id: string | null;
  category_id: string | null;
  type: 'income' | 'expense' | 'transfer';
  base_amount_minor: string;
  date: string;
}

async function addToRollups(manager: EntityManager, c: Contribution, sign: 1n | -1n): Promise<void> {
  const amount = (c.baseAmountMinor * sign).toString();
  const count = Number(sign);
  const categoryKey = c.categoryId ?? UNCATEGORISED;
  if (c.type === 'transfer') {
    // Transfers move money between the user's own accounts: never income or expense.
    await addToAccountRollup(
      manager,
      c.userId,
      c.accountId,
      c.date,
      categoryKey,
      'transfer_out',
      amount,
      count,
    );
    if (c.toAccountId)
      await addToAccountRollup(
        manager,
        c.userId,
        c.toAccountId,
        c.date,
        categoryKey,
        'transfer_in',
        amount,
        count,
      );
    return;
  }
  await manager.query(
    `INSERT INTO daily_rollups (user_id, date, category_key, type, total_minor, count)
     VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (user_id, date, category_key, type)
     DO UPDATE SET total_minor = daily_rollups.total_minor + EXCLUDED.total_minor,
                   count = daily_rollups.count + EXCLUDED.count`,
    [c.userId, c.date, categoryKey, c.type, amount, count],
  );
  if (sign < 0n) {
    await manager.query(
      `DELETE FROM daily_rollups WHERE user_id = $1 AND date = $2 AND category_key = $3 AND type = $4 AND count = 0`,
      [c.userId, c.date, categoryKey, c.type],
    );
  }
  await addToAccountRollup(manager, c.userId, c.accountId, c.date, categoryKey, c.type, amount, count);
}

async function addToAccountRollup(
  manager: EntityManager,
  userId: string,
  accountId: string,
  date: string,
  categoryKey: string,
  type: string,
  amount: string,
  count: number,
): Promise<void> {
  await manager.query(
    `INSERT INTO daily_account_rollups (user_id, account_id, date, category_key, type, total_minor, count)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (user_id, account_id, date, category_key, type)
     DO UPDATE SET total_minor = daily_account_rollups.total_minor + EXCLUDED.total_minor,
                   count = daily_account_rollups.count + EXCLUDED.count`,
    [userId, accountId, date, categoryKey, type, amount, count],
  );
  if (count < 0) {
    await manager.query(
      `DELETE FROM daily_account_rollups
       WHERE user_id = $1 AND account_id = $2 AND date = $3 AND category_key = $4 AND type = $5 AND count = 0`,
      [userId, accountId, date, categoryKey, type],
    );
  }
}

/**
 * created / updated / deleted of a transaction: replace the stored row and move its roll-up
 * contribution (− old, + new), all in the caller's transaction. An event whose version is not
 * newer than the newest applied (a duplicate, or one overtaken by a later event — even by the
 * delete) changes nothing: acceptAggregateVersion remembers versions beyond the row's life and
 * its row lock serialises concurrent events of one transaction.
 */
export async function applyTransactionEvent(event: TransactionEvent, manager: EntityManager): Promise<void> {
  if (!(await acceptAggregateVersion(manager, event))) return;
  const [stored] = (await manager.query(
    `SELECT user_id, account_id, to_account_id, category_id, type, base_amount_minor,
            to_char(date, 'YYYY-MM-DD') AS date
     FROM report_transactions WHERE id = $1`,
    [event.aggregateId],
  )) as StoredTransaction[];
  // Ids are the ledger's UUIDs; one claimed by another user is not this user's to change.
  if (stored && stored.user_id !== event.userId) return;

  if (stored) {
    await addToRollups(
      manager,
      {
        userId: stored.user_id,
        accountId: stored.account_id,
        toAccountId: stored.to_account_id,
        categoryId: stored.category_id,
        type: stored.type,
        baseAmountMinor: BigInt(stored.base_amount_minor),
        date: stored.date,
      },
      -1n,
    );
  }

  const p = event.payload;
  if (event.type === 'ledger.transaction.deleted') {
    await manager.query(`DELETE FROM report_transactions WHERE id = $1`, [event.aggregateId]);
    return;
  }
  const baseAmountMinor = toMinorUnits(p.baseAmount, p.baseCurrency);
  await manager.query(
    `INSERT INTO report_transactions (id, user_id, account_id, to_account_id, category_id, type,
       base_amount_minor, base_currency, amount_minor, currency, date, description, payee, notes, tags,
       version)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
     ON CONFLICT (id) DO UPDATE SET account_id = EXCLUDED.account_id, to_account_id = EXCLUDED.to_account_id,
       category_id = EXCLUDED.category_id, type = EXCLUDED.type, base_amount_minor = EXCLUDED.base_amount_minor,
       base_currency = EXCLUDED.base_currency, amount_minor = EXCLUDED.amount_minor, currency = EXCLUDED.currency,
       date = EXCLUDED.date, description = EXCLUDED.description, payee = EXCLUDED.payee, notes = EXCLUDED.notes,
       tags = EXCLUDED.tags, version = EXCLUDED.version`,
    [
      event.aggregateId,
      event.userId,
      p.accountId,
      p.toAccountId,
      p.categoryId,
      p.type,
      baseAmountMinor.toString(),
      p.baseCurrency,
      toMinorUnits(p.amount, p.currency).toString(),
      p.currency,
      p.date,
      p.description,
      p.payee,
      p.notes,
      p.tags,
      event.aggregateVersion,
    ],
  );
  await addToRollups(
    manager,
    {
      userId: event.userId,
      accountId: p.accountId,
      toAccountId: p.toAccountId,
      categoryId: p.categoryId,
      type: p.type,
      baseAmountMinor,
      date: p.date,
    },
    1n,
  );
  // Until auth tells us, the user's base currency is the one their transactions are summed in.
  await manager.query(
    `INSERT INTO user_settings (user_id, base_currency) VALUES ($1, $2) ON CONFLICT (user_id) DO NOTHING`,
    [event.userId, p.baseCurrency],
  );
}

type CategoryEvent = FinanceEvent<
  'ledger.category.created' | 'ledger.category.updated' | 'ledger.category.deleted'
>;

/**
 * Category state, newest version wins. A deleted category stays (flagged) so any roll-up still
 * pointing at it keeps its name; its transactions move through their own `updated` events.
 */
export async function applyCategoryEvent(event: CategoryEvent, manager: EntityManager): Promise<void> {
  if (!(await acceptAggregateVersion(manager, event))) return;
  const p = event.payload;
  await manager.query(
    `INSERT INTO report_categories (id, user_id, name, color, kind, deleted, version)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, color = EXCLUDED.color, kind = EXCLUDED.kind,
       deleted = EXCLUDED.deleted, version = EXCLUDED.version
     WHERE report_categories.user_id = EXCLUDED.user_id`,
    [
      event.aggregateId,
      event.userId,
      p.name,
      p.color,
      p.kind,
      event.type === 'ledger.category.deleted',
      event.aggregateVersion,
    ],
  );
}

type AccountEvent = FinanceEvent<
  'ledger.account.created' | 'ledger.account.updated' | 'ledger.account.deleted'
>;

/** Account state (name for the CSV, opening balance for cash flow), newest version wins. */
export async function applyAccountEvent(event: AccountEvent, manager: EntityManager): Promise<void> {
  if (!(await acceptAggregateVersion(manager, event))) return;
  const p = event.payload;
  await manager.query(
    `INSERT INTO report_accounts (id, user_id, name, type, currency, opening_balance_minor, archived, deleted, version)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
     ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, type = EXCLUDED.type, currency = EXCLUDED.currency,
       opening_balance_minor = EXCLUDED.opening_balance_minor, archived = EXCLUDED.archived,
       deleted = EXCLUDED.deleted, version = EXCLUDED.version
     WHERE report_accounts.user_id = EXCLUDED.user_id`,
    [
      event.aggregateId,
      event.userId,
      p.name,
      p.type,
      p.currency,
      toMinorUnits(p.openingBalance, p.currency).toString(),
      p.archived,
      event.type === 'ledger.account.deleted',
      event.aggregateVersion,
    ],
  );
}

type UserEvent = FinanceEvent<'auth.user.registered' | 'auth.user.updated'>;

/** Base currency and timezone: the timezone decides "this month" and when monthly reports are due. */
export async function applyUserEvent(event: UserEvent, manager: EntityManager): Promise<void> {
  if (!(await acceptAggregateVersion(manager, event))) return;
  await manager.query(
    `INSERT INTO user_settings (user_id, base_currency, timezone, version) VALUES ($1, $2, $3, $4)
     ON CONFLICT (user_id) DO UPDATE SET base_currency = EXCLUDED.base_currency,
       timezone = EXCLUDED.timezone, version = EXCLUDED.version`,
    [
      event.userId,
      event.payload.baseCurrency,
      // An unknown zone would make every date computation throw; UTC is the safe reading.
      isValidTimezone(event.payload.timezone) ? event.payload.timezone : 'UTC',
      event.aggregateVersion,
    ],
  );
}

/** auth.user.deleted: everything this service holds about the user goes. */
export async function purgeUser(
  event: FinanceEvent<'auth.user.deleted'>,
  manager: EntityManager,
): Promise<void> {
  for (const table of [
    'monthly_reports',
    'daily_account_rollups',
    'daily_rollups',
    'report_transactions',
    'report_accounts',
    'report_categories',
    'user_settings',
  ]) {
    await manager.query(`DELETE FROM ${table} WHERE user_id = $1`, [event.userId]);
  }
}
