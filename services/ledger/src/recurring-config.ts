import { z } from 'zod';
import { isJobSchedule } from '@finance/shared';

/** The recurring scheduler's environment (spread into the ledger's config schema). */
export const recurringConfigFields = {
  /** node-cron schedule of the recurring scheduler, or `off` (tests and the bench run rounds themselves). */
  RECURRING_SCHEDULE: z
    .string()
    .default('*/5 * * * *')
    .refine(isJobSchedule, { message: 'expected a cron expression or off' }),
  /** Templates one round handles at once. */
  RECURRING_CONCURRENCY: z.coerce.number().int().min(1).max(32).default(4),
};
