import cron from 'node-cron';
import { purgeExpiredIdempotencyKeys, type Closer, type ServiceContext } from '@finance/shared';

/** Hourly: forget Idempotency-Keys older than their 24 h replay window. Safe on every replica. */
export function scheduleIdempotencyKeyPurge(context: Pick<ServiceContext, 'dataSource' | 'logger'>): Closer {
  const task = cron.schedule('17 * * * *', async () => {
    try {
      const purged = await purgeExpiredIdempotencyKeys(context.dataSource.manager);
      if (purged) context.logger.info({ purged }, 'expired idempotency keys purged');
    } catch (error) {
      context.logger.warn({ err: error }, 'idempotency key purge failed');
    }
  });
  return { name: 'idempotency key purge', close: () => task.stop() };
}
