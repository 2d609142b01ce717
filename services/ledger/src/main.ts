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
import { ledgerConfigSchema } from './config';
import { createLedgerDataSource } from './data/data-source';
import { registerAuthHandlers } from './events/auth-handlers';
import { schedulePurgeOfIdempotencyKeys } from './jobs/purge-idempotency-keys';

async function main(): Promise<void> {
  const config = loadConfig(ledgerConfigSchema);
  const logger = createLogger('ledger', config.LOG_LEVEL);

  await ensureDatabase(config.DATABASE_URL);
  const dataSource = await openDatabase(createLedgerDataSource(config.DATABASE_URL, config.DB_POOL_SIZE));

  const broker = new Broker({ url: config.AMQP_URL, logger, connectionName: 'ledger' });
  const relay = new OutboxRelay({ dataSource, broker, logger });
  const consumer = registerAuthHandlers(
    new EventConsumer({ broker, dataSource, logger, service: 'ledger', prefetch: 20, maxAttempts: 5 }),
  );
  const readiness = new Readiness({ db: databaseCheck(dataSource) });
  readiness.add('broker', () => broker.isConnected);
  // The ledger keeps serving while the broker is away: events wait in the outbox until it is back.
  void broker.start().catch((error: unknown) => logger.error({ err: error }, 'broker stopped trying'));
  await relay.start();
  await consumer.start();

  const verifier = new TokenVerifier({
    jwksUrl: config.JWKS_URL,
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
  });
  const app = buildApp({ dataSource, logger, readiness, authenticate: authenticate(verifier) });
  const server = app.listen(config.PORT, () => logger.info({ port: config.PORT }, 'ledger listening'));
  const purge = schedulePurgeOfIdempotencyKeys(dataSource, logger);

  const shutdown = createShutdown({
    logger,
    readiness,
    servers: [server],
    timeoutMs: config.SHUTDOWN_TIMEOUT_MS,
    closers: [
      { name: 'jobs', close: () => purge.stop() },
      { name: 'event consumer', close: () => consumer.stop() },
      { name: 'outbox relay', close: () => relay.stop() },
      { name: 'broker', close: () => broker.stop() },
      { name: 'database', close: () => dataSource.destroy() },
    ],
  });
  exitOnSignals(shutdown, logger);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `ledger failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
