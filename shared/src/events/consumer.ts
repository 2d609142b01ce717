import { EventEmitter } from 'node:events';
import type { Channel, ConsumeMessage, MessagePropertyHeaders } from 'amqplib';
import type { Logger } from 'pino';
import type { DataSource, EntityManager } from 'typeorm';
import { runWithContext } from '../context';
import type { Broker, ConsumerHandle } from './broker';
import { parseEvent, type EventType, type FinanceEvent } from './contracts';
import { recordAllInInbox, recordInInbox } from './inbox';
import { consumerLag, deadLetterDepth, eventsConsumed } from './metrics';
import { DEFAULT_RETRY_DELAYS_MS, declareServiceQueues, serviceQueues, type ServiceQueues } from './topology';

/** Applies one event's effect inside the given transaction (the same one that records it in the inbox). */
export type EventHandler<T extends EventType> = (
  event: FinanceEvent<T>,
  manager: EntityManager,
) => Promise<void>;

/**
 * Applies a run of events of one type (consecutive in a batch, none a duplicate) inside the
 * batch's transaction, with the effect the type's one-event handler would have applied them one
 * after the other: set-based statements instead of a few per event. Also called with one event
 * (a delivery alone, or the savepoint rerun that isolates a failing one).
 */
export type EventBatchHandler<T extends EventType> = (
  events: ReadonlyArray<FinanceEvent<T>>,
  manager: EntityManager,
) => Promise<void>;

/** A registered type's handler: one event at a time, or runs of them. */
type Registration =
  | { kind: 'each'; handler: EventHandler<EventType> }
  | { kind: 'batch'; handler: EventBatchHandler<EventType> };

interface Item {
  event: FinanceEvent;
  registration: Registration;
}

export interface EventConsumerOptions {
  broker: Broker;
  dataSource: DataSource;
  logger: Logger;
  /** The consuming service; names its queues (`<service>.events`, …) and its inbox rows. */
  service: string;
  /** Deliveries the broker keeps handed to this replica unacknowledged (AMQP prefetch). */
  prefetch?: number;
  /**
   * Deliveries applied in one database transaction, default {@link DEFAULT_EVENT_BATCH_SIZE}. A
   * batch is what has arrived when the previous one is done (no waiting to fill it): one event at
   * a time when they trickle in, hundreds per transaction in a burst. 1 = a transaction per event.
   */
  batchSize?: number;
  /** Batches this replica applies at once (each its own transaction); default 1. */
  concurrency?: number;
  /** Handler failures before the event goes to the dead-letter queue. */
  maxAttempts?: number;
  /** Waits before the 1st, 2nd, … retry; the last one repeats. Each is a retry queue's fixed TTL. */
  retryDelaysMs?: readonly number[];
  /**
   * How long event ids stay in the inbox. Must exceed how late a duplicate can come (the outbox
   * keeps sent rows 7 days); default 30 days. Pruned at start and hourly.
   */
  inboxRetentionMs?: number;
}

/** Deliveries per transaction unless configured (`EVENTS_BATCH_SIZE`). */
export const DEFAULT_EVENT_BATCH_SIZE = 250;

/** Header names this consumer writes on retried and dead-lettered messages. */
export const DeliveryHeaders = {
  attempts: 'x-attempts',
  firstFailedAt: 'x-first-failed-at',
  lastError: 'x-last-error',
  originalRoutingKey: 'x-original-routing-key',
  deadLetterReason: 'x-dead-letter-reason',
  deadLetteredAt: 'x-dead-lettered-at',
} as const;

export interface ConsumerStats {
  /** Events whose effect was committed. */
  applied: number;
  /** Deliveries skipped because the inbox already held the event. */
  duplicates: number;
  retried: number;
  deadLettered: number;
  /** Valid events of a type without a handler. */
  ignored: number;
}

/**
 * An idempotent consumer that applies deliveries in batches. Per delivery: validate (invalid →
 * dead-letter queue at once); then per batch, in ONE transaction, record every event id in the
 * inbox and run each handler in delivery order with that transaction's manager; ack only after the
 * commit (one multiple-ack for the batch). A duplicate is acked and skipped. A handler error rolls
 * back that event alone (the batch is run again with a savepoint per event, see
 * {@link EventConsumer.applyBatch}) and sends it to a retry queue (back-off), and after
 * `maxAttempts` to the dead-letter queue with the error, attempts, routing key and first-failure
 * time in its headers, while the rest of the batch commits.
 */
