import type { EntityManager } from 'typeorm';
import { newId, pageInCreationOrder, type CreationCursor } from '@finance/shared';
import { DEFAULT_ACCOUNT_NAME, type AccountValues } from '../domain/accounts';
import { accountBalance, type AccountBalances } from '../domain/balance';
import { Account } from './entities';

export async function findAccount(
  manager: EntityManager,
  userId: string,
  id: string,
  options: { lock?: 'update' | 'share' } = {},
): Promise<Account | null> {
  // 'update' for archiving and deleting; transaction writes share-lock accounts in draftReferences.
  const mode = options.lock === 'update' ? 'pessimistic_write' : 'pessimistic_read';
  return manager.findOne(Account, { where: { id, userId }, ...(options.lock ? { lock: { mode } } : {}) });
}

/** One keyset page of a user's accounts, oldest first (limit + 1 rows: the caller sees if more follow). */
export async function listAccounts(
  manager: EntityManager,
  userId: string,
  options: { archived?: boolean; after?: CreationCursor; limit: number },
): Promise<Account[]> {
  const qb = manager.createQueryBuilder(Account, 'a').where('a.user_id = :userId', { userId });
  if (options.archived !== undefined) qb.andWhere('a.archived = :archived', { archived: options.archived });
  return pageInCreationOrder(qb, 'a', options).getMany();
}

export async function insertAccount(
  manager: EntityManager,
  userId: string,
  values: AccountValues,
  now: Date,
): Promise<Account> {
  const account = manager.create(Account, {
    ...values,
    openingBalanceMinor: values.openingBalanceMinor.toString(),
    id: newId(),
    userId,
    isDefault: false,
    version: 1,
    createdAt: now,
    updatedAt: now,
  });
  await manager.insert(Account, account);
  return account;
}

/** Writes new values onto a locked account as its next version. */
export async function updateAccount(
  manager: EntityManager,
  account: Account,
  values: AccountValues,
  now: Date,
): Promise<Account> {
  Object.assign(account, {
    ...values,
    openingBalanceMinor: values.openingBalanceMinor.toString(),
    version: account.version + 1,
    updatedAt: now,
  });
  await manager.save(Account, account);
  return account;
}

export async function deleteAccount(manager: EntityManager, account: Account): Promise<void> {
  // Its reconciliations go with it (its transactions are already gone: only an empty account is deleted).
  await manager.query(`DELETE FROM reconciliations WHERE user_id = $1 AND account_id = $2`, [
    account.userId,
    account.id,
  ]);
  await manager.delete(Account, { id: account.id, userId: account.userId });
}

/**
 * Which transactions each balance counts: every one, the cleared and reconciled ones (what the
 * bank has seen), the reconciled ones (what a statement confirmed).
 */
const BALANCE_SCOPES = {
  balance: 'true',
  cleared: `t.cleared <> 'uncleared'`,
  reconciled: `t.cleared = 'reconciled'`,
} as const;
type BalanceScope = keyof typeof BALANCE_SCOPES;
const MOVEMENTS = ['income', 'expense', 'transfers_out', 'transfers_in'] as const;

/** The four sums accountBalance needs, for one scope (columns `<scope>_<movement>`). */
function movementColumns(scope: BalanceScope): string {
  const only = BALANCE_SCOPES[scope];
  const sum = (expression: string, condition: string, movement: string) =>
    `coalesce(sum(${expression}) FILTER (WHERE ${condition} AND ${only}), 0)::text AS ${scope}_${movement}`;
  return [
    sum('t.amount_minor', `t.account_id = a.id AND t.transaction_type = 'income'`, 'income'),
    sum('t.amount_minor', `t.account_id = a.id AND t.transaction_type = 'expense'`, 'expense'),
    sum('t.amount_minor', `t.account_id = a.id AND t.transaction_type = 'transfer'`, 'transfers_out'),
    sum('coalesce(t.to_amount_minor, t.amount_minor)', 't.to_account_id = a.id', 'transfers_in'),
  ].join(',\n         ');
}

/**
 * The balance, cleared balance and reconciled balance (minor units) of the given accounts of one
 * user, in one query: each is accountBalance over its scope's transactions. `upTo`: only
 * transactions dated on or before that day (what a statement of that day covers).
 */
export async function accountBalancesOf(
  manager: EntityManager,
  userId: string,
  accounts: Account[],
  options: { upTo?: string } = {},
): Promise<Map<string, AccountBalances>> {
  const balances = new Map<string, AccountBalances>();
  for (const a of accounts) {
    const opening = BigInt(a.openingBalanceMinor);
    balances.set(a.id, { balance: opening, cleared: opening, reconciled: opening });
  }
  if (accounts.length === 0) return balances;
  const scopes = Object.keys(BALANCE_SCOPES) as BalanceScope[];
  const rows: Array<Record<string, string>> = await manager.query(
    `SELECT a.id,
         ${scopes.map(movementColumns).join(',\n         ')}
       FROM accounts a
       LEFT JOIN transactions t ON t.user_id = a.user_id AND (t.account_id = a.id OR t.to_account_id = a.id)
            AND ($3::date IS NULL OR t.date <= $3::date)
       WHERE a.user_id = $1 AND a.id = ANY($2::uuid[])
       GROUP BY a.id`,
    [userId, accounts.map((a) => a.id), options.upTo ?? null],
  );
  const opening = new Map(accounts.map((a) => [a.id, BigInt(a.openingBalanceMinor)]));
  for (const row of rows) {
    const of = (scope: BalanceScope) => {
      const [income, expense, transfersOut, transfersIn] = MOVEMENTS.map((m) => BigInt(row[`${scope}_${m}`]));
      return accountBalance({
        openingBalance: opening.get(row.id) ?? 0n,
        income,
        expense,
        transfersOut,
        transfersIn,
      });
    };
    balances.set(row.id, { balance: of('balance'), cleared: of('cleared'), reconciled: of('reconciled') });
  }
  return balances;
}

/** Current balances (minor units) of the given accounts of one user. */
export async function balancesOf(
  manager: EntityManager,
  userId: string,
  accounts: Account[],
): Promise<Map<string, bigint>> {
  const all = await accountBalancesOf(manager, userId, accounts);
  return new Map([...all].map(([id, b]) => [id, b.balance]));
}

export async function accountHasTransactions(
  manager: EntityManager,
  userId: string,
  id: string,
): Promise<boolean> {
  const rows: unknown[] = await manager.query(
    `SELECT 1 FROM transactions WHERE user_id = $1 AND (account_id = $2 OR to_account_id = $2) LIMIT 1`,
    [userId, id],
  );
  return rows.length > 0;
}

/**
 * The user's default account (seed-V1 clients send no account_id), created on first need.
 * Returns `created: true` when this call made it, so the caller publishes its event.
 */
export async function defaultAccountOf(
  manager: EntityManager,
  userId: string,
  baseCurrency: string,
  now: Date,
): Promise<{ account: Account; created: boolean }> {
  const inserted: Array<{ id: string }> = await manager.query(
    `INSERT INTO accounts (id, user_id, name, type, currency, opening_balance_minor, archived, is_default, version, created_at, updated_at)
     VALUES ($1, $2, $3, 'checking', $4, 0, false, true, 1, $5, $5)
     ON CONFLICT (user_id) WHERE is_default DO NOTHING RETURNING id`,
    [newId(), userId, DEFAULT_ACCOUNT_NAME, baseCurrency, now],
  );
  const account = await manager.findOneOrFail(Account, { where: { userId, isDefault: true } });
  return { account, created: inserted.length > 0 };
}
