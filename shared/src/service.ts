import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';
import type { RequestHandler } from 'express';
import type { DataSource } from 'typeorm';
import { loadConfig, parseConfig } from './config';
import { createDataSource, databaseCheck, ensureDatabase, openDatabase } from './data/data-source';
import { idempotencyMigrations } from './data/idempotency-keys';
import { Broker } from './events/broker';
import { EventConsumer, type EventBatchHandler, type EventHandler } from './events/consumer';
import type { EventType } from './events/contracts';
import { inboxMigrations } from './events/inbox';
import { OutboxRelay, outboxMigrations } from './events/outbox';
import { ReadYourWrites } from './events/read-your-writes';
import { authenticate, TokenVerifier, type AccessTokenVerifier } from './http/authenticate';
import { answerClientErrorsAsProblems } from './http/client-errors';
import { forwardingGuard } from './http/forwarding';
import { Readiness, type CheckState } from './http/health';
import { internalStatsRouter } from './http/internal-stats';
import { UPSTREAM_KEEP_ALIVE_MS } from './http/keep-alive';
import { createServiceApp } from './http/service-app';
import { createLogger, type Logger } from './logger';
import type { Closer, ServiceConfig, ServiceContext, ServiceDefinition } from './service-definition';
import { createShutdown, exitOnSignals } from './shutdown';
import { DirectorySessions } from './users/sessions';
import { handleUserEvents, userDirectoryMigrations } from './users/user-directory';

export interface RunningService<P = unknown> {
  name: string;
  url: string;
  server: Server;
  dataSource: DataSource;
  broker: Broker;
  consumer: EventConsumer;
  relay: OutboxRelay;
  logger: Logger;
  config: ServiceConfig;
  /** What the definition's `setup` built (stores, a key ring…), for tests and tools. */
  parts: P;
  /** Graceful stop: readiness red, HTTP drains, then jobs, consumer, relay, broker, database. */
  stop(): Promise<void>;
}

export interface StartOptions<C extends ServiceConfig> {
  /** The validated environment; by default the definition's schema read from `process.env`. */
  config?: C;
  logger?: Logger;
  /** Names the consumer's queues and inbox rows; defaults to the service name (tests make it unique). */
  consumerName?: string;
  /** "Now" for the whole service (tests pin it); defaults to the system clock. */
  clock?: () => Date;
}

/** Every service's tables that shared code owns: outbox, inbox and tombstones, user directory, idempotency keys. */
export const SHARED_MIGRATIONS = [
  ...outboxMigrations,
  ...inboxMigrations,
  ...userDirectoryMigrations,
  ...idempotencyMigrations,
];

/**
 * Starts a service from its definition, the one way every service starts (`main.ts`, tests, e2e,
 * the bench): its database (created if missing, shared and own migrations run under a lock), the
 * broker (a service keeps serving while RabbitMQ is away: events wait in the outbox and /readyz
 * says so), the outbox relay, the consumer with the definition's handlers and the user directory,
 * the definition's setup, then HTTP.
 */
