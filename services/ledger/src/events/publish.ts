import type { EntityManager } from 'typeorm';
import { publishEvent } from '@finance/shared';
import type { Account, Category, Transaction } from '../data/entities';
import { accountState, categoryState, transactionState } from './payloads';

/*
 * Every ledger change records its event through the outbox in the caller's DB transaction.
 * aggregateVersion is the row's version after the change; a deletion counts as one more
 * change (version + 1) so read models that skip "equal or older" versions still apply it.
 */

type Change = 'created' | 'updated' | 'deleted';

export async function publishAccountChange(
  manager: EntityManager,
  change: Change,
  a: Account,
): Promise<void> {
  await publishEvent(manager, {
    type: `ledger.account.${change}`,
    userId: a.userId,
    aggregateId: a.id,
    aggregateVersion: change === 'deleted' ? a.version + 1 : a.version,
    payload: accountState(a),
  });
}

export async function publishCategoryChange(
  manager: EntityManager,
  change: Exclude<Change, 'deleted'>,
  c: Category,
): Promise<void> {
  await publishEvent(manager, {
    type: `ledger.category.${change}`,
    userId: c.userId,
    aggregateId: c.id,
    aggregateVersion: c.version,
    payload: categoryState(c),
  });
}

export async function publishCategoryDeleted(
  manager: EntityManager,
  c: Category,
  reassignedTo: string | null,
): Promise<void> {
  await publishEvent(manager, {
    type: 'ledger.category.deleted',
    userId: c.userId,
    aggregateId: c.id,
    aggregateVersion: c.version + 1,
    payload: { ...categoryState(c), reassignedTo },
  });
}

export async function publishTransactionChange(
  manager: EntityManager,
  change: Change,
  t: Transaction,
): Promise<void> {
  await publishEvent(manager, {
    type: `ledger.transaction.${change}`,
    userId: t.userId,
    aggregateId: t.id,
    aggregateVersion: change === 'deleted' ? t.version + 1 : t.version,
    payload: transactionState(t),
  });
}
