import { schedule, type ScheduledTask } from 'node-cron';
import type { DataSource } from 'typeorm';
import type { Logger } from '@finance/shared';
import { pruneNotifications } from '../data/notifications-store';
import { pruneDeliveries } from '../data/webhook-deliveries';

const DAY_MS = 24 * 3_600_000;

/** The advisory lock that lets one replica at a time prune (the others skip that run). */
export const RETENTION_LOCK_KEY = 'notifier:retention';

export interface RetentionResult {
  /** Another replica held the lock: nothing was done. */
  skipped: boolean;
  notifications: number;
  deliveries: number;
}

/**
 * Deletes read notifications read more than `retentionDays` ago (with their e-mails), log-only
 * notifications as old whose mails are done, and finished webhook deliveries as old. Under a
 * transaction-scoped advisory lock: replicas whose schedules fire together do the work once.
 */
export async function runRetention(
  dataSource: DataSource,
  options: { now: Date; retentionDays: number },
): Promise<RetentionResult> {
  const cutoff = new Date(options.now.getTime() - options.retentionDays * DAY_MS);
  return dataSource.transaction(async (manager) => {
    const [{ locked }]: Array<{ locked: boolean }> = await manager.query(
      `SELECT pg_try_advisory_xact_lock(hashtext($1)) AS locked`,
      [RETENTION_LOCK_KEY],
    );
    if (!locked) return { skipped: true, notifications: 0, deliveries: 0 };
    const notifications = await pruneNotifications(manager, cutoff);
    const deliveries = await pruneDeliveries(manager, cutoff);
    return { skipped: false, notifications, deliveries };
  });
}

/** The retention job on its cron schedule; stop it at shutdown (it is a closer of setup). */
export function scheduleRetention(options: {
  dataSource: DataSource;
  expression: string;
  retentionDays: number;
  clock: () => Date;
  logger: Logger;
}): ScheduledTask {
  return schedule(
    options.expression,
    async () => {
      try {
        const result = await runRetention(options.dataSource, {
          now: options.clock(),
          retentionDays: options.retentionDays,
        });
        if (!result.skipped) options.logger.info(result, 'notification retention ran');
      } catch (error) {
        options.logger.error({ err: error }, 'notification retention failed');
      }
    },
    { name: 'notification-retention', noOverlap: true },
  );
}
