import {
  acceptAggregateVersion,
  forgetIdempotencyKeysOf,
  toMinorUnits,
  type EntityManager,
  type EventHandlers,
  type FinanceEvent,
} from '@finance/shared';
import { deleteGoalsOf } from '../data/goal-store';
import {
  forgetLedgerDataOf,
  holdUserForEvent,
  removeKnownAccount,
  removeKnownTransaction,
  writeKnownAccount,
  writeKnownTransaction,
  type KnownTransaction,
} from '../data/ledger-read-model';
import { detachDeletedAccount, fitContributionsToTransaction } from '../use-cases/ledger-changes';

/*
 * The ledger's events, applied to goals' read model and to the goals they touch. Each handler
 * runs in the transaction that records the event in the inbox (a duplicate is skipped before it
 * runs), holds the user's directory row against a racing deletion, and ignores an event older
 * than the version it already applied (acceptAggregateVersion), so reordered deliveries cannot
 * bring back an old amount or a deleted transaction.
 */

type TransactionEvent = FinanceEvent<
  'ledger.transaction.created' | 'ledger.transaction.updated' | 'ledger.transaction.deleted'
>;

/** Whether the event is to be applied: its user still exists and it is newer than what is held. */
async function fresh(event: FinanceEvent, manager: EntityManager): Promise<boolean> {
  return (await holdUserForEvent(manager, event.userId)) && (await acceptAggregateVersion(manager, event));
}

function knownTransactionOf(event: TransactionEvent): KnownTransaction {
  const p = event.payload;
  return {
    id: event.aggregateId,
    userId: event.userId,
    accountId: p.accountId,
    type: p.type,
    baseAmountMinor: toMinorUnits(p.baseAmount, p.baseCurrency),
    baseCurrency: p.baseCurrency,
    amountMinor: toMinorUnits(p.amount, p.currency),
    currency: p.currency,
    date: p.date,
  };
}

/** `ledger.transaction.created/updated`: the read model row, then its contributions made to fit it. */
export async function onTransactionChanged(
  event: FinanceEvent<'ledger.transaction.created' | 'ledger.transaction.updated'>,
  manager: EntityManager,
): Promise<void> {
  if (!(await fresh(event, manager))) return;
  const transaction = knownTransactionOf(event);
  await writeKnownTransaction(manager, transaction);
  await fitContributionsToTransaction(manager, event.userId, transaction.id, transaction, new Date());
}

/** `ledger.transaction.deleted`: the row goes, and so do its contributions (their goals recomputed). */
export async function onTransactionDeleted(
  event: FinanceEvent<'ledger.transaction.deleted'>,
  manager: EntityManager,
): Promise<void> {
  if (!(await fresh(event, manager))) return;
  await removeKnownTransaction(manager, event.aggregateId);
  await fitContributionsToTransaction(manager, event.userId, event.aggregateId, undefined, new Date());
}

/** `ledger.account.created/updated`: the account exists and is the event's user's. */
export async function onAccountChanged(
  event: FinanceEvent<'ledger.account.created' | 'ledger.account.updated'>,
  manager: EntityManager,
): Promise<void> {
  if (!(await fresh(event, manager))) return;
  await writeKnownAccount(manager, { id: event.aggregateId, userId: event.userId });
}

/** `ledger.account.deleted`: forgotten; goals that named it name no account any more. */
export async function onAccountDeleted(
  event: FinanceEvent<'ledger.account.deleted'>,
  manager: EntityManager,
): Promise<void> {
  if (!(await fresh(event, manager))) return;
  await removeKnownAccount(manager, event.aggregateId);
  await detachDeletedAccount(manager, event.userId, event.aggregateId, new Date());
}

/**
 * `auth.user.deleted` (after the shared directory left its tombstone, holding the user's row
 * exclusively): everything of the user goes — goals (their contributions with them), the read
 * models, the stored answers of their Idempotency-Keys. No `goals.goal.deleted` per goal: every
 * consumer gets `auth.user.deleted` itself and treats later events of the user as no-ops.
 */
export async function purgeUser(
  event: FinanceEvent<'auth.user.deleted'>,
  manager: EntityManager,
): Promise<void> {
  await deleteGoalsOf(manager, event.userId);
  await forgetLedgerDataOf(manager, event.userId);
  await forgetIdempotencyKeysOf(manager, event.userId);
}

/** The ledger events goals applies, by type (the consumer registers exactly these). */
export const goalEventHandlers: EventHandlers = {
  'ledger.transaction.created': onTransactionChanged,
  'ledger.transaction.updated': onTransactionChanged,
  'ledger.transaction.deleted': onTransactionDeleted,
  'ledger.account.created': onAccountChanged,
  'ledger.account.updated': onAccountChanged,
  'ledger.account.deleted': onAccountDeleted,
};
