import { loadConfig, runMain, startService, type RunningService } from '@finance/shared';
import { buildApp } from './app';
import { ledgerConfigSchema, type LedgerConfig } from './config';
import { createLedgerDataSource } from './data/data-source';
import { registerAuthHandlers } from './events/auth-handlers';
import { schedulePurgeOfIdempotencyKeys } from './jobs/purge-idempotency-keys';

/** Starts the ledger: database, broker, outbox relay, auth.user.* consumer, HTTP, jobs. */
export function startLedger(
  config: LedgerConfig,
  options: { consumerName?: string } = {},
): Promise<RunningService> {
  return startService({
    name: 'ledger',
    config,
    consumerName: options.consumerName,
    createDataSource: (c) => createLedgerDataSource(c.DATABASE_URL, c.DB_POOL_SIZE),
    wire: ({ dataSource, logger, readiness, consumer, authenticate }) => {
      registerAuthHandlers(consumer);
      const purge = schedulePurgeOfIdempotencyKeys(dataSource, logger);
      return {
        app: buildApp({ dataSource, logger, readiness, authenticate }),
        closers: [{ name: 'jobs', close: () => purge.stop() }],
      };
    },
  });
}

if (require.main === module) runMain('ledger', () => startLedger(loadConfig(ledgerConfigSchema)));
