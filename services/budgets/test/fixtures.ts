import { randomUUID } from 'node:crypto';
import {
  newId,
  parseEvent,
  type EventPayloadInput,
  type EventType,
  type FinanceEvent,
} from '@finance/shared';
import { startTestService, type TestService, type TestTokenIssuer } from '@finance/shared/testing';
import budgets from '../src/service';

/**
 * Ids as the other services mint them (UUIDv7, `newId`): one created a moment ago is waited for
 * (bounded) when its event has not reached budgets yet.
 */
export { newId };

/** An id that was never minted a moment ago (a v4): budgets never waits for it. */
export const oldId = (): string => randomUUID();

export type BudgetsService = TestService;

/**
 * Budgets started as main.ts starts it (its definition, real PostgreSQL and RabbitMQ), verifying
 * the issuer's tokens, with "now" pinned by `clock`.
 */
export function startBudgets(
  issuer: TestTokenIssuer,
  options: { clock?: () => Date; env?: Record<string, string>; label?: string } = {},
): Promise<BudgetsService> {
  return startTestService(budgets, {
    env: { JWKS_URL: issuer.jwksUrl, ...options.env },
    clock: options.clock,
    label: options.label,
  });
}

/** A complete, contract-valid envelope, as the ledger or auth would publish it. */
export function envelope<T extends EventType>(
  type: T,
  fields: { userId: string; aggregateId: string; aggregateVersion: number; payload: EventPayloadInput<T> },
): FinanceEvent<T> {
  return parseEvent({
    id: newId(),
    type,
    version: 1,
    occurredAt: new Date().toISOString(),
    correlationId: newId(),
    ...fields,
  }) as FinanceEvent<T>;
}

export interface UserProfile {
  baseCurrency?: string;
  timezone?: string;
  /** Auth starts every user at 0 and raises it to revoke their tokens (logout-all, password change). */
  sessionVersion?: number;
  isActive?: boolean;
}

function userProfile(
  type: 'auth.user.registered' | 'auth.user.updated',
  userId: string,
  version: number,
  p: UserProfile,
) {
  return envelope(type, {
    userId,
    aggregateId: userId,
    aggregateVersion: version,
    payload: {
      email: `${userId}@example.test`,
      username: userId.slice(0, 8),
      baseCurrency: p.baseCurrency ?? 'EUR',
      timezone: p.timezone ?? 'Europe/Berlin',
      role: 'user',
      sessionVersion: p.sessionVersion ?? 0,
      isActive: p.isActive ?? true,
    },
  });
}

export function userRegistered(
  userId: string,
  baseCurrency = 'EUR',
  timezone = 'Europe/Berlin',
  version = 1,
) {
  return userProfile('auth.user.registered', userId, version, { baseCurrency, timezone });
}

export function userUpdated(userId: string, version: number, profile: UserProfile) {
  return userProfile('auth.user.updated', userId, version, profile);
}

export function userDeleted(userId: string, version = 2) {
  return envelope('auth.user.deleted', {
    userId,
    aggregateId: userId,
    aggregateVersion: version,
    payload: {},
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
  /** A split transaction's parts (base currency = the transaction's); its categoryId is then null. */
  splits?: Array<{ baseAmount: string; categoryId: string | null }>;
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
      splits: (state.splits ?? []).map((part) => ({
        amount: part.baseAmount,
        baseAmount: part.baseAmount,
        categoryId: part.categoryId,
        notes: null,
        tags: [],
      })),
    },
  });
}

/**
 * Counts the lookups of the service that waited for an event (read-your-writes registers one
 * listener on the consumer's `applied` per waiting lookup): 0 means every answer came at once.
 */
export function countWaits(service: BudgetsService): { readonly count: number; stop(): void } {
  let count = 0;
  const onListener = (event: string | symbol) => {
    if (event === 'applied') count++;
  };
  service.consumer.events.on('newListener', onListener);
  return {
    get count() {
      return count;
    },
    stop: () => service.consumer.events.off('newListener', onListener),
  };
}
