import type { RequestHandler, Router } from 'express';
import type { DataSource, EntityManager, EntitySchema, MigrationInterface } from 'typeorm';
import { z } from 'zod';
import type { Broker } from './events/broker';
import { DEFAULT_EVENT_BATCH_SIZE, type EventBatchHandler, type EventHandler } from './events/consumer';
import type { EventType } from './events/contracts';
import type { ReadYourWrites } from './events/read-your-writes';
import type { ApiRouter } from './http/api-router';
import type { AccessTokenVerifier } from './http/authenticate';
import type { Readiness } from './http/health';
import type { Logger } from './logger';
import { configFields } from './config';
import { DEFAULT_OUTBOX_BATCH_SIZE } from './events/outbox';
import { isProxyList } from './http/forwarding';
import { registeredService } from './registry';
import type { UserEventHooks } from './users/user-directory';

/**
 * The service contract: what a service is, in one object. `startService` (production, `main.ts`),
 * the in-process test harness, e2e and the bench all start a service from its definition, so a
 * service is started one way everywhere. Each service exports its definition from
 * `src/service.ts`; `src/main.ts` is `runService(definition)`.
 */

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
    SHUTDOWN_DRAIN_DELAY_MS: configFields.shutdownDrainDelayMs,
    /** Events applied per database transaction by the consumer (1: one transaction per event). */
    EVENTS_BATCH_SIZE: z.coerce.number().int().min(1).max(5000).default(DEFAULT_EVENT_BATCH_SIZE),
    /** Batches one replica applies at once, each its own transaction. */
    EVENTS_CONCURRENCY: z.coerce.number().int().min(1).max(100).default(1),
    /** Deliveries the broker hands one replica ahead of its acks; default twice EVENTS_BATCH_SIZE. */
    EVENTS_PREFETCH: z.coerce.number().int().min(1).max(10_000).optional(),
    /** Outbox rows the relay claims, publishes (one wait for their confirms) and marks sent at a time. */
    OUTBOX_BATCH_SIZE: z.coerce.number().int().min(1).max(10_000).default(DEFAULT_OUTBOX_BATCH_SIZE),
    /** Handler failures before an event goes to the dead-letter queue. */
    EVENTS_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(5),
    /**
     * Names the consumer's queues and inbox rows; defaults to the service's name. A bench or a second
     * system on the same broker sets its own, so it never competes for the real queues.
     */
    CONSUMER_NAME: z
      .string()
      .regex(/^[a-z0-9_.-]{1,100}$/i)
      .optional(),
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

/** What every part of a service is built from. */
export interface ServiceContext<C extends ServiceConfig = ServiceConfig> {
  config: C;
  logger: Logger;
  dataSource: DataSource;
  broker: Broker;
  readiness: Readiness;
  /**
   * Verifies access tokens (RS256 from auth's JWKS: iss, aud, exp) and refuses those auth has
   * revoked since (the user directory's session versions).
   */
  authenticate: RequestHandler;
  /** Finds ids another service created a moment ago, waiting (bounded) for their event. */
  readYourWrites: ReadYourWrites;
  /** "Now", for everything that depends on it (tests pin it). */
  clock: () => Date;
}

/** Something to stop at shutdown, after HTTP has drained and before the broker and the database. */
export interface Closer {
  name: string;
  close: () => Promise<unknown> | unknown;
}

/** A handler per event type, typed by its type: the consumer registers exactly these. */
export type EventHandlers = { [T in EventType]?: EventHandler<T> };

/** Set-based handlers of runs of one type (`EventConsumer.onBatch`); one here replaces the type's entry in `handlers`. */
export type EventBatchHandlers = { [T in EventType]?: EventBatchHandler<T> };

type Entity = string | (abstract new (...args: never[]) => unknown) | EntitySchema;
type Migration = new () => MigrationInterface;

export interface ServiceDefinition<C extends ServiceConfig = ServiceConfig, P = unknown> {
  /** Its name in the registry (services.json). */
  name: string;
  /** Its environment: `serviceConfigSchema(name, { ...its own variables })`. */
  configSchema: z.ZodType<C, unknown>;
  /** Its own migrations; the shared outbox, inbox and user-directory tables are added before them. */
  migrations: Migration[];
  /** TypeORM entities of the aggregates it owns. */
  entities?: Entity[];
  openapi: { title: string; description: string; version?: string };
  /** How `auth.user.*` events reach it beyond the shared user directory (purging the user's data…). */
  userEvents?: UserEventHooks;
  /** The other events it consumes: the map, or built from the context (handlers that need its clock or config). */
  handlers?: EventHandlers | ((context: ServiceContext<C>) => EventHandlers);
  /** Batch handlers of some of those types: registered instead of their one-event handlers. */
  batchHandlers?: EventBatchHandlers;
  /** A verifier of its own instead of the JWKS one (auth verifies with its key ring); built after `setup`. */
  verifier?: (context: ServiceContext<C>, parts: P) => AccessTokenVerifier;
  /**
   * Builds what the service's routes, verifier and jobs share (stores, a key ring, a PDF renderer…),
   * once, before HTTP starts (`context.authenticate` is set only after it). Returned `closers` are
   * stopped at shutdown.
   */
  setup?: (context: ServiceContext<C>) => Promise<P & { closers?: Closer[] }> | (P & { closers?: Closer[] });
  /** Its API: one or more routers, each built the one way (`new ApiRouter(...)`). */
  routes: (context: ServiceContext<C>, parts: P) => ApiRouter[];
  /**
   * What it counts of its own for the admin's `GET /admin/stats` (auth: users; ledger:
   * transactions), answered with the outbox and dead-letter depths at `GET /internal/stats`.
   */
  stats?: (context: ServiceContext<C>, parts: P) => Promise<Record<string, number>>;
  http?: {
    /** Largest JSON body (default 100kb). */
    bodyLimit?: string;
    /** Middleware before the routers (auth's OAuth2 form parser). */
    before?: Array<RequestHandler | Router>;
  };
}

/** Identity, for type inference: `export default defineService({ ... })`. */
export function defineService<C extends ServiceConfig, P = unknown>(
  definition: ServiceDefinition<C, P>,
): ServiceDefinition<C, P> {
  return definition;
}

/**
 * A service's environment schema: the variables every service reads (port and database from the
 * registry) plus its own.
 */
export function serviceConfigSchema<E extends z.ZodRawShape = Record<never, never>>(name: string, extra?: E) {
  const entry = registeredService(name);
  if (!entry.database) throw new Error(`${name} has no database in services.json`);
  return z.object({
    ...serviceConfigFields({ port: entry.port, database: entry.database }),
    ...((extra ?? {}) as E),
  });
}

/** Re-exported for handlers' signatures. */
export type { EntityManager };
