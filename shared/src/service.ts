import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';
import type { Express, RequestHandler } from 'express';
import type { DataSource } from 'typeorm';
import { z } from 'zod';
import { configFields } from './config';
import { databaseCheck, ensureDatabase, openDatabase } from './data/data-source';
import { Broker } from './events/broker';
import { EventConsumer } from './events/consumer';
import { ReadYourWrites } from './events/read-your-writes';
import { OutboxRelay } from './events/outbox';
import { authenticate, TokenVerifier } from './http/authenticate';
import { answerClientErrorsAsProblems } from './http/client-errors';
import { forwardingGuard, isProxyList } from './http/forwarding';
import { Readiness, type CheckState } from './http/health';
import { createLogger, type Logger } from './logger';
import { createShutdown, exitOnSignals } from './shutdown';
import { DirectorySessions } from './users/sessions';
import { handleUserEvents, type UserEventHooks } from './users/user-directory';

/** How long a service keeps an idle keep-alive connection open; the gateway's agent drops its idle sockets sooner. */
export const UPSTREAM_KEEP_ALIVE_MS = 65_000;

/**
 * The environment every database-backed service reads; a service spreads these into its own
 * zod schema and adds what is particular to it.
 */
export function serviceConfigFields(defaults: { port: number; database: string }) {
  return {
    PORT: configFields.port(defaults.port),
    NODE_ENV: configFields.nodeEnv,
    LOG_LEVEL: configFields.logLevel,
    DATABASE_URL: configFields.databaseUrl(defaults.database),
    DB_POOL_SIZE: configFields.dbPoolSize,
    AMQP_URL: configFields.amqpUrl,
    JWKS_URL: configFields.jwksUrl,
    JWT_ISSUER: configFields.jwtIssuer,
    JWT_AUDIENCE: configFields.jwtAudience,
    SHUTDOWN_TIMEOUT_MS: configFields.shutdownTimeoutMs,
    /** Events one replica handles at once. */
    EVENTS_PREFETCH: z.coerce.number().int().min(1).max(1000).default(20),
    /** Handler failures before an event goes to the dead-letter queue. */
    EVENTS_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(5),
    /** Longest a lookup waits for an id created a moment ago in another service (ReadYourWrites). */
    READ_YOUR_WRITES_WAIT_MS: z.coerce.number().int().min(0).max(30_000).default(2_000),
    /** Interface to listen on: all in containers; `npm start` binds loopback (nothing else needs to reach a service). */
    HOST: z.string().min(1).default('0.0.0.0'),
    /** Peers whose X-Forwarded-For is believed (proxy-addr syntax); in Kubernetes the gateway pods' range. */
    TRUSTED_PROXIES: z.string().default('loopback').refine(isProxyList, {
      message: 'expected addresses, CIDRs or loopback/linklocal/uniquelocal, comma-separated',
    }),
    /** When set, forwarding headers also need this secret from the gateway (`x-proxy-secret`). */
    PROXY_SECRET: z.preprocess((v) => (v === '' ? undefined : v), z.string().min(16).optional()),
  };
}

type ServiceConfigFields = ReturnType<typeof serviceConfigFields>;
export type ServiceConfig = z.output<z.ZodObject<ServiceConfigFields>>;

/** What a service's wiring gets: everything shared is already built. */
export interface ServiceContext<C extends ServiceConfig> {
  config: C;
  logger: Logger;
  dataSource: DataSource;
  broker: Broker;
  readiness: Readiness;
  /** Register event handlers on it (`consumer.on(type, handler)`); it starts only if any are registered. */
  consumer: EventConsumer;
  /**
   * Verifies access tokens from the auth service's JWKS (RS256, iss, aud, exp) and, for a service
   * that keeps the user directory, refuses tokens auth has revoked since.
   */
  authenticate: RequestHandler;
  /** Finds ids another service created a moment ago, waiting (bounded) for their event. */
  readYourWrites: ReadYourWrites;
}

export interface ServiceWiring {
  app: Express;
  /** Jobs, browsers… closed after HTTP drained and before the broker and the database. */
  closers?: Array<{ name: string; close: () => Promise<unknown> | unknown }>;
}

