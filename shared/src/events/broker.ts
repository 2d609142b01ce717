import { EventEmitter } from 'node:events';
import amqp, {
  type Channel,
  type ChannelModel,
  type ConfirmChannel,
  type ConsumeMessage,
  type Options,
} from 'amqplib';
import type { Logger } from 'pino';
import { declareExchange, EVENTS_EXCHANGE } from './topology';

export interface BrokerOptions {
  /** amqp://user:pass@host:port/vhost */
  url: string;
  logger: Logger;
  /** Shown by RabbitMQ as the connection's `connection_name` (operators and tests find it by that). */
  connectionName: string;
  /** First reconnect delay; doubles per failed attempt up to `maxReconnectDelayMs`, with jitter. */
  minReconnectDelayMs?: number;
  maxReconnectDelayMs?: number;
  /** How long a publish waits for the broker's confirm before failing. */
  confirmTimeoutMs?: number;
}

/** Thrown by publish while there is no connection (the outbox keeps the event; the relay retries). */
export class BrokerUnavailableError extends Error {
  constructor(message = 'broker not connected') {
    super(message);
    this.name = 'BrokerUnavailableError';
  }
}

/** Declares queues/exchanges/bindings on a fresh connection (and again after every reconnect). */
export type TopologySetup = (channel: Channel) => Promise<void>;

export interface ConsumerRegistration {
  queue: string;
  prefetch: number;
  onMessage: (message: ConsumeMessage, channel: Channel) => void;
}

/** A subscription that survives reconnects: the broker re-subscribes it on every new connection. */
export interface ConsumerHandle {
  /** Stops new deliveries (basic.cancel); messages in flight can still be acked. */
  cancel(): Promise<void>;
  /** Closes its channel (unacked messages go back to the queue) and forgets the registration. */
  close(): Promise<void>;
}

interface ActiveConsumer {
  registration: ConsumerRegistration;
  channel?: Channel;
  consumerTag?: string;
  cancelled: boolean;
}

interface Session {
  connection: ChannelModel;
  confirm: ConfirmChannel;
  lost: boolean;
  pending: Set<(error: Error) => void>;
  /** Topology and subscriptions already set up on this connection. */
  applied: Set<TopologySetup | ActiveConsumer>;
}

/**
 * One AMQP connection per process: a confirm channel for publishing and one channel per
 * consumer. On any connection or channel `error`/`close` it reconnects with exponential
 * back-off and jitter, re-declares the registered topology and re-subscribes the consumers.
 * Emits `connected` and `disconnected`.
 */
export class Broker extends EventEmitter {
  private session?: Session;
  private readonly topology: TopologySetup[] = [declareExchange];
  private readonly consumers = new Set<ActiveConsumer>();
  private stopping = false;
  private connecting?: Promise<void>;
  /** Ends the back-off wait early (on stop). */
  private interruptWait?: () => void;
  private readonly logger: Logger;

  constructor(private readonly options: BrokerOptions) {
    super();
    this.logger = options.logger.child({ component: 'broker', connectionName: options.connectionName });
    // An EventEmitter without an 'error' listener crashes the process; we only emit our own events.
    this.on('error', () => undefined);
  }

  get isConnected(): boolean {
    return this.session !== undefined && !this.session.lost;
  }

  get connectionName(): string {
    return this.options.connectionName;
  }

  /**
   * Connects, retrying with back-off until it succeeds or `stop()` is called. By default resolves
   * once connected; `{ waitForConnection: false }` returns at once (a service can then serve
   * /healthz while `/readyz` reports the broker down until it is reachable).
   */
  async start(options: { waitForConnection?: boolean } = {}): Promise<void> {
    this.stopping = false;
    const connecting = this.ensureConnecting();
    if (options.waitForConnection ?? true) await connecting;
  }

  /** Resolves once connected (e.g. after a reconnect). */
  async whenConnected(): Promise<void> {
    if (this.isConnected) return;
    await new Promise<void>((resolve) => this.once('connected', () => resolve()));
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.interruptWait?.();
    const session = this.session;
    this.session = undefined;
    if (session) {
      session.lost = true;
      this.failPending(session, new BrokerUnavailableError('broker stopping'));
      await session.connection.close().catch(() => undefined);
    }
    await this.connecting?.catch(() => undefined);
  }

  /** Adds declarations run now (if connected) and on every reconnect. */
  async addTopology(setup: TopologySetup): Promise<void> {
    this.topology.push(setup);
    const session = this.session;
    if (session && !session.lost) {
      session.applied.add(setup);
      await setup(session.confirm);
    }
  }

