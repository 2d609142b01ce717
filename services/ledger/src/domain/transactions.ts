import type { FieldError } from '@finance/shared';
import type { TransactionType } from './categories';

/** The shape rules of a transaction that need no stored data (checked before any lookup). */
export interface TransactionShape {
  type: TransactionType;
  accountId: string;
  toAccountId: string | null;
  categoryId: string | null;
}

export function transactionShapeProblems(t: TransactionShape): FieldError[] {
  const errors: FieldError[] = [];
  if (t.type === 'transfer') {
    if (!t.toAccountId) errors.push({ field: 'body.to_account_id', message: 'Required for a transfer' });
    else if (t.toAccountId === t.accountId)
      errors.push({ field: 'body.to_account_id', message: 'Must differ from account_id' });
    if (t.categoryId) errors.push({ field: 'body.category_id', message: 'A transfer has no category' });
  } else if (t.toAccountId) {
    errors.push({ field: 'body.to_account_id', message: 'Only a transfer has a to_account_id' });
  }
  return errors;
}

/** Account facts the transaction rules need. */
export interface AccountFacts {
  currency: string;
  archived: boolean;
}

/**
 * Money rules against the stored accounts: the amount is in the account's currency, a transfer
 * moves between accounts of one currency, and (until exchange rates exist) the account currency
 * must be the user's base currency. Returns the first problem as a field error, or undefined.
 */
export function currencyProblem(
  currency: string,
  account: AccountFacts,
  toAccount: AccountFacts | undefined,
  baseCurrency: string,
): FieldError | undefined {
  if (currency !== account.currency)
    return { field: 'body.currency', message: `Must be the account's currency (${account.currency})` };
  if (toAccount && toAccount.currency !== account.currency)
    return {
      field: 'body.to_account_id',
      message: 'Transfers between accounts of different currencies are not available yet',
    };
  if (currency !== baseCurrency)
    return {
      field: 'body.currency',
      message: `Conversion to your base currency (${baseCurrency}) is not available yet`,
    };
  return undefined;
}
