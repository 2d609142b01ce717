import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import {
  Readiness,
  TokenVerifier,
  authenticate,
  databaseCheck,
  openDatabase,
  parseEvent,
  type EventType,
  type FinanceEvent,
} from '@finance/shared';
import {
  TEST_AUDIENCE,
  TEST_ISSUER,
  TestTokenIssuer,
  createTestDatabase,
  dropTestDatabase,
  httpJson,
  startHttpServer,
  testLogger,
  type RunningServer,
} from '@finance/shared/testing';
import { buildApp } from '../src/app';
import { createLedgerDataSource } from '../src/data/data-source';
import { onUserRegistered } from '../src/events/auth-handlers';

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

/** The ledger app in-process on port 0 against its own fresh database, with a real JWKS issuer. */
export class LedgerHarness {
  dataSource!: DataSource;
  issuer!: TestTokenIssuer;
  server!: RunningServer;
  private databaseUrl!: string;

  static async start(label: string): Promise<LedgerHarness> {
    const h = new LedgerHarness();
    h.databaseUrl = await createTestDatabase(`ledger_${label}`);
    h.dataSource = await openDatabase(createLedgerDataSource(h.databaseUrl, 5));
    h.issuer = await new TestTokenIssuer().start();
    const verifier = new TokenVerifier({
      jwksUrl: h.issuer.jwksUrl,
      issuer: TEST_ISSUER,
      audience: TEST_AUDIENCE,
    });
    const app = buildApp({
      dataSource: h.dataSource,
      logger: testLogger('ledger'),
      readiness: new Readiness({ db: databaseCheck(h.dataSource) }),
      authenticate: authenticate(verifier),
    });
    h.server = await startHttpServer(app);
    return h;
  }

  get databaseUrlForTests(): string {
    return this.databaseUrl;
  }

  async stop(): Promise<void> {
    await this.server?.close();
    await this.issuer?.stop();
    if (this.dataSource?.isInitialized) await this.dataSource.destroy();
    if (this.databaseUrl) await dropTestDatabase(this.databaseUrl);
  }

  /** A user with a token; with a profile (base currency/timezone) unless `registered: false`. */
  async user(
    options: { baseCurrency?: string; timezone?: string; registered?: boolean } = {},
  ): Promise<TestUser> {
    const id = randomUUID();
    if (options.registered !== false) {
      await this.dataSource.transaction((m) =>
        onUserRegistered(
          authEvent('auth.user.registered', id, 1, {
            email: `${id}@example.com`,
            username: `u${id.slice(0, 8)}`,
            baseCurrency: options.baseCurrency ?? 'USD',
            timezone: options.timezone ?? 'UTC',
            role: 'user',
          }),
          m,
        ),
      );
    }
    return { id, token: this.issuer.token(id) };
  }

  call<T = any>(
    method: string,
    path: string,
    user: TestUser | undefined,
    options: { body?: unknown; headers?: Record<string, string> } = {},
  ) {
    return httpJson<T>(method, `${this.server.url}${path}`, { ...options, token: user?.token });
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

  async outboxCount(): Promise<number> {
    const [row] = await this.dataSource.query(`SELECT count(*)::int AS n FROM outbox`);
    return row.n;
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

/** Field paths named by a problem+json answer. */
export function fieldsOf(body: { errors?: Array<{ field: string }> }): string[] {
  return (body.errors ?? []).map((e) => e.field);
}
