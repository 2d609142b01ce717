import type { EntityManager } from 'typeorm';
import { lockUserForWrite, type CreationCursor } from '@finance/shared';
import {
  accountStateOf,
  replacedAccount,
  type AccountField,
  type AccountReplacement,
  type AccountState,
  type AccountType,
} from '../domain/accounts';
import { isEmptyPatch, mergePatch, type MergePatch } from '../domain/merge-patch';
import { storableMinorUnits } from '../domain/money';
import { missing } from '../domain/problems';
import {
  accountHasTransactions,
  accountBalancesOf,
  deleteAccount as deleteAccountRow,
  findAccount,
  insertAccount,
  listAccounts,
  updateAccount,
} from '../data/accounts';
import type { Account } from '../data/entities';
import { publishAccountChange } from '../events/publish';
import { withUserSettings, type LedgerContext } from './context';
import type { VersionCheck } from './version-check';

/** An account with its balances (minor units): what every read answers. */
export interface AccountWithBalance {
  account: Account;
  /** Every transaction. */
  balance: bigint;
  /** Only cleared and reconciled transactions. */
  clearedBalance: bigint;
  /** Only reconciled transactions. */
  reconciledBalance: bigint;
}

export interface NewAccount {
  name: string;
  type: AccountType;
  /** undefined → the user's base currency. */
  currency?: string;
  openingBalance: string;
  archived: boolean;
}

/** Each account with its balances, all from one query. */
async function withBalances(manager: EntityManager, userId: string, accounts: Account[]) {
  const balances = await accountBalancesOf(manager, userId, accounts);
  return accounts.map((account): AccountWithBalance => {
    const b = balances.get(account.id)!;
    return { account, balance: b.balance, clearedBalance: b.cleared, reconciledBalance: b.reconciled };
  });
}

async function withBalance(manager: EntityManager, account: Account): Promise<AccountWithBalance> {
  const [one] = await withBalances(manager, account.userId, [account]);
  return one;
}

/** Creates an account; without a currency, in the user's base currency (awaited for a user who registered a moment ago). */
export function createAccount(
  context: LedgerContext,
  userId: string,
  request: NewAccount,
): Promise<AccountWithBalance> {
  return withUserSettings(context, userId, (settingsOf) =>
    context.dataSource.transaction(async (manager) => {
      const user = await lockUserForWrite(manager, userId);
      const currency = request.currency ?? settingsOf(user).baseCurrency;
      const account = await insertAccount(
        manager,
        userId,
        {
          name: request.name,
          type: request.type,
          currency,
          openingBalanceMinor: storableMinorUnits<AccountField>(
            request.openingBalance,
            currency,
            'openingBalance',
          ),
          archived: request.archived,
        },
        context.clock(),
      );
      await publishAccountChange(manager, 'created', account);
      return withBalance(manager, account);
    }),
  );
}

export async function getAccount(
  context: LedgerContext,
  userId: string,
  id: string,
): Promise<AccountWithBalance> {
  const { manager } = context.dataSource;
  const account = await findAccount(manager, userId, id);
  if (!account) throw missing('Account');
  return withBalance(manager, account);
}

export async function listAccountsPage(
  context: LedgerContext,
  userId: string,
  options: { archived?: boolean; after?: CreationCursor; limit: number },
): Promise<AccountWithBalance[]> {
  const { manager } = context.dataSource;
  return withBalances(manager, userId, await listAccounts(manager, userId, options));
}

/** Locks the user and the account, checks its version, and applies `change` (undefined: nothing to change). */
async function changeAccount(
  context: LedgerContext,
  userId: string,
  id: string,
  check: VersionCheck,
  change: (current: Account) => AccountReplacement | undefined,
): Promise<AccountWithBalance> {
  return context.dataSource.transaction(async (manager) => {
    await lockUserForWrite(manager, userId);
    const account = await findAccount(manager, userId, id, { lock: 'update' });
    if (!account) throw missing('Account');
    check(account.version);
    const replacement = change(account);
    // An empty PATCH changes nothing: no new version, no event.
    if (!replacement) return withBalance(manager, account);
    const currencyChanges = (replacement.currency ?? account.currency) !== account.currency;
    const values = replacedAccount(
      account,
      replacement,
      currencyChanges && (await accountHasTransactions(manager, userId, account.id)),
    );
    await updateAccount(manager, account, values, context.clock());
    await publishAccountChange(manager, 'updated', account);
    return withBalance(manager, account);
  });
}

/** PUT: omitted currency and opening balance keep their stored values (see AccountReplacement). */
export function replaceAccount(
  context: LedgerContext,
  userId: string,
  id: string,
  replacement: AccountReplacement,
  check: VersionCheck,
): Promise<AccountWithBalance> {
  return changeAccount(context, userId, id, check, () => replacement);
}

/** PATCH: a JSON merge onto the account, then the rules of a PUT. */
export function patchAccount(
  context: LedgerContext,
  userId: string,
  id: string,
  patch: MergePatch<AccountState>,
  check: VersionCheck,
): Promise<AccountWithBalance> {
  return changeAccount(context, userId, id, check, (current) =>
    isEmptyPatch(patch) ? undefined : mergePatch(accountStateOf(current), patch),
  );
}

/** Deletes an account no transaction uses; one that has transactions is kept (archive it instead). */
export async function deleteAccount(
  context: LedgerContext,
  userId: string,
  id: string,
  check: VersionCheck,
): Promise<'deleted' | 'has-transactions'> {
  return context.dataSource.transaction(async (manager) => {
    await lockUserForWrite(manager, userId);
    const account = await findAccount(manager, userId, id, { lock: 'update' });
    if (!account) throw missing('Account');
    check(account.version);
    if (await accountHasTransactions(manager, userId, account.id)) return 'has-transactions';
    await deleteAccountRow(manager, account);
    await publishAccountChange(manager, 'deleted', account);
    return 'deleted';
  });
}