export class EventConsumer {
  readonly stats: ConsumerStats = { applied: 0, duplicates: 0, retried: 0, deadLettered: 0, ignored: 0 };
  /** Emits `applied` (with the event) right after an event's effect committed: what waiters wake on. */
  readonly events = new EventEmitter().setMaxListeners(0);
  readonly queues: ServiceQueues;
  private readonly handlers = new Map<EventType, Registration>();
  private readonly inFlight = new Set<Promise<void>>();
  /** Delivered, not yet taken into a batch. */
  private readonly waiting: Delivery[] = [];
  private readonly acks = new WeakMap<Channel, AckTracker>();
  private batchesRunning = 0;
  private dispatchScheduled = false;
  private readonly batchSize: number;
  private readonly concurrency: number;
  private readonly logger: Logger;
  private readonly retryDelaysMs: readonly number[];
  private handle?: ConsumerHandle;
  private pruneTimer?: NodeJS.Timeout;

  constructor(private readonly options: EventConsumerOptions) {
    this.retryDelaysMs = options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
    if (this.retryDelaysMs.length === 0) throw new Error('retryDelaysMs needs at least one delay');
    this.queues = serviceQueues(options.service, this.retryDelaysMs.length);
    this.batchSize = options.batchSize ?? DEFAULT_EVENT_BATCH_SIZE;
    this.concurrency = options.concurrency ?? 1;
    if (this.batchSize < 1 || this.concurrency < 1) throw new Error('batchSize and concurrency must be ≥ 1');
    this.logger = options.logger.child({ component: 'event-consumer', consumer: options.service });
  }

  /** Registers the handler of one event type (or several); call before `start()`. */
  on<T extends EventType>(types: T | readonly T[], handler: EventHandler<T>): this {
    for (const type of Array.isArray(types) ? types : [types])
      this.register(type, { kind: 'each', handler: handler as unknown as EventHandler<EventType> });
    return this;
  }

  /**
   * Registers the batch handler of one event type instead of a one-event one: called once per
   * consecutive run of fresh events of that type in a batch, in delivery order with the other runs.
   */
  onBatch<T extends EventType>(type: T, handler: EventBatchHandler<T>): this {
    return this.register(type, {
      kind: 'batch',
      handler: handler as unknown as EventBatchHandler<EventType>,
    });
  }

  private register(type: EventType, registration: Registration): this {
    if (this.handlers.has(type)) throw new Error(`${this.options.service} already handles ${type}`);
    this.handlers.set(type, registration);
    return this;
  }

  /** The event types a handler is registered for. */
  get handledTypes(): EventType[] {
    return [...this.handlers.keys()];
  }

  /** Declares the queues (bound to the handled types) and starts consuming; survives reconnects. */
  async start(): Promise<void> {
    if (this.handlers.size === 0) throw new Error(`${this.options.service} consumer has no handlers`);
    const routingKeys = [...this.handlers.keys()];
    await this.options.broker.addTopology((channel) =>
      declareServiceQueues(channel, this.options.service, routingKeys, this.retryDelaysMs).then(
        () => undefined,
      ),
    );
    this.handle = await this.options.broker.consume({
      queue: this.queues.work,
      // Twice a batch by default: the next batch arrives while this one's transaction runs.
      prefetch: this.options.prefetch ?? 2 * this.batchSize,
      onMessage: (message, channel) => this.receive(message, channel),
    });
    void this.pruneInbox();
    this.pruneTimer = setInterval(() => void this.pruneInbox(), 60 * 60 * 1000).unref();
  }

  /**
   * Messages in this consumer's dead-letter queue: events its read model could not apply. Not
   * zero means the read model disagrees with its source until an operator replays them, so it is
   * shown where people look (the gauge, and `/readyz` as degraded), not only in one log line.
   */
  async deadLetters(): Promise<number> {
    const depth = await this.options.broker.withChannel(
      async (channel) => (await channel.checkQueue(this.queues.deadLetter)).messageCount,
    );
    deadLetterDepth.set({ consumer: this.options.service }, depth);
    return depth;
  }

