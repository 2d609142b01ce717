import cron from 'node-cron';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import { purgeExpiredIdempotencyKeys } from '@finance/shared';

/** Hourly: forget Idempotency-Keys older than their 24 h replay window. Safe on every replica. */
export function schedulePurgeOfIdempotencyKeys(dataSource: DataSource, logger: Logger) {
  return cron.schedule('17 * * * *', async () => {
    try {
      const purged = await purgeExpiredIdempotencyKeys(dataSource.manager);
      if (purged) logger.info({ purged }, 'expired idempotency keys purged');
    } catch (error) {
      logger.warn({ err: error }, 'idempotency key purge failed');
    }
  });
}
