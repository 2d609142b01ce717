import { Client, type ClientConfig } from 'pg';
import type { Logger } from 'pino';
import type {
  DataSource,
  EntityManager,
  EntitySubscriberInterface,
  MigrationInterface,
  QueryRunner,
  TransactionCommitEvent,
  TransactionRollbackEvent,
} from 'typeorm';
import { currentContext } from '../context';
import { newId } from '../ids';
import { Broker, BrokerUnavailableError } from './broker';
import { eventsPublished, watchOutbox } from './metrics';
import { parseEvent, type EventType, type FinanceEvent, type NewEvent } from './contracts';
import { readOutboxPending } from './outbox-pending';

/**
 * How long a relay holds the rows it claimed before another may take them: far above a broker's
 * confirm time; a relay that dies holding rows delays them by at most this.
 */
export const OUTBOX_CLAIM_LEASE_MS = 30_000;

/** Batches a relay keeps published but not yet confirmed. */
const MAX_BATCHES_AWAITING_CONFIRMS = 8;

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
  const envelope = envelopeOf(event);
  const relay = localRelays.get(manager.connection);
  if (relay) {
    // A relay runs in this process: the row is written already leased to it, and handed to it the
    // moment the transaction commits (OutboxCommitHook), with no NOTIFY and no claim in between. If
    // the process dies first, the lease runs out and any relay publishes it (docs/events.md).
    const [row]: Array<{ position: string }> = await manager.query(
      `INSERT INTO outbox (event_id, type, envelope, next_attempt_at)
       VALUES ($1, $2, $3, clock_timestamp() + ($4::bigint * interval '1 millisecond')) RETURNING position`,
      [envelope.id, envelope.type, JSON.stringify(envelope), OUTBOX_CLAIM_LEASE_MS],
    );
    awaitingCommit(manager.queryRunner).rows.push({
      position: String(row.position),
      event_id: envelope.id,
      type: envelope.type,
      envelope: envelope as unknown as Record<string, unknown>,
      attempts: 0,
    });
    return envelope;
  }
  // One round trip for the row and the relay's wake-up (bench/: a write path is a chain of round
  // trips). The NOTIFY is delivered at commit (dropped on rollback); several in one transaction collapse.
  await manager.query(
    `WITH stored AS (INSERT INTO outbox (event_id, type, envelope) VALUES ($1, $2, $3) RETURNING 1)
     SELECT pg_notify($4, '') FROM stored`,
    [envelope.id, envelope.type, JSON.stringify(envelope), OUTBOX_CHANNEL],
  );
  return envelope;
}

