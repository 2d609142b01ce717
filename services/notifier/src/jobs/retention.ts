import type { DataSource } from 'typeorm';
import { scheduleJob, type Logger, type ScheduledJob } from '@finance/shared';
import { pruneNotifications } from '../data/notifications-store';
import { pruneDeliveries } from '../data/webhook-deliveries';

const DAY_MS = 24 * 3_600_000;

/** The job's name: its advisory lock and its `job_runs_total` label. */
export const RETENTION_JOB = 'notification-retention';

export interface RetentionResult {
  notifications: number;
  deliveries: number;
}

/**
 * Deletes read notifications read more than `retentionDays` ago (with their e-mails), log-only
 * notifications as old whose mails are done, and finished webhook deliveries as old, in one
 * transaction (a failed round deletes nothing).
 */
export async function pruneExpired(
  dataSource: DataSource,
  options: { now: Date; retentionDays: number },
): Promise<RetentionResult> {
  const cutoff = new Date(options.now.getTime() - options.retentionDays * DAY_MS);
  return dataSource.transaction(async (manager) => ({
    notifications: await pruneNotifications(manager, cutoff),
    deliveries: await pruneDeliveries(manager, cutoff),
  }));
}

/**
 * The retention job (shared `scheduleJob`: one replica at a time, a round logged with what it
 * deleted); `schedule: 'off'` runs it only when asked. Stop it at shutdown (a closer of setup).
 */
export function retentionJob(options: {
  dataSource: DataSource;
  schedule: string;
  retentionDays: number;
  clock: () => Date;
  logger: Logger;
}): ScheduledJob {
  return scheduleJob(options, {
    name: RETENTION_JOB,
    schedule: options.schedule,
    run: (now) => pruneExpired(options.dataSource, { now, retentionDays: options.retentionDays }),
  });
}
