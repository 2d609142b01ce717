import { randomUUID } from 'node:crypto';
import { Client, type ClientConfig } from 'pg';
import type { Logger } from 'pino';
import type { DataSource, EntityManager, MigrationInterface, QueryRunner } from 'typeorm';
import { currentContext } from '../context';
import { Broker, BrokerUnavailableError } from './broker';
import { eventsPublished } from './metrics';
import { parseEvent, type EventType, type FinanceEvent, type NewEvent } from './contracts';

/** The PostgreSQL NOTIFY channel that wakes the relay right after a commit. */
export const OUTBOX_CHANNEL = 'finance_outbox';

export class CreateOutbox1700000000100 implements MigrationInterface {
  name = 'CreateOutbox1700000000100';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE IF NOT EXISTS outbox (
        position bigserial PRIMARY KEY,
        event_id uuid NOT NULL UNIQUE,
        type text NOT NULL,
        envelope jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        attempts integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        last_error text,
        sent_at timestamptz
      )`);
    await queryRunner.query(
      `CREATE INDEX IF NOT EXISTS outbox_pending ON outbox (position) WHERE sent_at IS NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX IF NOT EXISTS outbox_sent ON outbox (sent_at) WHERE sent_at IS NOT NULL`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE IF EXISTS outbox`);
  }
}

/** Spread into a publishing service's migrations. */
export const outboxMigrations = [CreateOutbox1700000000100];

/**
 * Writes an event into the outbox inside the caller's transaction, so it is published if and
 * only if the business change commits. Fills in id, version, occurredAt and correlationId (the
 * work context's — the HTTP request id or the consumed event's — else the event's own id).
 * An event that breaks its contract throws, rolling the business change back with it.
 */
export async function publishEvent<T extends EventType>(
  manager: EntityManager,
  event: NewEvent<T>,
): Promise<FinanceEvent<T>> {
  if (!manager.queryRunner?.isTransactionActive)
    throw new Error('publishEvent must run inside a transaction (dataSource.transaction(manager => ...))');
  const id = randomUUID();
  const context = currentContext();
  const envelope = parseEvent({
    id,
    type: event.type,
    version: 1,
    occurredAt: event.occurredAt ?? new Date().toISOString(),
    userId: event.userId,
    correlationId: event.correlationId ?? context.correlationId ?? context.requestId ?? id,
    aggregateId: event.aggregateId,
    aggregateVersion: event.aggregateVersion,
    payload: event.payload,
  }) as FinanceEvent<T>;
  // One round trip for the row and the relay's wake-up (bench/: a write path is a chain of round
  // trips). The NOTIFY is delivered at commit (dropped on rollback); several in one transaction collapse.
  await manager.query(
    `WITH stored AS (INSERT INTO outbox (event_id, type, envelope) VALUES ($1, $2, $3) RETURNING 1)
     SELECT pg_notify($4, '') FROM stored`,
    [envelope.id, envelope.type, JSON.stringify(envelope), OUTBOX_CHANNEL],
  );
  return envelope;
}

export interface OutboxRelayOptions {
  dataSource: DataSource;
  broker: Broker;
  logger: Logger;
  /** Rows claimed per round trip. */
  batchSize?: number;
  /** Safety-net poll, for a missed NOTIFY or a row whose retry time came. */
  pollIntervalMs?: number;
  /** How long sent rows are kept (for audits and debugging) before pruning. Default 7 days. */
  retentionMs?: number;
  pruneIntervalMs?: number;
  /** Ceiling of the back-off between attempts of a row the broker refused. */
  maxBackoffMs?: number;
}

interface OutboxRow {
  position: string;
  event_id: string;
  type: string;
  envelope: Record<string, unknown>;
  attempts: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Publishes committed outbox rows in order on the broker's confirm channel and marks them sent
 * only after the broker's ack. Rows are claimed with FOR UPDATE SKIP LOCKED, so several relays
 * (one per replica) never publish the same row twice while all are healthy. Woken by
 * LISTEN/NOTIFY right after commits, by a reconnected broker, and by a poll.
 */
export class OutboxRelay {
  /** Events this relay had confirmed by the broker (tests and metrics). */
  publishedCount = 0;
  private readonly logger: Logger;
  private stopping = true;
  private running?: Promise<void>;
  private again = false;
  private listener?: Client;
  private listenAttempts = 0;
  private timers: NodeJS.Timeout[] = [];
  private readonly onBrokerConnected = () => this.wake();

  constructor(private readonly options: OutboxRelayOptions) {
    this.logger = options.logger.child({ component: 'outbox-relay' });
  }

  async start(): Promise<void> {
    this.stopping = false;
    this.options.broker.on('connected', this.onBrokerConnected);
    await this.listen().catch((error) => {
      // Not fatal: the poll keeps things moving while LISTEN reconnects.
      this.logger.warn({ err: error }, 'outbox LISTEN failed; retrying');
      this.scheduleListen();
    });
    this.timers.push(setInterval(() => this.wake(), this.options.pollIntervalMs ?? 1_000).unref());
    this.timers.push(
      setInterval(() => void this.prune(), this.options.pruneIntervalMs ?? 60 * 60 * 1000).unref(),
    );
    void this.prune();
    this.wake();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.options.broker.off('connected', this.onBrokerConnected);
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    await this.running;
    const listener = this.listener;
    this.listener = undefined;
    await listener?.end().catch(() => undefined);
  }