function envelopeOf<T extends EventType>(event: NewEvent<T>): FinanceEvent<T> {
  const id = newId();
  const context = currentContext();
  return parseEvent({
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
}

/** Rows one statement of {@link publishEvents} writes. */
const OUTBOX_ROWS_PER_STATEMENT = 1_000;

/** Most events of one {@link publishEvents} handed to the local relay at commit. */
const LOCAL_HANDOVER_MAX = 1_000;

/**
 * {@link publishEvent} for many events at once (an import's thousands): the same envelopes and
 * rules, written with one multi-row INSERT per thousand events instead of a round trip each.
 * They are published in the given order.
 */
export async function publishEvents<T extends EventType>(
  manager: EntityManager,
  events: ReadonlyArray<NewEvent<T>>,
): Promise<void> {
  if (!manager.queryRunner?.isTransactionActive)
    throw new Error('publishEvents must run inside a transaction (dataSource.transaction(manager => ...))');
  // A few: leased to this process's relay as publishEvent does. Many (an import): left for the
  // relay's claims, a batch at a time; handed over all at once, a burst of 100,000 publishes
  // outruns the broker's confirm timeout.
  const relay = events.length <= LOCAL_HANDOVER_MAX ? localRelays.get(manager.connection) : undefined;
  for (let start = 0; start < events.length; start += OUTBOX_ROWS_PER_STATEMENT) {
    const envelopes = events.slice(start, start + OUTBOX_ROWS_PER_STATEMENT).map((e) => envelopeOf(e));
    const columns = [
      envelopes.map((e) => e.id),
      envelopes.map((e) => e.type),
      envelopes.map((e) => JSON.stringify(e)),
    ];
    if (!relay) {
      await manager.query(
        `WITH stored AS (
           INSERT INTO outbox (event_id, type, envelope)
           SELECT * FROM unnest($1::uuid[], $2::text[], $3::jsonb[]) RETURNING 1)
         SELECT pg_notify($4, '') FROM (SELECT 1 FROM stored LIMIT 1) AS one`,
        [...columns, OUTBOX_CHANNEL],
      );
      continue;
    }
    // As publishEvent: leased to this process's relay, handed over at commit.
    const rows: Array<{ position: string; event_id: string }> = await manager.query(
      `INSERT INTO outbox (event_id, type, envelope, next_attempt_at)
       SELECT e.id, e.type, e.envelope, clock_timestamp() + ($4::bigint * interval '1 millisecond')
         FROM unnest($1::uuid[], $2::text[], $3::jsonb[]) WITH ORDINALITY AS e (id, type, envelope, n)
        ORDER BY e.n
       RETURNING position, event_id`,
      [...columns, OUTBOX_CLAIM_LEASE_MS],
    );
    const positions = new Map(rows.map((r) => [r.event_id, String(r.position)]));
    awaitingCommit(manager.queryRunner).rows.push(
      ...envelopes.map((envelope) => ({
        position: positions.get(envelope.id)!,
        event_id: envelope.id,
        type: envelope.type,
        envelope: envelope as unknown as Record<string, unknown>,
        attempts: 0,
      })),
    );
  }
}

/**
 * Erases the payloads (descriptions, payees, amounts, e-mail…) of a deleted user's events that
 * were already published: the rows stay for the relay's bookkeeping until pruned, their contents
 * do not. Run in the deletion's transaction; events still unsent are erased by the relay's prune
 * pass once sent (see {@link OutboxRelay.prune}).
 */
export async function eraseSentPayloadsOf(manager: EntityManager, userId: string): Promise<void> {
  await manager.query(
    `UPDATE outbox SET envelope = jsonb_set(envelope, '{payload}', '{}'::jsonb)
     WHERE sent_at IS NOT NULL AND envelope->>'userId' = $1 AND envelope->'payload' <> '{}'::jsonb`,
    [userId],
  );
}

/** The relay running in this process for a data source, if any: publishEvent hands rows to it. */
const localRelays = new WeakMap<DataSource, OutboxRelay>();

interface AwaitingCommit {
  rows: OutboxRow[];
  /** A savepoint was rolled back: some rows may not exist; hand them to the relay's claim instead. */
  uncertain: boolean;
}

function awaitingCommit(queryRunner: QueryRunner): AwaitingCommit {
  return ((queryRunner.data as { outbox?: AwaitingCommit }).outbox ??= { rows: [], uncertain: false });
}

function takeAwaitingCommit(queryRunner: QueryRunner): AwaitingCommit | undefined {
  const data = queryRunner.data as { outbox?: AwaitingCommit };
  const taken = data.outbox;
  data.outbox = undefined;
  return taken;
}

/**
 * Hands a transaction's outbox rows to the relay once it has really committed (TypeORM also
 * reports a released savepoint as a commit), and forgets them on rollback. Never returns a
 * promise: TypeORM would make the commit wait for it.
 */
class OutboxCommitHook implements EntitySubscriberInterface {
  constructor(private readonly relay: OutboxRelay) {}

  afterTransactionCommit(event: TransactionCommitEvent): void {
    if (event.queryRunner.isTransactionActive) return;
    const awaiting = takeAwaitingCommit(event.queryRunner);
    if (awaiting && awaiting.rows.length > 0) this.relay.committed(awaiting);
  }

  afterTransactionRollback(event: TransactionRollbackEvent): void {
    if (event.queryRunner.isTransactionActive) {
      const awaiting = (event.queryRunner.data as { outbox?: AwaitingCommit }).outbox;
      if (awaiting) awaiting.uncertain = true;
      return;
    }
    takeAwaitingCommit(event.queryRunner);
  }
}

export interface OutboxRelayOptions {
  dataSource: DataSource;
  /** Labels its metrics (`outbox_pending_events{service}`). */
  service?: string;
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
 * only after the broker's ack. Rows are leased in one statement (FOR UPDATE SKIP LOCKED, then
 * `next_attempt_at` a lease ahead), so several relays (one per replica) never publish the same row
 * twice while all are healthy, and no transaction waits on the broker. Woken by LISTEN/NOTIFY right
 * after commits, by a reconnected broker, and by a poll.
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
  private unwatch?: () => void;
  /** Published batches waiting for the broker's confirms, then for their rows to be marked. */
  private readonly settling = new Set<Promise<void>>();
  private readonly onBrokerConnected = () => this.wake();
  private readonly commitHook = new OutboxCommitHook(this);

  constructor(private readonly options: OutboxRelayOptions) {
    this.logger = options.logger.child({ component: 'outbox-relay' });
  }

  async start(): Promise<void> {
    this.stopping = false;
    this.unwatch = watchOutbox({
      service: this.options.service ?? 'service',
      pending: () => readOutboxPending(this.options.dataSource),
    });
    this.options.broker.on('connected', this.onBrokerConnected);
    const { dataSource } = this.options;
    if (!localRelays.has(dataSource)) {
      localRelays.set(dataSource, this);
      dataSource.subscribers.push(this.commitHook);
    }
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
    this.unwatch?.();
    this.options.broker.off('connected', this.onBrokerConnected);
    const { dataSource } = this.options;
    if (localRelays.get(dataSource) === this) {
      localRelays.delete(dataSource);
      const index = dataSource.subscribers.indexOf(this.commitHook);
      if (index >= 0) dataSource.subscribers.splice(index, 1);
    }
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    await this.running;
    while (this.settling.size > 0) await Promise.allSettled([...this.settling]);
    const listener = this.listener;
    this.listener = undefined;
    await listener?.end().catch(() => undefined);
  }

  /**
   * Rows of a transaction that just committed, leased to this relay by publishEvent: published at
   * once. When a savepoint was rolled back some may not exist, and when stopping they are not
   * ours to publish: their lease is released for a claim instead.
   */
  committed(awaiting: AwaitingCommit): void {
    const rows = awaiting.rows;
    if (!awaiting.uncertain && !this.stopping && this.options.broker.isConnected) {
      this.settle(rows);
      return;
    }
    this.options.dataSource
      .query(
        `UPDATE outbox SET next_attempt_at = now() WHERE position = ANY($1::bigint[]) AND sent_at IS NULL`,
        [rows.map((row) => row.position)],
      )
      .then(() => this.wake())
      .catch((error) =>
        this.logger.warn({ err: error }, 'outbox could not release leased rows; the lease will'),
      );
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

  /**
   * Deletes sent rows older than the retention, and erases the payloads of sent events of users
   * deleted since (where the service keeps tombstones: `deleted_users`, next to its inbox).
   */
  async prune(): Promise<number> {
    try {
      const retentionMs = this.options.retentionMs ?? 7 * DAY_MS;
      const result: [unknown[], number] = await this.options.dataSource.query(
        `DELETE FROM outbox WHERE sent_at IS NOT NULL AND sent_at < now() - ($1::bigint * interval '1 millisecond')`,
        [retentionMs],
      );
      await this.options.dataSource.query(
        `DO $$ BEGIN
           IF to_regclass('deleted_users') IS NOT NULL THEN
             UPDATE outbox o SET envelope = jsonb_set(o.envelope, '{payload}', '{}'::jsonb)
             FROM deleted_users d
             WHERE o.sent_at IS NOT NULL AND o.envelope->>'userId' = d.user_id::text
               AND o.envelope->'payload' <> '{}'::jsonb;
           END IF;
         END $$`,
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
          // Bounded: a broker slow to confirm holds at most this many batches in memory.
          while (this.settling.size >= MAX_BATCHES_AWAITING_CONFIRMS) await Promise.race(this.settling);
          const rows = await this.claim(batchSize);
          if (rows.length === 0) break;
          this.settle(rows);
          if (rows.length < batchSize) break;
        }
      } catch (error) {
        this.logger.error({ err: error }, 'outbox relay round failed');
      }
    } while (this.again && !this.stopping);
  }

  /**
   * Leases the oldest due rows to this relay in one statement: their `next_attempt_at` moves a
   * lease ahead, so no other relay (FOR UPDATE SKIP LOCKED while claiming, the lease after) takes
   * them, and a relay that dies holding them only delays them by the lease. No transaction stays
   * open while the broker confirms.
   */
  private async claim(batchSize: number): Promise<OutboxRow[]> {
    // TypeORM answers an UPDATE with [rows, affected count].
    const [rows]: [OutboxRow[], number] = await this.options.dataSource.query(
      `UPDATE outbox SET next_attempt_at = now() + ($2::bigint * interval '1 millisecond')
        WHERE position IN (
          SELECT position FROM outbox
           WHERE sent_at IS NULL AND next_attempt_at <= now()
           ORDER BY position LIMIT $1 FOR UPDATE SKIP LOCKED)
        RETURNING position, event_id, type, envelope, attempts`,
      [batchSize, OUTBOX_CLAIM_LEASE_MS],
    );
    // RETURNING has no order: publish in commit order.
    return rows.sort((a, b) => (BigInt(a.position) < BigInt(b.position) ? -1 : 1));
  }

  /**
   * Publishes the rows now, in order on the one confirm channel, and marks them once the broker
   * has confirmed, in the background: the next batch is claimed and published meanwhile instead of
   * waiting for this one's confirms (order across batches holds: same channel, published in turn).
   */
  private settle(rows: OutboxRow[]): void {
    const { broker } = this.options;
    const published = rows.map((row) =>
      broker.publish(row.type, row.envelope, { messageId: row.event_id, type: row.type }),
    );
    const settling: Promise<void> = this.record(rows, published)
      .catch((error) => {
        // The rows stay leased and are published again when the lease runs out (at least once).
        this.logger.error({ err: error }, 'outbox could not record publish results');
      })
      .finally(() => this.settling.delete(settling));
    this.settling.add(settling);
  }

  private async record(rows: OutboxRow[], published: Promise<void>[]): Promise<void> {
    const results = await Promise.allSettled(published);
    const sent: string[] = [];
    const brokerGone: string[] = [];
    for (const [index, result] of results.entries()) {
      const row = rows[index];
      if (result.status === 'fulfilled') {
        sent.push(row.position);
        eventsPublished.inc({ type: row.type });
      } else if (result.reason instanceof BrokerUnavailableError) {
        // Not the row's fault: due again at once; the broker's reconnect wakes the relay.
        brokerGone.push(row.position);
      } else {
        const delayMs = Math.min(this.options.maxBackoffMs ?? 30_000, 250 * 2 ** row.attempts);
        this.logger.warn(
          { err: result.reason, eventId: row.event_id, attempts: row.attempts + 1 },
          'outbox publish failed',
        );
        await this.options.dataSource.query(
          `UPDATE outbox SET attempts = attempts + 1, last_error = $2,
                  next_attempt_at = now() + ($3::bigint * interval '1 millisecond')
            WHERE position = $1`,
          [row.position, String((result.reason as Error)?.message ?? result.reason), delayMs],
        );
      }
    }
    if (sent.length > 0)
      await this.options.dataSource.query(
        `UPDATE outbox SET sent_at = now() WHERE position = ANY($1::bigint[])`,
        [sent],
      );
    if (brokerGone.length > 0)
      await this.options.dataSource.query(
        `UPDATE outbox SET next_attempt_at = now() WHERE position = ANY($1::bigint[]) AND sent_at IS NULL`,
        [brokerGone],
      );
    this.publishedCount += sent.length;
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
