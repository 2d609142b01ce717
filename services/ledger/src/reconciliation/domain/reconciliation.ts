import { formatMinorUnits } from '@finance/shared';
import { RuleViolation } from '../../domain/problems';
import type { ClearedStatus, TransactionType } from '../../domain/transactions';

/** The field the cleared-status rule names. */
export type ClearedField = 'cleared';

/**
 * A client marks a transaction uncleared or cleared; `reconciled` comes only from a
 * reconciliation. A body may still say `reconciled` for a transaction that already is (a client
 * sending back what it read): that changes nothing. Undefined: nothing to object to.
 */
export function clearedStatusViolation(
  requested: ClearedStatus | undefined,
  stored: ClearedStatus | undefined,
): RuleViolation<ClearedField> | undefined {
  if (requested !== 'reconciled' || stored === 'reconciled') return undefined;
  const message = 'Only a reconciliation (POST /accounts/{id}/reconcile) marks a transaction reconciled';
  return new RuleViolation('unprocessable', `${message}; set uncleared or cleared`, [
    { field: 'cleared', message },
  ]);
}

/**
 * What a reconciliation locks: every field that moves money in or out of an account on a date —
 * amount, currency, date, account, receiving account, type — and the status itself (un-reconciling
 * is a change of the record too). Description, payee, category, notes and tags stay free.
 */
export const LOCKED_FIELDS = [
  'amount',
  'currency',
  'date',
  'accountId',
  'toAccountId',
  'type',
  'cleared',
] as const;
export type LockedField = (typeof LOCKED_FIELDS)[number];

/** A transaction's locked fields, amounts as decimal strings. */
export type LockedState = Record<LockedField, string | null>;

export function lockedStateOf(t: {
  amountMinor: bigint | string;
  currency: string;
  date: string;
  accountId: string;
  toAccountId: string | null;
  type: TransactionType;
  cleared: ClearedStatus;
}): LockedState {
  return {
    amount: formatMinorUnits(t.amountMinor, t.currency),
    currency: t.currency,
    date: t.date,
    accountId: t.accountId,
    toAccountId: t.toAccountId,
    type: t.type,
    cleared: t.cleared,
  };
}

/** The locked fields whose values differ, in LOCKED_FIELDS order. */
export function lockedChanges(before: LockedState, after: LockedState): LockedField[] {
  return LOCKED_FIELDS.filter((field) => before[field] !== after[field]);
}

/**
 * A change a reconciled transaction refuses without `force`: a 409 naming what is locked (by its
 * domain name; the HTTP layer maps it to the wire's field).
 */
export function lockedChangeViolation(
  change: 'update' | 'delete',
  fields: readonly LockedField[],
): RuleViolation<LockedField | 'force'> {
  const what =
    change === 'delete'
      ? 'Deleting a reconciled transaction'
      : `Changing ${fields.join(', ')} of a reconciled transaction`;
  return new RuleViolation(
    'conflict',
    `${what} would alter a balance a bank statement confirmed; repeat the request with ?force=true to do it anyway (the change is audited: GET /transactions/{id}/audit)`,
    change === 'delete'
      ? [{ field: 'force', message: 'The transaction is reconciled' }]
      : fields.map((field) => ({ field, message: 'Locked: the transaction is reconciled' })),
  );
}

/** Most uncleared candidates a failed reconciliation lists (the total is counted apart). */
export const MAX_RECONCILIATION_CANDIDATES = 100;

/**
 * What a statement says against the ledger: `difference` = statement − cleared balance, exact in
 * minor units; zero means they agree and the cleared transactions may be reconciled.
 */
export function statementDifference(statementBalanceMinor: bigint, clearedBalanceMinor: bigint): bigint {
  return statementBalanceMinor - clearedBalanceMinor;
}
