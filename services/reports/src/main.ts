import {
  Broker,
  OutboxRelay,
  Readiness,
  createLogger,
  createShutdown,
  databaseCheck,
  ensureDatabase,
  exitOnSignals,
  loadConfig,
  openDatabase,
} from '@finance/shared';
import { buildApp } from './app';
import { reportsConfigSchema } from './config';
import { createReportsDataSource } from './data/data-source';
import { createReportsConsumer } from './events/consumer';
import { scheduleMonthlyReports } from './jobs/monthly-reports';
import { PdfRenderer } from './pdf/renderer';

async function main(): Promise<void> {
  const config = loadConfig(reportsConfigSchema);
  const logger = createLogger('reports', config.LOG_LEVEL);

  await ensureDatabase(config.DATABASE_URL);
  const dataSource = await openDatabase(
    createReportsDataSource({ url: config.DATABASE_URL, poolSize: config.DB_POOL_SIZE }),
  );

  const broker = new Broker({ url: config.AMQP_URL, logger, connectionName: 'reports' });
  await broker.start();
  const relay = new OutboxRelay({ dataSource, broker, logger });
  await relay.start();
  const consumer = createReportsConsumer({ broker, dataSource, logger });
  await consumer.start();

  const renderer = new PdfRenderer({
    executablePath: config.CHROMIUM_PATH,
    concurrency: config.PDF_CONCURRENCY,
    timeoutMs: config.PDF_TIMEOUT_MS,
    logger,
  });
  // Warm in the background: a missing Chromium must not keep analytics and CSV from serving.
  renderer
    .warmUp()
    .catch((error: unknown) =>
      logger.error({ err: error }, 'chromium did not start; PDF requests will retry'),
    );
  const job = scheduleMonthlyReports({ dataSource, renderer, logger }, config.REPORTS_CRON);

  const readiness = new Readiness({ db: databaseCheck(dataSource) });
  readiness.add('broker', () => broker.isConnected);
  const app = buildApp({
    dataSource,
    logger,
    readiness,
    renderer,
    auth: { jwksUrl: config.JWKS_URL, issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE },
  });
  const server = app.listen(config.PORT, () => logger.info({ port: config.PORT }, 'reports listening'));

  const shutdown = createShutdown({
    logger,
    readiness,
    servers: [server],
    timeoutMs: config.SHUTDOWN_TIMEOUT_MS,
    closers: [
      { name: 'monthly job', close: () => job.stop() },
      { name: 'consumer', close: () => consumer.stop() },
      { name: 'outbox relay', close: () => relay.stop() },
      { name: 'broker', close: () => broker.stop() },
      { name: 'browser', close: () => renderer.close() },
      { name: 'database', close: () => dataSource.destroy() },
    ],
  });
  exitOnSignals(shutdown, logger);
}

main().catch((error) => {
  process.stderr.write(`reports failed to start: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