export async function startService<C extends ServiceConfig, P>(
  definition: ServiceDefinition<C, P>,
  options: StartOptions<C> = {},
): Promise<RunningService<P>> {
  const { name } = definition;
  const config = options.config ?? parseConfig(definition.configSchema, process.env);
  const logger = options.logger ?? createLogger(name, config.LOG_LEVEL);
  const clock = options.clock ?? (() => new Date());

  await ensureDatabase(config.DATABASE_URL);
  const dataSource = await openDatabase(
    createDataSource({
      url: config.DATABASE_URL,
      entities: definition.entities ?? [],
      migrations: [...SHARED_MIGRATIONS, ...definition.migrations],
      poolSize: config.DB_POOL_SIZE,
      applicationName: name,
    }),
  );

  // What is open so far, closed again if the start fails halfway (a bad route, a port in use):
  // a failed start leaves no pool, schedule or connection keeping the process or a test alive.
  const opened: Closer[] = [{ name: 'database', close: () => dataSource.destroy() }];
  try {
    const consumerName = options.consumerName ?? config.CONSUMER_NAME ?? name;
    const broker = new Broker({ url: config.AMQP_URL, logger, connectionName: consumerName });
    const relay = new OutboxRelay({
      dataSource,
      broker,
      logger,
      service: name,
      batchSize: config.OUTBOX_BATCH_SIZE,
    });
    const consumer = new EventConsumer({
      broker,
      dataSource,
      logger,
      service: consumerName,
      batchSize: config.EVENTS_BATCH_SIZE,
      concurrency: config.EVENTS_CONCURRENCY,
      prefetch: config.EVENTS_PREFETCH,
      maxAttempts: config.EVENTS_MAX_ATTEMPTS,
    });
    handleUserEvents(consumer, definition.userEvents);

    const readiness = new Readiness({ db: databaseCheck(dataSource) });
    readiness.add('broker', () => broker.isConnected);
    const context: ServiceContext<C> = {
      config,
      logger,
      dataSource,
      broker,
      readiness,
      clock,
      readYourWrites: new ReadYourWrites(consumer, { maxWaitMs: config.READ_YOUR_WRITES_WAIT_MS }),
      authenticate: undefined as unknown as RequestHandler,
    };
    const handlers =
      typeof definition.handlers === 'function' ? definition.handlers(context) : definition.handlers;
    const batchHandlers = definition.batchHandlers ?? {};
    for (const [type, handler] of Object.entries(batchHandlers) as Array<
      [EventType, EventBatchHandler<EventType>]
    >)
      consumer.onBatch(type, handler);
    for (const [type, handler] of Object.entries(handlers ?? {}) as Array<
      [EventType, EventHandler<EventType>]
    >)
      if (!(type in batchHandlers)) consumer.on(type, handler);
    const parts = (definition.setup ? await definition.setup(context) : {}) as P & { closers?: Closer[] };
    opened.unshift(...(parts.closers ?? []));
    const verifier: AccessTokenVerifier = definition.verifier
      ? definition.verifier(context, parts)
      : new TokenVerifier({
          jwksUrl: config.JWKS_URL,
          issuer: config.JWT_ISSUER,
          audience: config.JWT_AUDIENCE,
        });
    // A service's own verifier (auth's key ring) checks sessions at the source; the others by the directory.
    context.authenticate = authenticate(
      verifier,
      definition.verifier ? undefined : new DirectorySessions(dataSource, { consumer }),
    );
    const ownStats = definition.stats;
    const app = createServiceApp({
      logger,
      readiness,
      openapi: { version: '1.0.0', ...definition.openapi },
      routers: definition.routes(context, parts),
      bodyLimit: definition.http?.bodyLimit,
      before: definition.http?.before,
      // Every service answers GET /internal/stats (cluster-internal) for the gateway's GET /admin/stats.
      after: [
        internalStatsRouter({
          service: name,
          dataSource,
          deadLetters: () => consumer.deadLetters(),
          counts: ownStats ? () => ownStats(context, parts) : undefined,
        }),
      ],
    });

    opened.unshift({ name: 'broker', close: () => broker.stop() });
    await broker.start({ waitForConnection: false });
    opened.unshift({ name: 'outbox relay', close: () => relay.stop() });
    await relay.start();
    opened.unshift({ name: 'event consumer', close: () => consumer.stop() });
    await consumer.start();
    readiness.add('events', deadLetterCheck(consumer), { critical: false });

    // Forwarding headers reach express only from the gateway; then one trusted hop gives the client address.
    const guardForwarding = forwardingGuard({
      trustedProxies: config.TRUSTED_PROXIES,
      secret: config.PROXY_SECRET,
    });
    app.set('trust proxy', 1);
    const server = createServer((req, res) => {
      guardForwarding(req);
      app(req, res);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.PORT, config.HOST, () => {
        server.off('error', reject);
        resolve();
      });
    });
    // Longer than the gateway's idle keep-alive sockets: the gateway, not the service, closes an
    // idle connection, so it never sends a request on a socket the service is closing (a 502).
    answerClientErrorsAsProblems(server);
    server.keepAliveTimeout = UPSTREAM_KEEP_ALIVE_MS;
    server.headersTimeout = UPSTREAM_KEEP_ALIVE_MS + 1_000;
    const { port } = server.address() as AddressInfo;
    logger.info({ port }, `${name} listening`);
    const stop = createShutdown({
      logger,
      readiness,
      servers: [server],
      timeoutMs: config.SHUTDOWN_TIMEOUT_MS,
      drainDelayMs: config.SHUTDOWN_DRAIN_DELAY_MS,
      closers: [
        ...(parts.closers ?? []),
        { name: 'event consumer', close: () => consumer.stop() },
        { name: 'outbox relay', close: () => relay.stop() },
        { name: 'broker', close: () => broker.stop() },
        { name: 'database', close: () => dataSource.destroy() },
      ],
    });
    return {
      name,
      url: `http://127.0.0.1:${port}`,
      server,
      dataSource,
      broker,
      consumer,
      relay,
      logger,
      config,
      parts,
      stop,
    };
  } catch (error) {
    for (const closer of opened)
      await Promise.resolve()
        .then(() => closer.close())
        .catch((closeError: unknown) => logger.warn({ err: closeError }, `${closer.name} did not close`));
    throw error;
  }
}

/**
 * `/readyz`'s view of the consumer: degraded while its dead-letter queue holds events it could not
 * apply. Asked of the broker at most every 5 s, however often /readyz is probed.
 */
function deadLetterCheck(consumer: EventConsumer): () => Promise<CheckState> {
  let last: { at: number; state: CheckState } | undefined;
  return async () => {
    if (last && Date.now() - last.at < 5_000) return last.state;
    // Not known (the queues are being declared, the broker is away: its own check says so): not degraded.
    const depth = await consumer.deadLetters().catch(() => 0);
    const state: CheckState = depth > 0 ? 'degraded' : 'up';
    last = { at: Date.now(), state };
    return state;
  };
}

/**
 * A service's process entry (`main.ts`): the environment validated (a bad variable stops the process
 * with one line naming it), the service started, stopped on SIGTERM/SIGINT; exit 1 with one line
 * if it cannot start.
 */
export function runService<C extends ServiceConfig, P>(definition: ServiceDefinition<C, P>): void {
  const config = loadConfig(definition.configSchema);
  startService(definition, { config }).then(
    (service) => exitOnSignals(service.stop, service.logger),
    (error: unknown) => {
      process.stderr.write(
        `${definition.name} failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
      process.exit(1);
    },
  );
}
