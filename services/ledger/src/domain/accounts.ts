import { accountTypes, formatMinorUnits } from '@finance/shared';
import { storableMinorUnits } from './money';
import { RuleViolation } from './problems';

export type AccountType = (typeof accountTypes)[number];

/** The account seed-V1 clients' transactions land in when they name none. */
export const DEFAULT_ACCOUNT_NAME = 'Main account';

export type AccountField = 'name' | 'type' | 'currency' | 'openingBalance' | 'archived';

/** What an account is, as a client states it: amounts as decimal strings in the account's currency. */
export interface AccountState {
  name: string;
  type: AccountType;
  currency: string;
  openingBalance: string;
  archived: boolean;
}

/**
 * A replacement of an account (PUT, or a PATCH merged onto the account). Currency and opening
 * balance are money history: left out, they keep their stored values, so renaming or archiving
 * an account never rewrites its balance. Changing them takes saying so.
 */
export interface AccountReplacement {
  name: string;
  type: AccountType;
  currency?: string;
  openingBalance?: string;
  archived: boolean;
}

export interface StoredAccount {
  name: string;
  type: AccountType;
  currency: string;
  openingBalanceMinor: string | bigint;
  archived: boolean;
}

/** An account as a client sees and states it. */
export function accountStateOf(a: StoredAccount): AccountState {
  return {
    name: a.name,
    type: a.type,
    currency: a.currency,
    openingBalance: formatMinorUnits(a.openingBalanceMinor, a.currency),
    archived: a.archived,
  };
}

export interface AccountValues {
  name: string;
  type: AccountType;
  currency: string;
  openingBalanceMinor: bigint;
  archived: boolean;
}

/**
 * The values an account takes from a replacement. The currency may change only while no
 * transaction uses the account (a conflict naming `currency` otherwise); the opening balance must
 * fit the resulting currency's decimals (an opening balance kept from before too: 5.50 cannot
 * become JPY).
 */
export function replacedAccount(
  current: StoredAccount,
  replacement: AccountReplacement,
  hasTransactions: boolean,
): AccountValues {
  const currency = replacement.currency ?? current.currency;
  if (currency !== current.currency && hasTransactions)
    throw new RuleViolation<AccountField>(
      'conflict',
      'The currency of an account with transactions cannot change',
      [{ field: 'currency', message: `Must stay ${current.currency} while the account has transactions` }],
    );
  const openingBalance =
    replacement.openingBalance ?? formatMinorUnits(current.openingBalanceMinor, current.currency);
  return {
    name: replacement.name,
    type: replacement.type,
    currency,
    openingBalanceMinor: storableMinorUnits<AccountField>(openingBalance, currency, 'openingBalance'),
    archived: replacement.archived,
  };
}
