import { randomUUID } from 'node:crypto';
import {
  openDatabase,
  parseEvent,
  recordInInbox,
  type EventPayloadInput,
  type EventType,
  type FinanceEvent,
} from '@finance/shared';
import type { DataSource } from 'typeorm';
import { createBudgetsDataSource } from '../src/data/data-source';
import { CONSUMER_SERVICE, applyBudgetEvent } from '../src/events/handlers';

export async function openTestDataSource(url: string): Promise<DataSource> {
  return openDatabase(createBudgetsDataSource(url, 4));
}

/** A complete, contract-valid envelope, as the ledger or auth would publish it. */
export function envelope<T extends EventType>(
  type: T,
  fields: { userId: string; aggregateId: string; aggregateVersion: number; payload: EventPayloadInput<T> },
): FinanceEvent<T> {
  return parseEvent({
    id: randomUUID(),
    type,
    version: 1,
    occurredAt: new Date().toISOString(),
    correlationId: randomUUID(),
    ...fields,
  }) as FinanceEvent<T>;
}

/** Applies an event the way the EventConsumer does: inbox dedup and the handler in one transaction. */
export async function deliver(dataSource: DataSource, event: FinanceEvent): Promise<boolean> {
  return dataSource.transaction(async (manager) => {
    if (!(await recordInInbox(manager, CONSUMER_SERVICE, event))) return false;
    await applyBudgetEvent(event, manager);
    return true;
  });
}

export function userRegistered(
  userId: string,
  baseCurrency = 'EUR',
  timezone = 'Europe/Berlin',
  version = 1,
) {
  return envelope('auth.user.registered', {
    userId,
    aggregateId: userId,
    aggregateVersion: version,
    payload: {
      email: `${userId}@example.test`,
      username: userId.slice(0, 8),
      baseCurrency,
      timezone,
      role: 'user',
      sessionVersion: 1,
      isActive: true,
    },
  });
}

export function categoryEvent(
  type: 'ledger.category.created' | 'ledger.category.updated',
  userId: string,
  categoryId: string,
  version = 1,
) {
  return envelope(type, {
    userId,
    aggregateId: categoryId,
    aggregateVersion: version,
    payload: { name: 'Groceries', color: '#00aa00', icon: null, kind: 'expense', parentId: null },
  });
}

export function categoryDeleted(
  userId: string,
  categoryId: string,
  reassignedTo: string | null,
  version = 2,
) {
  return envelope('ledger.category.deleted', {
    userId,
    aggregateId: categoryId,
    aggregateVersion: version,
    payload: {
      name: 'Groceries',
      color: '#00aa00',
      icon: null,
      kind: 'expense',
      parentId: null,
      reassignedTo,
    },
  });
}

export interface TransactionState {
  type?: 'income' | 'expense' | 'transfer';
  baseAmount: string;
  baseCurrency?: string;
  categoryId: string | null;
  date: string;
}

export function transactionEvent(
  type: 'ledger.transaction.created' | 'ledger.transaction.updated' | 'ledger.transaction.deleted',
  userId: string,
  transactionId: string,
  version: number,
  state: TransactionState,
) {
  const currency = state.baseCurrency ?? 'EUR';
  return envelope(type, {
    userId,
    aggregateId: transactionId,
    aggregateVersion: version,
    payload: {
      accountId: '00000000-0000-4000-8000-000000000001',
      toAccountId: state.type === 'transfer' ? '00000000-0000-4000-8000-000000000002' : null,
      type: state.type ?? 'expense',
      amount: state.baseAmount,
      currency,
      baseAmount: state.baseAmount,
      baseCurrency: currency,
      categoryId: state.categoryId,
      date: state.date,
      description: 'test',
      payee: null,
      notes: null,
      tags: [],
    },
  });
}

export const newId = () => randomUUID();