  /** Forgets this consumer's inbox entries older than the retention; returns how many. */
  async pruneInbox(): Promise<number> {
    try {
      const result: [unknown[], number] = await this.options.dataSource.query(
        `DELETE FROM inbox WHERE consumer = $1 AND received_at < now() - ($2::bigint * interval '1 millisecond')`,
        [this.options.service, this.options.inboxRetentionMs ?? 30 * 24 * 60 * 60 * 1000],
      );
      return result[1] ?? 0;
    } catch (error) {
      this.logger.warn({ err: error }, 'inbox prune failed');
      return 0;
    }
  }

  /** Stops taking messages, waits for the ones in progress, then closes the channel. */
  async stop(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    clearInterval(this.pruneTimer);
    await handle?.cancel();
    // Deliveries already received are applied and acked too, like the ones in progress.
    this.dispatch();
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
    await handle?.close();
  }

  /**
   * Applies one event as a delivery would, without the broker: in one transaction, the inbox record
   * and its handler. False when it was a duplicate (or of a deleted user) or has no handler; a
   * handler error is thrown. Tests and tools replay events through it.
   */
  async apply(event: FinanceEvent): Promise<boolean> {
    const registration = this.handlers.get(event.type);
    if (!registration) return false;
    const [outcome] = await this.applyBatch([{ event, registration }]);
    if (outcome.status === 'failed') throw outcome.error;
    if (outcome.status === 'applied') this.committed(event);
    return outcome.status === 'applied';
  }

  private committed(event: FinanceEvent): void {
    const lagSeconds = (Date.now() - Date.parse(event.occurredAt)) / 1000;
    if (lagSeconds >= 0)
      consumerLag.observe({ consumer: this.options.service, type: event.type }, lagSeconds);
    this.events.emit('applied', event);
  }

  private receive(message: ConsumeMessage, channel: Channel): void {
    let tracker = this.acks.get(channel);
    if (!tracker) this.acks.set(channel, (tracker = new AckTracker(channel)));
    tracker.delivered(message);
    this.waiting.push({ message, channel });
    // Deliveries of one socket read arrive in one go: gather them before taking a batch.
    if (this.dispatchScheduled) return;
    this.dispatchScheduled = true;
    setImmediate(() => {
      this.dispatchScheduled = false;
      this.dispatch();
    });
  }

  /** Starts batches of what is waiting, up to `concurrency` at once. */
  private dispatch(): void {
    while (this.batchesRunning < this.concurrency && this.waiting.length > 0) {
      // One channel per batch: a multiple-ack covers only its own channel's deliveries.
      const channel = this.waiting[0].channel;
      let count = 0;
      while (count < this.waiting.length && count < this.batchSize && this.waiting[count].channel === channel)
        count++;
      const batch = this.waiting.splice(0, count);
      this.batchesRunning++;
      this.track(
        this.process(batch).finally(() => {
          this.batchesRunning--;
          this.dispatch();
        }),
      );
    }
  }

  private track(work: Promise<void>): void {
    const tracked = work
      .catch((error) => this.logger.error({ err: error }, 'event processing failed unexpectedly'))
      .finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
  }

  private async process(batch: Delivery[]): Promise<void> {
    try {
      await this.processBatch(batch);
    } finally {
      // Whatever an unexpected error left unsettled goes back to the queue: held unacked, it would
      // keep every later delivery of its channel out of the multiple-ack.
      for (const channel of new Set(batch.map((delivery) => delivery.channel)))
        this.acks.get(channel)?.settleRest(batch.map((delivery) => delivery.message));
    }
  }

