import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { newId, parseEvent, type EventType, type FinanceEvent } from '@finance/shared';
import { TestTokenIssuer, httpJson, startTestService, type TestService } from '@finance/shared/testing';
import ledger from '../src/service';

// Run from the repository root (jest projects), the preset's testTimeout does not apply; real
// PostgreSQL and RabbitMQ on a shared, busy machine need more than jest's 5 s default.
jest.setTimeout(60_000);

export interface TestUser {
  id: string;
  token: string;
}

export interface OutboxEvent {
  type: string;
  aggregateId: string;
  aggregateVersion: number;
  userId: string;
  payload: Record<string, unknown>;
}

export interface HarnessOptions {
  /** "Now" for the whole service (default: the system clock). */
  clock?: () => Date;
  /** Environment beyond the test defaults. */
  env?: Record<string, string>;
}

/**
 * The ledger started from its definition, exactly as main.ts starts it (startTestService: its
 * own fresh database and queues, real PostgreSQL and RabbitMQ), with a real JWKS issuer. Events
 * from auth are fed with `apply`, as a delivery would apply them.
 */
export class LedgerHarness {
  service!: TestService;
  issuer!: TestTokenIssuer;

  static async start(label: string, options: HarnessOptions = {}): Promise<LedgerHarness> {
    const h = new LedgerHarness();
    h.issuer = await new TestTokenIssuer().start();
    h.service = await startTestService(ledger, {
      env: { JWKS_URL: h.issuer.jwksUrl, DB_POOL_SIZE: '5', ...options.env },
      clock: options.clock,
      label: `ledger_${label}`,
    });
    return h;
  }

  get dataSource(): DataSource {
    return this.service.dataSource;
  }

  async stop(): Promise<void> {
    await this.service?.close();
    await this.issuer?.stop();
  }

  /** Applies an event exactly as a delivery would (inbox and handler in one transaction); false when skipped. */
  apply(event: FinanceEvent): Promise<boolean> {
    return this.service.consumer.apply(event);
  }

  /**
   * A user with a token. Registered (auth.user.registered applied) unless `registered: false`:
   * then a user auth has told the ledger nothing about, and not a new one (a v4 id, which no
   * lookup waits for), as a user from before the ledger kept a directory: the shared fallback.
   */
  async user(
    options: { baseCurrency?: string; timezone?: string; registered?: boolean } = {},
  ): Promise<TestUser> {
    if (options.registered === false) {
      const id = randomUUID();
      return { id, token: this.issuer.token(id) };
    }
    const id = newId();
    expect(
      await this.apply(
        userEvent('auth.user.registered', id, 1, {
          baseCurrency: options.baseCurrency,
          timezone: options.timezone,
        }),
      ),
    ).toBe(true);
    return { id, token: this.issuer.token(id) };
  }

  call<T = any>(
    method: string,
    path: string,
    user: TestUser | undefined,
    options: { body?: unknown; headers?: Record<string, string> } = {},
  ) {
    return httpJson<T>(method, `${this.service.url}${path}`, { ...options, token: user?.token });
  }

  /** Events in the outbox, oldest first, optionally only one type / one aggregate. */
  async outbox(
    filter: { type?: string; aggregateId?: string; userId?: string } = {},
  ): Promise<OutboxEvent[]> {
    const rows: Array<{ envelope: OutboxEvent }> = await this.dataSource.query(
      `SELECT envelope FROM outbox
        WHERE ($1::text IS NULL OR type = $1)
          AND ($2::text IS NULL OR envelope->>'aggregateId' = $2)
          AND ($3::text IS NULL OR envelope->>'userId' = $3)
        ORDER BY position`,
      [filter.type ?? null, filter.aggregateId ?? null, filter.userId ?? null],
    );
    return rows.map((r) => r.envelope);
  }

  /**
   * Events in the outbox about these users. Always scoped: the service's consumer is on the shared
   * test broker, so auth.user.registered published by other test files reaches it too (and gives
   * their users default categories here).
   */
  async outboxCount(...userIds: [string, ...string[]]): Promise<number> {
    const [row] = await this.dataSource.query(
      `SELECT count(*)::int AS n FROM outbox WHERE envelope->>'userId' = ANY($1::text[])`,
      [userIds],
    );
    return row.n;
  }

  /** How many rows of the user each of the ledger's tables holds. */
  async rowsOf(userId: string): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (const table of ['accounts', 'categories', 'transactions', 'idempotency_keys']) {
      const [row] = await this.dataSource.query(
        `SELECT count(*)::int AS n FROM ${table} WHERE user_id = $1`,
        [userId],
      );
      counts[table] = row.n;
    }
    return counts;
  }
}

/** A validated auth.* event, as the consumer would hand it to a handler. */
export function authEvent<T extends EventType>(
  type: T,
  userId: string,
  aggregateVersion: number,
  payload: unknown,
): FinanceEvent<T> {
  return parseEvent({
    id: randomUUID(),
    type,
    version: 1,
    occurredAt: new Date().toISOString(),
    userId,
    correlationId: randomUUID(),
    aggregateId: userId,
    aggregateVersion,
    payload,
  }) as FinanceEvent<T>;
}

/** An auth.user.registered / updated with a complete profile (USD, UTC, session 0, active unless said). */
export function userEvent<T extends 'auth.user.registered' | 'auth.user.updated'>(
  type: T,
  userId: string,
  aggregateVersion: number,
  profile: {
    baseCurrency?: string;
    timezone?: string;
    sessionVersion?: number;
    isActive?: boolean;
  } = {},
): FinanceEvent<T> {
  return authEvent(type, userId, aggregateVersion, {
    email: `${userId}@example.com`,
    username: `u${userId.slice(0, 8)}`,
    baseCurrency: profile.baseCurrency ?? 'USD',
    timezone: profile.timezone ?? 'UTC',
    role: 'user',
    sessionVersion: profile.sessionVersion ?? 0,
    isActive: profile.isActive ?? true,
  });
}

/** A UUIDv7 made `ageMs` ago: an id too old for any lookup to wait for. */
export function oldV7Id(ageMs: number): string {
  const hex = (Date.now() - ageMs).toString(16).padStart(12, '0');
  const fresh = newId();
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}${fresh.slice(13)}`;
}

/** Field paths named by a problem+json answer. */
export function fieldsOf(body: { errors?: Array<{ field: string }> }): string[] {
  return (body.errors ?? []).map((e) => e.field);
}
