import { formatMinorUnits } from '@finance/shared';
import type { Account, Category, Transaction } from '../data/entities';
import { partsOf } from '../data/transaction-splits';

/** Event payloads carry the full state after the change (camelCase, amounts as decimal strings). */
export function accountState(a: Account) {
  return {
    name: a.name,
    type: a.type,
    currency: a.currency,
    openingBalance: formatMinorUnits(a.openingBalanceMinor, a.currency),
    archived: a.archived,
  };
}

export function categoryState(c: Category) {
  return { name: c.name, color: c.color, icon: c.icon, kind: c.kind, parentId: c.parentId };
}

export function transactionState(t: Transaction) {
  return {
    accountId: t.accountId,
    toAccountId: t.toAccountId,
    type: t.type,
    amount: formatMinorUnits(t.amountMinor, t.currency),
    currency: t.currency,
    baseAmount: formatMinorUnits(t.baseAmountMinor, t.baseCurrency),
    baseCurrency: t.baseCurrency,
    ...(t.toAmountMinor !== null && t.toCurrency !== null
      ? { toAmount: formatMinorUnits(t.toAmountMinor, t.toCurrency), toCurrency: t.toCurrency }
      : {}),
    categoryId: t.categoryId,
    date: t.date,
    description: t.description,
    payee: t.payee,
    notes: t.notes,
    tags: t.tags,
    cleared: t.cleared,
    splits: partsOf(t).map((s) => ({
      amount: formatMinorUnits(s.amountMinor, t.currency),
      baseAmount: formatMinorUnits(s.baseAmountMinor, t.baseCurrency),
      categoryId: s.categoryId,
      notes: s.notes,
      tags: s.tags,
    })),
  };
}