  /** Runs a drain now, or right after the one in progress. */
  wake(): void {
    if (this.stopping) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.drain().finally(() => {
      this.running = undefined;
    });
  }

  /** Deletes sent rows older than the retention. */
  async prune(): Promise<number> {
    try {
      const retentionMs = this.options.retentionMs ?? 7 * DAY_MS;
      const result: [unknown[], number] = await this.options.dataSource.query(
        `DELETE FROM outbox WHERE sent_at IS NOT NULL AND sent_at < now() - ($1::bigint * interval '1 millisecond')`,
        [retentionMs],
      );
      return result[1] ?? 0;
    } catch (error) {
      this.logger.warn({ err: error }, 'outbox prune failed');
      return 0;
    }
  }

  private async drain(): Promise<void> {
    do {
      this.again = false;
      try {
        const batchSize = this.options.batchSize ?? 100;
        for (;;) {
          if (this.stopping || !this.options.broker.isConnected) break;
          const { claimed, brokerLost } = await this.publishBatch(batchSize);
          if (claimed < batchSize || brokerLost) break;
        }
      } catch (error) {
        this.logger.error({ err: error }, 'outbox relay round failed');
      }
    } while (this.again && !this.stopping);
  }

  private async publishBatch(batchSize: number): Promise<{ claimed: number; brokerLost: boolean }> {
    const { broker } = this.options;
    return this.options.dataSource.transaction(async (manager) => {
      const rows: OutboxRow[] = await manager.query(
        `SELECT position, event_id, type, envelope, attempts FROM outbox
          WHERE sent_at IS NULL AND next_attempt_at <= now()
          ORDER BY position LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [batchSize],
      );
      if (rows.length === 0) return { claimed: 0, brokerLost: false };
      // One channel keeps publish order; confirms are awaited together.
      const results = await Promise.allSettled(
        rows.map((row) =>
          broker.publish(row.type, row.envelope, { messageId: row.event_id, type: row.type }),
        ),
      );
      const sent: string[] = [];
      let brokerLost = false;
      for (const [index, result] of results.entries()) {
        const row = rows[index];
        if (result.status === 'fulfilled') {
          sent.push(row.position);
          eventsPublished.inc({ type: row.type });
        } else if (result.reason instanceof BrokerUnavailableError) {
          // Not the row's fault: it stays pending and goes out when the broker is back.
          brokerLost = true;
        } else {
          const delayMs = Math.min(this.options.maxBackoffMs ?? 30_000, 250 * 2 ** row.attempts);
          this.logger.warn(
            { err: result.reason, eventId: row.event_id, attempts: row.attempts + 1 },
            'outbox publish failed',
          );
          await manager.query(
            `UPDATE outbox SET attempts = attempts + 1, last_error = $2,
                    next_attempt_at = now() + ($3::bigint * interval '1 millisecond')
              WHERE position = $1`,
            [row.position, String((result.reason as Error)?.message ?? result.reason), delayMs],
          );
        }
      }
      if (sent.length > 0)
        await manager.query(`UPDATE outbox SET sent_at = now() WHERE position = ANY($1::bigint[])`, [sent]);
      this.publishedCount += sent.length;
      return { claimed: rows.length, brokerLost };
    });
  }

  private async listen(): Promise<void> {
    if (this.stopping) return;
    const client = new Client(listenConfig(this.options.dataSource));
    client.on('error', (error) => {
      this.logger.warn({ err: error }, 'outbox LISTEN connection error');
    });
    client.on('end', () => {
      if (this.listener !== client || this.stopping) return;
      this.listener = undefined;
      this.scheduleListen();
    });
    client.on('notification', () => this.wake());
    await client.connect();
    this.listener = client;
    await client.query(`LISTEN ${OUTBOX_CHANNEL}`);
    this.listenAttempts = 0;
    // Rows committed while we were not listening.
    this.wake();
  }

  private scheduleListen(): void {
    if (this.stopping) return;
    const delay = Math.min(30_000, 200 * 2 ** this.listenAttempts++) * (0.5 + Math.random() / 2);
    const timer = setTimeout(() => {
      this.timers = this.timers.filter((t) => t !== timer);
      this.listen().catch((error) => {
        this.logger.warn({ err: error }, 'outbox LISTEN reconnect failed');
        this.scheduleListen();
      });
    }, delay).unref();
    this.timers.push(timer);
  }
}

/** The data source's connection settings, for the relay's own LISTEN connection. */
function listenConfig(dataSource: DataSource): ClientConfig {
  const options = dataSource.options as {
    url?: string;
    host?: string;
    port?: number;
    username?: string;
    password?: string;
    database?: string;
  };
  if (options.url) return { connectionString: options.url, application_name: 'outbox-relay' };
  return {
    host: options.host,
    port: options.port,
    user: options.username,
    password: options.password,
    database: options.database,
    application_name: 'outbox-relay',
  };
}
