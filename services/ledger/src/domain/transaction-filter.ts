import { compareDates } from '@finance/shared';
import { storableMinorUnits } from './money';
import { RuleViolation } from './problems';
import type { ClearedStatus, TransactionType } from './transactions';

export type FilterField = 'from' | 'to' | 'accountId' | 'categoryId' | 'minAmount' | 'maxAmount' | 'cursor';

/** What a list of transactions may be narrowed by, as a client states it. */
export interface TransactionFilterRequest {
  from?: string;
  to?: string;
  type?: TransactionType;
  accountId?: string;
  /** A category id, or null for uncategorised. */
  categoryId?: string | null;
  /** Inclusive decimal bounds, in the user's base currency. */
  minAmount?: string;
  maxAmount?: string;
  text?: string;
  tag?: string;
  cleared?: ClearedStatus;
}

/** The filter the list query runs (amounts in base-currency minor units). */
export interface TransactionFilter {
  from?: string;
  to?: string;
  type?: TransactionType;
  /** Matches both sides of a transfer. */
  accountId?: string;
  categoryId?: string | null;
  minBaseAmount?: bigint;
  maxBaseAmount?: bigint;
  text?: string;
  tag?: string;
  cleared?: ClearedStatus;
}

/** A filter's bounds must make sense: from ≤ to, min ≤ max, amounts in the base currency's decimals. */
export function transactionFilter(
  request: TransactionFilterRequest,
  baseCurrency: string,
): TransactionFilter {
  if (request.from !== undefined && request.to !== undefined && compareDates(request.from, request.to) > 0)
    throw new RuleViolation<FilterField>('invalid', 'from is after to', [
      { field: 'from', message: 'Must be on or before `to`' },
    ]);
  const bound = (amount: string | undefined, field: 'minAmount' | 'maxAmount') =>
    amount === undefined ? undefined : storableMinorUnits<FilterField>(amount, baseCurrency, field);
  const minBaseAmount = bound(request.minAmount, 'minAmount');
  const maxBaseAmount = bound(request.maxAmount, 'maxAmount');
  if (minBaseAmount !== undefined && maxBaseAmount !== undefined && minBaseAmount > maxBaseAmount)
    throw new RuleViolation<FilterField>('invalid', 'min_amount is above max_amount', [
      { field: 'minAmount', message: 'Must not exceed max_amount' },
    ]);
  return {
    from: request.from,
    to: request.to,
    type: request.type,
    accountId: request.accountId,
    categoryId: request.categoryId,
    minBaseAmount,
    maxBaseAmount,
    text: request.text,
    tag: request.tag,
    cleared: request.cleared,
  };
}
