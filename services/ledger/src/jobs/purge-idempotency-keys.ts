import {
  purgeExpiredIdempotencyKeys,
  scheduleJob,
  type ScheduledJob,
  type ServiceContext,
} from '@finance/shared';

/** Hourly: forget Idempotency-Keys older than their 24 h replay window (scheduleJob: one replica a round). */
export function scheduleIdempotencyKeyPurge(
  context: Pick<ServiceContext, 'dataSource' | 'logger' | 'clock'>,
): ScheduledJob {
  return scheduleJob(context, {
    name: 'ledger-idempotency-key-purge',
    schedule: '17 * * * *',
    run: async () => {
      const purged = await purgeExpiredIdempotencyKeys(context.dataSource.manager);
      return purged ? { purged } : undefined;
    },
  });
}
