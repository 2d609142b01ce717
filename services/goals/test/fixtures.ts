import {
  newId,
  parseEvent,
  type EventPayloadInput,
  type EventType,
  type FinanceEvent,
} from '@finance/shared';
import { TestTokenIssuer, httpJson, startTestService, type TestService } from '@finance/shared/testing';
import goals from '../src/service';

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
    correlationId: 'goals-test',
    ...fields,
  }) as FinanceEvent<T>;
}

export function userRegistered(userId: string, settings: { baseCurrency?: string; timezone?: string } = {}) {
  return envelope('auth.user.registered', {
    userId,
    aggregateId: userId,
    aggregateVersion: 1,
    payload: {
      email: `${userId}@example.test`,
      username: userId.slice(0, 8),
      baseCurrency: settings.baseCurrency ?? 'EUR',
      timezone: settings.timezone ?? 'UTC',
      role: 'user',
      sessionVersion: 0,
      isActive: true,
    },
  });
}

export function userUpdated(userId: string, version: number, sessionVersion: number) {
  return envelope('auth.user.updated', {
    userId,
    aggregateId: userId,
    aggregateVersion: version,
    payload: {
      email: `${userId}@example.test`,
      username: userId.slice(0, 8),
      baseCurrency: 'EUR',
      timezone: 'UTC',
      role: 'user',
      sessionVersion,
      isActive: true,
    },
  });
}

export function userDeleted(userId: string, version = 9) {
  return envelope('auth.user.deleted', {
    userId,
    aggregateId: userId,
    aggregateVersion: version,
    payload: {},
  });
}

export interface TransactionState {
  amount: string;
  currency?: string;
  /** The base-currency figures when they differ from the amount's (default: the same). */
  baseAmount?: string;
  baseCurrency?: string;
  date?: string;
  type?: 'income' | 'expense' | 'transfer';
  accountId?: string;
}

export function transactionEvent(
  type: 'ledger.transaction.created' | 'ledger.transaction.updated' | 'ledger.transaction.deleted',
  userId: string,
  transactionId: string,
  version: number,
  state: TransactionState,
) {
  const currency = state.currency ?? 'EUR';
  return envelope(type, {
    userId,
    aggregateId: transactionId,
    aggregateVersion: version,
    payload: {
      accountId: state.accountId ?? '00000000-0000-4000-8000-000000000001',
      toAccountId: state.type === 'transfer' ? '00000000-0000-4000-8000-000000000002' : null,
      type: state.type ?? 'income',
      amount: state.amount,
      currency,
      baseAmount: state.baseAmount ?? state.amount,
      baseCurrency: state.baseCurrency ?? currency,
      categoryId: null,
      date: state.date ?? '2026-03-01',
      description: 'test',
      payee: null,
      notes: null,
      tags: [],
    },
  });
}

export function accountEvent(
  type: 'ledger.account.created' | 'ledger.account.updated' | 'ledger.account.deleted',
  userId: string,
  accountId: string,
  version: number,
) {
  return envelope(type, {
    userId,
    aggregateId: accountId,
    aggregateVersion: version,
    payload: { name: 'Savings', type: 'savings', currency: 'EUR', openingBalance: '0.00', archived: false },
  });
}

/** The goals service on its own database and queues, its clock pinned, with a token issuer in front. */
export class GoalsHarness {
  readonly issuer = new TestTokenIssuer();
  service!: TestService;
  /** What "now" is for the service; tests may move it. */
  now: Date;

  constructor(now = '2026-03-10T12:00:00Z') {
    this.now = new Date(now);
  }

  async start(env: Record<string, string> = {}): Promise<this> {
    await this.issuer.start();
    this.service = await startTestService(goals, {
      env: { JWKS_URL: this.issuer.jwksUrl, ...env },
      clock: () => this.now,
    });
    return this;
  }

  async stop(): Promise<void> {
    await this.service?.close();
    await this.issuer.stop();
  }

  get url(): string {
    return this.service.url;
  }

  apply(event: FinanceEvent): Promise<boolean> {
    return this.service.consumer.apply(event);
  }

  /** A registered user (EUR, UTC unless told otherwise) with a token. */
  async user(settings: { baseCurrency?: string; timezone?: string } = {}) {
    const id = newId();
    await this.apply(userRegistered(id, settings));
    return { id, token: this.issuer.token(id) };
  }

  /** A transaction of the user's in the read model, as the ledger announced it. */
  async transaction(userId: string, state: TransactionState): Promise<string> {
    const id = newId();
    await this.apply(transactionEvent('ledger.transaction.created', userId, id, 1, state));
    return id;
  }

  async createGoal(token: string, body: Record<string, unknown> = {}) {
    const res = await httpJson('POST', `${this.url}/goals`, {
      token,
      body: { name: 'Holiday', target_amount: '1000.00', ...body },
    });
    if (res.status !== 201) throw new Error(`POST /goals → ${res.status} ${JSON.stringify(res.body)}`);
    return res.body as { id: string; version: number; [key: string]: unknown };
  }

  contribute(token: string, goalId: string, body: Record<string, unknown>, headers?: Record<string, string>) {
    return httpJson('POST', `${this.url}/goals/${goalId}/contribute`, { token, body, headers });
  }

  async goal(token: string, goalId: string) {
    const res = await httpJson('GET', `${this.url}/goals/${goalId}`, { token });
    if (res.status !== 200) throw new Error(`GET /goals/${goalId} → ${res.status}`);
    return res.body;
  }

  /** The milestones and completions this service wrote to its outbox for a user, oldest first. */
  async published(
    userId: string,
  ): Promise<Array<{ type: string; payload: Record<string, unknown>; aggregateVersion: number }>> {
    const rows: Array<{
      envelope: { type: string; payload: Record<string, unknown>; aggregateVersion: number };
    }> = await this.service.dataSource.query(
      `SELECT envelope FROM outbox
       WHERE type IN ('goals.goal.milestone-reached', 'goals.goal.completed') AND envelope->>'userId' = $1
       ORDER BY position`,
      [userId],
    );
    return rows.map((row) => row.envelope);
  }

  /** The goal's state events (`goals.goal.changed/deleted`) in its outbox, oldest first. */
  async goalStates(goalId: string): Promise<
    Array<{
      type: string;
      payload: Record<string, unknown>;
      aggregateVersion: number;
      occurredAt: string;
      userId: string;
    }>
  > {
    const rows: Array<{
      envelope: {
        type: string;
        payload: Record<string, unknown>;
        aggregateVersion: number;
        occurredAt: string;
        userId: string;
      };
    }> = await this.service.dataSource.query(
      `SELECT envelope FROM outbox
       WHERE type IN ('goals.goal.changed', 'goals.goal.deleted') AND envelope->>'aggregateId' = $1
       ORDER BY position`,
      [goalId],
    );
    return rows.map((row) => row.envelope);
  }

  /** The stored current amount and the sum of the contribution rows, which must agree. */
  async amounts(goalId: string): Promise<{ current: string; sum: string }> {
    const [row]: Array<{ current: string; sum: string }> = await this.service.dataSource.query(
      `SELECT g.current_minor::text AS current,
              (SELECT COALESCE(SUM(amount_minor), 0) FROM goal_contributions c WHERE c.goal_id = g.id)::text AS sum
         FROM goals g WHERE g.id = $1`,
      [goalId],
    );
    return row;
  }
}