  private async processBatch(batch: Delivery[]): Promise<void> {
    const toApply: Array<Item & { delivery: Delivery }> = [];
    for (const delivery of batch) {
      let event: FinanceEvent;
      try {
        event = parseEvent(JSON.parse(delivery.message.content.toString('utf8')));
      } catch (error) {
        const reason =
          error instanceof SyntaxError ? `invalid JSON: ${error.message}` : (error as Error).message;
        await this.reject(delivery, reason);
        continue;
      }
      const registration = this.handlers.get(event.type);
      if (!registration) {
        this.stats.ignored++;
        this.count(event.type, 'ignored');
        this.done(delivery);
        continue;
      }
      toApply.push({ delivery, event, registration });
    }
    let outcomes: Outcome[];
    try {
      outcomes = await this.applyBatch(toApply);
    } catch (error) {
      // The transaction itself failed (the database away): every event goes the retry way.
      outcomes = toApply.map(() => ({ status: 'failed', error }));
    }
    const failures: Promise<void>[] = [];
    for (const [index, { delivery, event }] of toApply.entries()) {
      const outcome = outcomes[index];
      if (outcome.status === 'failed') {
        failures.push(
          runWithContext({ correlationId: event.correlationId, userId: event.userId }, () =>
            this.retryOrDeadLetter(delivery, event, outcome.error),
          ),
        );
        continue;
      }
      this.count(event.type, outcome.status === 'applied' ? 'applied' : 'duplicate');
      if (outcome.status === 'applied') {
        this.stats.applied++;
        this.committed(event);
      } else {
        this.stats.duplicates++;
        this.logger.debug({ eventId: event.id, type: event.type }, 'duplicate event skipped');
      }
      this.done(delivery);
    }
    await Promise.all(failures);
  }