  /** Publishes an event envelope to `finance.events` and waits for the broker's confirm. */
  async publish(routingKey: string, envelope: object, options: Options.Publish = {}): Promise<void> {
    await this.publishRaw(EVENTS_EXCHANGE, routingKey, Buffer.from(JSON.stringify(envelope)), {
      contentType: 'application/json',
      ...options,
    });
  }

  /** Publishes a body to a queue through the default exchange (retry, dead-letter, replay); waits for the confirm. */
  async sendToQueue(queue: string, content: Buffer, options: Options.Publish = {}): Promise<void> {
    await this.publishRaw('', queue, content, options);
  }

  async publishRaw(
    exchange: string,
    routingKey: string,
    content: Buffer,
    options: Options.Publish,
  ): Promise<void> {
    const session = this.session;
    if (!session || session.lost) throw new BrokerUnavailableError();
    await new Promise<void>((resolve, reject) => {
      let settled = false;
      const settle = (error?: Error | null) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        session.pending.delete(settle);
        if (error) reject(error);
        else resolve();
      };
      const timer = setTimeout(
        () =>
          settle(
            new Error(`no confirm from the broker within ${this.options.confirmTimeoutMs ?? 10_000} ms`),
          ),
        this.options.confirmTimeoutMs ?? 10_000,
      );
      session.pending.add(settle);
      try {
        session.confirm.publish(exchange, routingKey, content, { persistent: true, ...options }, (error) =>
          settle(error ? new Error(`broker refused the message: ${String(error)}`) : null),
        );
      } catch (error) {
        settle(error as Error);
      }
    });
  }

  /**
   * Publishes many event envelopes on the confirm channel without waiting in between, and waits
   * once for all their confirms (one timer for the whole batch, not one per message): the outbox
   * relay's batch. The timer measures `confirmTimeoutMs` without any confirm arriving, not since the
   * first publish: a busy broker working through a big batch is slow, not gone, and failing what it
   * is about to confirm would only publish it twice. Resolves with each message's outcome, in
   * order; never rejects.
   */
  async publishBatch(
    messages: ReadonlyArray<{ routingKey: string; envelope: object; options?: Options.Publish }>,
  ): Promise<PromiseSettledResult<void>[]> {
    const session = this.session;
    if (!session || session.lost)
      return messages.map(() => ({ status: 'rejected', reason: new BrokerUnavailableError() }));
    const timeoutMs = this.options.confirmTimeoutMs ?? 10_000;
    const results: Array<PromiseSettledResult<void> | undefined> = new Array(messages.length);
    let open = messages.length;
    return new Promise((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        session.pending.delete(failAll);
        resolve(results as PromiseSettledResult<void>[]);
      };
      const settle = (index: number, error?: Error | null) => {
        if (results[index]) return;
        results[index] = error
          ? { status: 'rejected', reason: error }
          : { status: 'fulfilled', value: undefined };
        if (--open === 0) finish();
        else timer.refresh();
      };
      const failAll = (error: Error) => {
        for (let index = 0; index < messages.length; index++) settle(index, error);
      };
      const timer = setTimeout(
        () => failAll(new Error(`no confirm from the broker within ${timeoutMs} ms`)),
        timeoutMs,
      );
      session.pending.add(failAll);
      if (open === 0) return finish();
      for (const [index, message] of messages.entries()) {
        try {
          session.confirm.publish(
            EVENTS_EXCHANGE,
            message.routingKey,
            Buffer.from(JSON.stringify(message.envelope)),
            { persistent: true, contentType: 'application/json', ...message.options },
            (error) =>
              settle(index, error ? new Error(`broker refused the message: ${String(error)}`) : null),
          );
        } catch (error) {
          settle(index, error as Error);
        }
      }
    });
  }

  /** A short-lived channel for one-off work (operator tools, tests); closed afterwards. */
  async withChannel<T>(fn: (channel: Channel) => Promise<T>): Promise<T> {
    const session = this.session;
    if (!session || session.lost) throw new BrokerUnavailableError();
    const channel = await session.connection.createChannel();
    // Its errors also reject the operation in progress, which reports them.
    channel.on('error', (error) => this.logger.debug({ err: error }, 'one-off channel error'));
    try {
      return await fn(channel);
    } finally {
      await channel.close().catch(() => undefined);
    }
  }

  /** Subscribes to a queue on its own channel with the given prefetch, re-subscribing after reconnects. */
  async consume(registration: ConsumerRegistration): Promise<ConsumerHandle> {
    const active: ActiveConsumer = { registration, cancelled: false };
    this.consumers.add(active);
    const session = this.session;
    if (session && !session.lost) {
      session.applied.add(active);
      await this.subscribe(session, active);
    }
    return {
      cancel: async () => {
        active.cancelled = true;
        if (active.channel && active.consumerTag)
          await active.channel.cancel(active.consumerTag).catch(() => undefined);
      },
      close: async () => {
        active.cancelled = true;
        this.consumers.delete(active);
        await active.channel?.close().catch(() => undefined);
        active.channel = undefined;
      },
    };
  }

  private async subscribe(session: Session, active: ActiveConsumer): Promise<void> {
    if (active.cancelled) return;
    const channel = await session.connection.createChannel();
    channel.on('error', (error) =>
      this.logger.warn({ err: error, queue: active.registration.queue }, 'consumer channel error'),
    );
    // A consumer channel closed by the server (not by us) means the subscription is gone: reconnect.
    channel.on('close', () => {
      if (active.channel === channel && !active.cancelled) this.lose(session, 'consumer channel closed');
    });
    await channel.prefetch(active.registration.prefetch);
    active.channel = channel;
    const { consumerTag } = await channel.consume(
      active.registration.queue,
      (message) => {
        // null = the server cancelled the consumer (e.g. queue deleted).
        if (message) active.registration.onMessage(message, channel);
        else if (!active.cancelled) this.lose(session, 'consumer cancelled by the server');
      },
      { noAck: false },
    );
    active.consumerTag = consumerTag;
  }

  private ensureConnecting(): Promise<void> {
    this.connecting ??= this.connectLoop().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async connectLoop(): Promise<void> {
    const min = this.options.minReconnectDelayMs ?? 200;
    const max = this.options.maxReconnectDelayMs ?? 30_000;
    for (let attempt = 0; !this.stopping; attempt++) {
      try {
        await this.connectOnce();
        if (attempt > 0) this.logger.info({ attempt }, 'broker reconnected');
        return;
      } catch (error) {
        if (this.stopping) return;
        const ceiling = Math.min(max, min * 2 ** attempt);
        // Full jitter in the upper half: replicas do not reconnect in lock-step.
        const delay = Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
        this.logger.warn({ err: error, attempt, retryInMs: delay }, 'broker connection failed');
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, delay);
          this.interruptWait = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.interruptWait = undefined;
      }
    }
  }

  private async connectOnce(): Promise<void> {
    const connection = await amqp.connect(this.options.url, {
      clientProperties: { connection_name: this.options.connectionName },
      // Without it Nagle's algorithm holds small frames back ~40 ms (delayed ACK): the latency budget is a few ms.
      noDelay: true,
    });
    const session: Session = {
      connection,
      confirm: undefined as unknown as ConfirmChannel,
      lost: false,
      pending: new Set(),
      applied: new Set(),
    };
    connection.on('error', (error) => this.logger.warn({ err: error }, 'broker connection error'));
    connection.on('close', () => this.lose(session, 'connection closed'));
    try {
      session.confirm = await connection.createConfirmChannel();
      session.confirm.on('error', (error) => this.logger.warn({ err: error }, 'publish channel error'));
      session.confirm.on('close', () => this.lose(session, 'publish channel closed'));
      await this.catchUp(session);
      if (session.lost) throw new Error('connection lost while setting it up');
    } catch (error) {
      session.lost = true;
      await connection.close().catch(() => undefined);
      throw error;
    }
    if (this.stopping) {
      session.lost = true;
      await connection.close().catch(() => undefined);
      return;
    }
    // No await between the last catch-up and this line: whatever addTopology/consume registers
    // from here on sees the session and applies itself.
    this.session = session;
    this.logger.info('broker connected');
    this.emit('connected');
  }

  /**
   * Declares every topology and subscribes every consumer not yet set up on this connection,
   * again until none is left: a service registering its queues while the connection is being
   * set up (it starts without waiting for the broker) must not fall into the gap and lose
   * its binding until the next reconnect.
   */
  private async catchUp(session: Session): Promise<void> {
    for (;;) {
      const setup = this.topology.find((candidate) => !session.applied.has(candidate));
      if (setup) {
        session.applied.add(setup);
        await setup(session.confirm);
        continue;
      }
      const active = [...this.consumers].find((candidate) => !session.applied.has(candidate));
      if (!active) return;
      session.applied.add(active);
      await this.subscribe(session, active);
    }
  }

  private lose(session: Session, reason: string): void {
    if (session.lost) return;
    session.lost = true;
    this.failPending(session, new BrokerUnavailableError(`broker connection lost: ${reason}`));
    for (const active of this.consumers) active.channel = undefined;
    session.connection.close().catch(() => undefined);
    if (this.session === session) this.session = undefined;
    if (this.stopping) return;
    this.logger.warn({ reason }, 'broker connection lost; reconnecting');
    this.emit('disconnected');
    void this.ensureConnecting();
  }

  private failPending(session: Session, error: Error): void {
    for (const settle of [...session.pending]) settle(error);
  }
}
