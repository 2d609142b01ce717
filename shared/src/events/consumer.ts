import { EventEmitter } from 'node:events';
import type { Channel, ConsumeMessage, MessagePropertyHeaders } from 'amqplib';
import type { Logger } from 'pino';
import type { DataSource, EntityManager } from 'typeorm';
import { runWithContext } from '../context';
import type { Broker, ConsumerHandle } from './broker';
import { parseEvent, type EventType, type FinanceEvent } from './contracts';
import { recordInInbox } from './inbox';
import { consumerLag, deadLetterDepth, eventsConsumed } from './metrics';
import { DEFAULT_RETRY_DELAYS_MS, declareServiceQueues, serviceQueues, type ServiceQueues } from './topology';

/** Applies one event's effect inside the given transaction (the same one that records it in the inbox). */
export type EventHandler<T extends EventType> = (
  event: FinanceEvent<T>,
  manager: EntityManager,
) => Promise<void>;

export interface EventConsumerOptions {
  broker: Broker;
  dataSource: DataSource;
  logger: Logger;
  /** The consuming service; names its queues (`<service>.events`, …) and its inbox rows. */
  service: string;
  /** Messages handled concurrently by this replica. */
  prefetch?: number;
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
 * An idempotent consumer. Per message: validate (invalid → dead-letter queue at once), then in ONE
 * transaction record the event id in the inbox and run the handler; ack only after the commit.
 * A duplicate is acked and skipped. A handler error sends the message to a retry queue (back-off),
 * and after `maxAttempts` to the dead-letter queue with the error, attempts, routing key and
 * first-failure time in its headers.
 */
export class EventConsumer {
  readonly stats: ConsumerStats = { applied: 0, duplicates: 0, retried: 0, deadLettered: 0, ignored: 0 };
  /** Emits `applied` (with the event) right after an event's effect committed: what waiters wake on. */
  readonly events = new EventEmitter().setMaxListeners(0);
  readonly queues: ServiceQueues;
  private readonly handlers = new Map<EventType, EventHandler<EventType>>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly logger: Logger;
  private readonly retryDelaysMs: readonly number[];
  private handle?: ConsumerHandle;
  private pruneTimer?: NodeJS.Timeout;

  constructor(private readonly options: EventConsumerOptions) {
    this.retryDelaysMs = options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
    if (this.retryDelaysMs.length === 0) throw new Error('retryDelaysMs needs at least one delay');
    this.queues = serviceQueues(options.service, this.retryDelaysMs.length);
    this.logger = options.logger.child({ component: 'event-consumer', consumer: options.service });
  }

  /** Registers the handler of one event type (or several); call before `start()`. */
  on<T extends EventType>(types: T | readonly T[], handler: EventHandler<T>): this {
    for (const type of Array.isArray(types) ? types : [types]) {
      if (this.handlers.has(type)) throw new Error(`${this.options.service} already handles ${type}`);
      this.handlers.set(type, handler as unknown as EventHandler<EventType>);
    }
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
      prefetch: this.options.prefetch ?? 20,
      onMessage: (message, channel) => this.track(this.process(message, channel)),
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
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
    await handle?.close();
  }

  /**
   * Applies one event as a delivery would, without the broker: in one transaction, the inbox record
   * and its handler. False when it was a duplicate (or of a deleted user) or has no handler. Tests
   * and tools replay events through it.
   */
  async apply(event: FinanceEvent): Promise<boolean> {
    const handler = this.handlers.get(event.type);
    if (!handler) return false;
    return this.applyWith(handler, event);
  }

  private async applyWith(handler: EventHandler<EventType>, event: FinanceEvent): Promise<boolean> {
    const applied = await this.options.dataSource.transaction(async (manager) => {
      if (!(await recordInInbox(manager, this.options.service, event))) return false;
      await handler(event, manager);
      return true;
    });
    if (applied) {
      const lagSeconds = (Date.now() - Date.parse(event.occurredAt)) / 1000;
      if (lagSeconds >= 0)
        consumerLag.observe({ consumer: this.options.service, type: event.type }, lagSeconds);
      this.events.emit('applied', event);
    }
    return applied;
  }

  private track(work: Promise<void>): void {
    const tracked = work
      .catch((error) => this.logger.error({ err: error }, 'event processing failed unexpectedly'))
      .finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
  }

  private async process(message: ConsumeMessage, channel: Channel): Promise<void> {
    const headers = message.properties.headers ?? {};
    let raw: unknown;
    try {
      raw = JSON.parse(message.content.toString('utf8'));
    } catch (error) {
      return this.reject(message, channel, `invalid JSON: ${(error as Error).message}`);
    }
    let event: FinanceEvent;
    try {
      event = parseEvent(raw);
    } catch (error) {
      return this.reject(message, channel, (error as Error).message);
    }
    const handler = this.handlers.get(event.type);
    if (!handler) {
      this.stats.ignored++;
      this.count(event.type, 'ignored');
      this.ack(message, channel);
      return;
    }
    await runWithContext({ correlationId: event.correlationId, userId: event.userId }, async () => {
      try {
        const applied = await this.applyWith(handler, event);
        this.count(event.type, applied ? 'applied' : 'duplicate');
        if (applied) this.stats.applied++;
        else {
          this.stats.duplicates++;
          this.logger.debug({ eventId: event.id, type: event.type }, 'duplicate event skipped');
        }
        this.ack(message, channel);
      } catch (error) {
        await this.retryOrDeadLetter(message, channel, headers, event, error);
      }
    });
  }

  private async retryOrDeadLetter(
    message: ConsumeMessage,
    channel: Channel,
    headers: MessagePropertyHeaders,
    event: FinanceEvent,
    error: unknown,
  ): Promise<void> {
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
      this.ack(message, channel);
    } catch (sendError) {
      // Could not park it: give it back to the queue; it is redelivered (with the same attempt count).
      this.logger.warn({ err: sendError, eventId: event.id }, 'could not send event to retry; requeueing');
      try {
        channel.nack(message, false, true);
      } catch {
        // Channel already gone: the broker redelivers the unacked message anyway.
      }
    }
  }

  /** A message that can never succeed (bad JSON, broken contract): straight to the dead-letter queue. */
  private async reject(message: ConsumeMessage, channel: Channel, reason: string): Promise<void> {
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
      this.ack(message, channel);
    } catch (error) {
      this.logger.warn({ err: error }, 'could not dead-letter invalid message; requeueing');
      try {
        channel.nack(message, false, true);
      } catch {
        // Channel already gone: redelivered anyway.
      }
    }
  }

  private count(type: string, outcome: string): void {
    eventsConsumed.inc({ consumer: this.options.service, type, outcome });
  }

  private ack(message: ConsumeMessage, channel: Channel): void {
    try {
      channel.ack(message);
    } catch (error) {
      // The channel died after the commit: the message comes again and the inbox skips it.
      this.logger.warn({ err: error }, 'ack failed; the redelivery will be skipped as a duplicate');
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