  /**
   * Applies events in one transaction, in order: inbox records and handlers with one manager.
   * Savepoints cost two round trips per event, so the batch first runs without them. When a handler
   * throws, the batch is rolled back whole and run again with a savepoint around each event's inbox
   * record and handler, without the event that failed (its handler is not called twice for one
   * delivery): only the failing ones are left out, the others commit. A batch that lost a deadlock
   * to another is run again whole. A batch of one needs no second run: its failure is the event's.
   */
  private async applyBatch(items: readonly Item[]): Promise<Outcome[]> {
    if (items.length === 0) return [];
    let failed: { index: number; error: unknown } | undefined;
    try {
      return await this.options.dataSource.transaction((manager) => this.applyAll(manager, items));
    } catch (error) {
      const failure = error instanceof HandlerFailure ? error : undefined;
      if (items.length === 1) return [{ status: 'failed', error: failure?.cause ?? error }];
      // A batch handler's failure names no event: the rerun applies its run one at a time.
      if (failure?.index !== undefined && !isTransientConflict(failure.cause))
        failed = { index: failure.index, error: failure.cause };
    }
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.options.dataSource.transaction((manager) => this.applyEach(manager, items, failed));
      } catch (error) {
        // Two batches that lock the same rows in other orders: PostgreSQL picks one to fail; again.
        if (attempt >= 3 || !isTransientConflict(error)) throw error;
      }
    }
  }

  /**
   * Inbox records for each run of events in one statement, then the handlers: a one-event handler
   * per event, a batch handler once per consecutive run of its type's fresh events; any error
   * aborts all.
   */
  private async applyAll(manager: EntityManager, items: readonly Item[]): Promise<Outcome[]> {
    const outcomes: Outcome[] = [];
    const seen = new Set<string>();
    for (let start = 0; start < items.length;) {
      // auth.user.* events are recorded alone: a deletion must be seen by the events after it.
      let end = start + 1;
      if (!isUserEvent(items[start].event))
        while (end < items.length && !isUserEvent(items[end].event)) end++;
      const run = items.slice(start, end);
      const fresh = await recordAllInInbox(
        manager,
        this.options.service,
        run.map(({ event }) => event),
      );
      for (let at = 0; at < run.length;) {
        const { event, registration } = run[at];
        if (registration.kind === 'batch') {
          // The run of this type: consecutive events, duplicates skipped inside it.
          let next = at;
          const events: FinanceEvent[] = [];
          while (next < run.length && run[next].event.type === event.type) {
            const candidate = run[next++].event;
            if (!fresh.has(candidate.id) || seen.has(candidate.id)) {
              outcomes.push({ status: 'duplicate' });
              continue;
            }
            seen.add(candidate.id);
            events.push(candidate);
            outcomes.push({ status: 'applied' });
          }
          if (events.length > 0) {
            try {
              await runWithContext({ correlationId: events[0].correlationId, userId: events[0].userId }, () =>
                registration.handler(events, manager),
              );
            } catch (error) {
              throw new HandlerFailure(undefined, error);
            }
          }
          at = next;
          continue;
        }
        at++;
        if (!fresh.has(event.id) || seen.has(event.id)) {
          outcomes.push({ status: 'duplicate' });
          continue;
        }
        seen.add(event.id);
        try {
          await runWithContext({ correlationId: event.correlationId, userId: event.userId }, () =>
            registration.handler(event, manager),
          );
        } catch (error) {
          throw new HandlerFailure(outcomes.length, error);
        }
        outcomes.push({ status: 'applied' });
      }
      start = end;
    }
    return outcomes;
  }

  /** Each event's inbox record and handler in a savepoint of its own; a failing one is rolled back alone. */
  private async applyEach(
    manager: EntityManager,
    items: readonly Item[],
    failed?: { index: number; error: unknown },
  ): Promise<Outcome[]> {
    // TypeORM's nested transaction is a savepoint, and tells the outbox's commit hook when one is
    // rolled back (events a handler published there must not be handed to the relay).
    const runner = manager.queryRunner!;
    const outcomes: Outcome[] = [];
    for (const [index, { event, registration }] of items.entries()) {
      if (index === failed?.index) {
        outcomes.push({ status: 'failed', error: failed.error });
        continue;
      }
      await runner.startTransaction();
      try {
        const fresh = await recordInInbox(manager, this.options.service, event);
        if (fresh)
          await runWithContext({ correlationId: event.correlationId, userId: event.userId }, () =>
            registration.kind === 'batch'
              ? registration.handler([event], manager)
              : registration.handler(event, manager),
          );
        await runner.commitTransaction();
        outcomes.push({ status: fresh ? 'applied' : 'duplicate' });
      } catch (error) {
        await runner.rollbackTransaction();
        outcomes.push({ status: 'failed', error });
      }
    }
    return outcomes;
  }

  private async retryOrDeadLetter(delivery: Delivery, event: FinanceEvent, error: unknown): Promise<void> {
    const { message } = delivery;
    const headers: MessagePropertyHeaders = message.properties.headers ?? {};
    const attempts = Number(headers[DeliveryHeaders.attempts] ?? 0) + 1;
    const errorText = truncate(error instanceof Error ? error.message : String(error));
    const failureHeaders = {
      [DeliveryHeaders.attempts]: attempts,
      [DeliveryHeaders.firstFailedAt]: String(
        headers[DeliveryHeaders.firstFailedAt] ?? new Date().toISOString(),
      ),
      [DeliveryHeaders.lastError]: errorText,
      [DeliveryHeaders.originalRoutingKey]: originalRoutingKey(message),
    };
    const log = { eventId: event.id, type: event.type, attempts, err: error };
    try {
      if (attempts >= (this.options.maxAttempts ?? 5)) {
        await this.options.broker.sendToQueue(this.queues.deadLetter, message.content, {
          ...carriedProperties(message),
          headers: {
            ...failureHeaders,
            [DeliveryHeaders.deadLetterReason]: 'handler failed',
            [DeliveryHeaders.deadLetteredAt]: new Date().toISOString(),
          },
        });
        this.stats.deadLettered++;
        this.count(event.type, 'dead_lettered');
        this.logger.error(log, 'event handler failed; dead-lettered');
      } else {
        const stage = Math.min(attempts, this.queues.retry.length) - 1;
        await this.options.broker.sendToQueue(this.queues.retry[stage], message.content, {
          ...carriedProperties(message),
          headers: failureHeaders,
        });
        this.stats.retried++;
        this.count(event.type, 'retried');
        this.logger.warn(
          { ...log, retryInMs: this.retryDelaysMs[stage] },
          'event handler failed; will retry',
        );
      }
      this.done(delivery);
    } catch (sendError) {
      // Could not park it: give it back to the queue; it is redelivered (with the same attempt count).
      this.logger.warn({ err: sendError, eventId: event.id }, 'could not send event to retry; requeueing');
      this.requeue(delivery);
    }
  }

  /** A message that can never succeed (bad JSON, broken contract): straight to the dead-letter queue. */
  private async reject(delivery: Delivery, reason: string): Promise<void> {
    const { message } = delivery;
    this.logger.error({ reason, routingKey: message.fields.routingKey }, 'invalid event; dead-lettered');
    try {
      await this.options.broker.sendToQueue(this.queues.deadLetter, message.content, {
        ...carriedProperties(message),
        headers: {
          ...(message.properties.headers ?? {}),
          [DeliveryHeaders.deadLetterReason]: truncate(reason),
          [DeliveryHeaders.originalRoutingKey]: originalRoutingKey(message),
          [DeliveryHeaders.deadLetteredAt]: new Date().toISOString(),
        },
      });
      this.stats.deadLettered++;
      this.count(originalRoutingKey(message), 'invalid');
      this.done(delivery);
    } catch (error) {
      this.logger.warn({ err: error }, 'could not dead-letter invalid message; requeueing');
      this.requeue(delivery);
    }
  }

  private count(type: string, outcome: string): void {
    eventsConsumed.inc({ consumer: this.options.service, type, outcome });
  }

  /** Settled: acked with the batch's multiple-ack once every earlier delivery of its channel is too. */
  private done(delivery: Delivery): void {
    this.acks.get(delivery.channel)?.settled(delivery.message);
  }

  private requeue(delivery: Delivery): void {
    this.acks.get(delivery.channel)?.requeue(delivery.message);
  }
}