export interface StartServiceOptions<C extends ServiceConfig> {
  name: string;
  config: C;
  logger?: Logger;
  createDataSource: (config: C) => DataSource;
  wire: (context: ServiceContext<C>) => Promise<ServiceWiring> | ServiceWiring;
  /** Names the consumer's queues and inbox rows; defaults to the service name (tests make it unique). */
  consumerName?: string;
  /** Interface to listen on (default: the config's HOST). */
  host?: string;
  /**
   * The service keeps the shared user directory (its migrations include `userDirectoryMigrations`):
   * `auth.user.*` are handled for it, with these hooks, and revoked tokens are refused.
   */
  userEvents?: UserEventHooks;
}

export interface RunningService {
  name: string;
  url: string;
  server: Server;
  dataSource: DataSource;
  broker: Broker;
  consumer: EventConsumer;
  relay: OutboxRelay;
  logger: Logger;
  /** Graceful stop: readiness red, HTTP drains, then jobs, consumer, relay, broker, database. */
  stop(): Promise<void>;
}

/**
 * Starts a service the one way all services start: its database (created if missing, migrated
 * under a lock), the broker (a service keeps serving while RabbitMQ is away: events wait in
 * the outbox and /readyz says so), the outbox relay, the event consumer, then HTTP.
 * `main.ts` calls it with the loaded config; tests call it in-process with their own.
 */
export async function startService<C extends ServiceConfig>(
  options: StartServiceOptions<C>,
): Promise<RunningService> {
  const { name, config } = options;
  const logger = options.logger ?? createLogger(name, config.LOG_LEVEL);

  await ensureDatabase(config.DATABASE_URL);
  const dataSource = await openDatabase(options.createDataSource(config));

  const consumerName = options.consumerName ?? name;
  const broker = new Broker({ url: config.AMQP_URL, logger, connectionName: consumerName });
  const relay = new OutboxRelay({ dataSource, broker, logger });
  const consumer = new EventConsumer({
    broker,
    dataSource,
    logger,
    service: consumerName,
    prefetch: config.EVENTS_PREFETCH,
    maxAttempts: config.EVENTS_MAX_ATTEMPTS,
  });
  const readiness = new Readiness({ db: databaseCheck(dataSource) });
  readiness.add('broker', () => broker.isConnected);
  const verifier = new TokenVerifier({
    jwksUrl: config.JWKS_URL,
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
  });

  if (options.userEvents) handleUserEvents(consumer, options.userEvents);
  const sessions = options.userEvents ? new DirectorySessions(dataSource) : undefined;
  const wiring = await options.wire({
    config,
    logger,
    dataSource,
    broker,
    readiness,
    consumer,
    authenticate: authenticate(verifier, sessions),
    readYourWrites: new ReadYourWrites(consumer, { maxWaitMs: config.READ_YOUR_WRITES_WAIT_MS }),
  });

  await broker.start({ waitForConnection: false });
  await relay.start();
  if (consumer.handledTypes.length > 0) {
    await consumer.start();
    readiness.add('events', deadLetterCheck(consumer), { critical: false });
  }

  // Forwarding headers reach express only from the gateway; then one trusted hop gives the client address.
  const guardForwarding = forwardingGuard({
    trustedProxies: config.TRUSTED_PROXIES,
    secret: config.PROXY_SECRET,
  });
  wiring.app.set('trust proxy', 1);
  const server = createServer((req, res) => {
    guardForwarding(req);
    wiring.app(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.PORT, options.host ?? config.HOST, () => {
      server.off('error', reject);
      resolve();
    });
  });
  // Longer than the gateway's idle keep-alive sockets (60 s): the gateway, not the service, closes
  // an idle connection, so it never sends a request on a socket the service is closing (a 502).
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
    closers: [
      ...(wiring.closers ?? []),
      {
        name: 'event consumer',
        close: () => (consumer.handledTypes.length > 0 ? consumer.stop() : undefined),
      },
      { name: 'outbox relay', close: () => relay.stop() },
      { name: 'broker', close: () => broker.stop() },
      { name: 'database', close: () => dataSource.destroy() },
    ],
  });
  return { name, url: `http://127.0.0.1:${port}`, server, dataSource, broker, consumer, relay, logger, stop };
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

/** The process entry of a service: start it, stop it on SIGTERM/SIGINT, exit 1 with one line if it cannot start. */
export function runMain(name: string, start: () => Promise<RunningService>): void {
  start().then(
    (service) => exitOnSignals(service.stop, service.logger),
    (error: unknown) => {
      process.stderr.write(
        `${name} failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
      process.exit(1);
    },
  );
}
