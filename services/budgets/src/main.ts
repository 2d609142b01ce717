import {
  Broker,
  EventConsumer,
  OutboxRelay,
  Readiness,
  TokenVerifier,
  authenticate,
  createLogger,
  createShutdown,
  databaseCheck,
  ensureDatabase,
  exitOnSignals,
  loadConfig,
  openDatabase,
} from '@finance/shared';
import { buildApp } from './app';
import { budgetsConfigSchema } from './config';
import { createBudgetsDataSource } from './data/data-source';
import { CONSUMER_SERVICE, registerBudgetHandlers } from './events/handlers';

async function main(): Promise<void> {
  const config = loadConfig(budgetsConfigSchema);
  const logger = createLogger('budgets', config.LOG_LEVEL);

  await ensureDatabase(config.DATABASE_URL);
  const dataSource = await openDatabase(createBudgetsDataSource(config.DATABASE_URL, config.DB_POOL_SIZE));

  const broker = new Broker({ url: config.AMQP_URL, logger, connectionName: 'budgets' });
  await broker.start();
  const relay = new OutboxRelay({ dataSource, broker, logger });
  await relay.start();
  const consumer = registerBudgetHandlers(
    new EventConsumer({ broker, dataSource, logger, service: CONSUMER_SERVICE, prefetch: 20, maxAttempts: 5 }),
  );
  await consumer.start();

  const readiness = new Readiness({ db: databaseCheck(dataSource) });
  readiness.add('broker', () => broker.isConnected);
  const verifier = new TokenVerifier({ jwksUrl: config.JWKS_URL, issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE });
  const app = buildApp({ dataSource, logger, authenticate: authenticate(verifier), readiness });
  const server = app.listen(config.PORT, () => logger.info({ port: config.PORT }, 'budgets listening'));

  const shutdown = createShutdown({
    logger,
    readiness,
    servers: [server],
    timeoutMs: config.SHUTDOWN_TIMEOUT_MS,
    closers: [
      { name: 'consumer', close: () => consumer.stop() },
      { name: 'outbox relay', close: () => relay.stop() },
      { name: 'broker', close: () => broker.stop() },
      { name: 'database', close: () => dataSource.destroy() },
    ],
  });
  exitOnSignals(shutdown, logger);
}

main().catch((error) => {
  process.stderr.write(`budgets failed to start: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