interface Delivery {
  message: ConsumeMessage;
  channel: Channel;
}

/** A handler's error, with the event's place in its batch (none for a batch handler's run). */
class HandlerFailure extends Error {
  constructor(
    readonly index: number | undefined,
    override readonly cause: unknown,
  ) {
    super(cause instanceof Error ? cause.message : String(cause));
  }
}

type Outcome = { status: 'applied' } | { status: 'duplicate' } | { status: 'failed'; error: unknown };

function isUserEvent(event: FinanceEvent): boolean {
  return event.type.startsWith('auth.user.');
}

/** deadlock_detected, serialization_failure: the transaction lost a race, not a rule. */
function isTransientConflict(error: unknown): boolean {
  const code =
    (error as { code?: unknown; driverError?: { code?: unknown } })?.code ??
    (error as { driverError?: { code?: unknown } })?.driverError?.code;
  return code === '40P01' || code === '40001';
}

/**
 * A channel's unacknowledged deliveries in delivery order. Settled ones are acked by one
 * `ack(…, allUpTo)` as soon as every delivery before them is settled too, so a multiple-ack never
 * covers one still in progress (another batch, a retry being sent) or one given back.
 */
class AckTracker {
  /** delivery tag → settled, in delivery order (a Map keeps insertion order). */
  private readonly open = new Map<number, { message: ConsumeMessage; settled: boolean }>();

  constructor(private readonly channel: Channel) {}

  delivered(message: ConsumeMessage): void {
    this.open.set(message.fields.deliveryTag, { message, settled: false });
  }

  settled(message: ConsumeMessage): void {
    const entry = this.open.get(message.fields.deliveryTag);
    if (entry) entry.settled = true;
  }

  requeue(message: ConsumeMessage): void {
    this.open.delete(message.fields.deliveryTag);
    try {
      this.channel.nack(message, false, true);
    } catch {
      // Channel already gone: the broker redelivers the unacked message anyway.
    }
  }

  /** Gives back those of these deliveries not settled yet, then acks what is settled. */
  settleRest(messages: readonly ConsumeMessage[]): void {
    for (const message of messages) {
      const entry = this.open.get(message.fields.deliveryTag);
      if (entry && entry.message === message && !entry.settled) this.requeue(message);
    }
    this.flush();
  }

  /** Acks the settled deliveries at the head in one frame. */
  flush(): void {
    let last: ConsumeMessage | undefined;
    for (const [tag, entry] of this.open) {
      if (!entry.settled) break;
      this.open.delete(tag);
      last = entry.message;
    }
    if (!last) return;
    try {
      this.channel.ack(last, true);
    } catch {
      // The channel died after the commit: the messages come again and the inbox skips them.
    }
  }
}

function originalRoutingKey(message: ConsumeMessage): string {
  const fromHeader = message.properties.headers?.[DeliveryHeaders.originalRoutingKey];
  return typeof fromHeader === 'string' ? fromHeader : message.fields.routingKey;
}

function carriedProperties(message: ConsumeMessage) {
  const { contentType, messageId, type, correlationId, timestamp } = message.properties;
  return { contentType, messageId, type, correlationId, timestamp, persistent: true };
}

function truncate(text: string, max = 1_000): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
