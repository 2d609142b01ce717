import type { DataSource } from 'typeorm';
import { parseConfig } from '../config';
import type { Logger } from '../logger';
import { createDataSource, openDatabase } from '../data/data-source';
import { DEFAULT_RETRY_DELAYS_MS } from '../events/topology';
import { SHARED_MIGRATIONS, startService, type RunningService } from '../service';
import type { ServiceConfig, ServiceDefinition } from '../service-definition';
import { createTestDatabase, dropTestDatabase, testAmqpUrl } from './database';
import { deleteTestQueues, startTestBroker, uniqueName } from './events';
import { testLogger } from './http';

export interface TestService<P = unknown> extends RunningService<P> {
  /** The consumer name (queues, inbox rows) unique to this run. */
  consumerName: string;
  /** Stops the service, deletes its queues and drops its database. */
  close(): Promise<void>;
}

export interface TestServiceOptions {
  /** Environment beyond the test defaults (JWKS_URL of a TestTokenIssuer or of a started auth, say). */
  env?: Record<string, string | undefined>;
  /** "Now" for the whole service. */
  clock?: () => Date;
  /** Names the database and queues (default: the service's name). */
  label?: string;
  /** Its logger (default: a silent one; a test reading log lines passes its own). */
  logger?: Logger;
}

/**
 * A service started in this process exactly as `main.ts` starts it (its definition, the real
 * PostgreSQL and RabbitMQ), on a fresh database and with queues of its own, listening on an
 * ephemeral loopback port. Waits until its broker connection (and so its queues) are up, so a test
 * can publish at once.
 */
export async function startTestService<C extends ServiceConfig, P>(
  definition: ServiceDefinition<C, P>,
  options: TestServiceOptions = {},
): Promise<TestService<P>> {
  const label = options.label ?? definition.name;
  // A second replica of a service under test passes the first one's DATABASE_URL: that one is reused, not dropped.
  const ownDatabase = options.env?.DATABASE_URL === undefined;
  const databaseUrl = options.env?.DATABASE_URL ?? (await createTestDatabase(label));
  const consumerName = uniqueName(label);
  const config = parseConfig(definition.configSchema, {
    PORT: '0',
    HOST: '127.0.0.1',
    AMQP_URL: testAmqpUrl(),
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    ...options.env,
    DATABASE_URL: databaseUrl,
  });
  let service: RunningService<P>;
  try {
    service = await startService(definition, {
      config,
      consumerName,
      clock: options.clock,
      logger: options.logger ?? testLogger(label),
    });
  } catch (error) {
    if (ownDatabase) await dropTestDatabase(databaseUrl);
    throw error;
  }
  await service.broker.whenConnected();
  return Object.assign(service, {
    consumerName,
    async close() {
      await service.stop();
      const broker = await startTestBroker(`${label}-cleanup`);
      await deleteTestQueues(broker, consumerName, DEFAULT_RETRY_DELAYS_MS.length);
      await broker.stop();
      if (ownDatabase) await dropTestDatabase(databaseUrl);
    },
  });
}

export interface TestDataSource {
  dataSource: DataSource;
  url: string;
  /** Closes the connections and drops the database. */
  close(): Promise<void>;
}

/**
 * A fresh database with a service's schema (the shared tables and its own migrations), without
 * starting the service: for tests of its data layer and event handlers alone.
 */
export async function openTestDataSource(
  definition: Pick<ServiceDefinition, 'name' | 'migrations' | 'entities'>,
  label: string = definition.name,
): Promise<TestDataSource> {
  const url = await createTestDatabase(label);
  const dataSource = await openDatabase(
    createDataSource({
      url,
      entities: definition.entities ?? [],
      migrations: [...SHARED_MIGRATIONS, ...definition.migrations],
      poolSize: 8,
    }),
  );
  return {
    dataSource,
    url,
    close: async () => {
      await dataSource.destroy();
      await dropTestDatabase(url);
    },
  };
}
