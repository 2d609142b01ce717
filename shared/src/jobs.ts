import cron from 'node-cron';
import type { DataSource } from 'typeorm';
import type { Logger } from './logger';
import client from 'prom-client';
import { metricsRegistry } from './http/health';

/**
 * Scheduled jobs, the one way: a node-cron schedule, at most one replica running a job at a time
 * (a PostgreSQL advisory lock taken with `pg_try_advisory_lock` on a connection of its own: a
 * replica that does not get it skips this round), never two runs of one job in one process, and
 * "now" from the service's clock so tests drive a job without waiting for its schedule.
 */
export interface JobDefinition {
  /** Names the lock and the metrics (`recurring-scheduler`). */
  name: string;
  /** A cron expression (node-cron), or `off` to run only when asked (`runNow`). */
  schedule: string;
  /** One round of work; what it returns is logged. */
  run: (now: Date) => Promise<unknown>;
}

export interface ScheduledJob {
  name: string;
  /** Runs a round now, if no replica is running one: true when this call ran it. */
  runNow(): Promise<boolean>;
  /** Stops the schedule and waits for a round in progress (a Closer). */
  close(): Promise<void>;
}

const jobRuns = new client.Counter({
  name: 'job_runs_total',
  help: 'Scheduled job rounds by job and outcome (ran, skipped: another replica held it, failed)',
  labelNames: ['job', 'outcome'],
  registers: [metricsRegistry],
});

export function scheduleJob(
  context: { dataSource: DataSource; logger: Logger; clock: () => Date },
  job: JobDefinition,
): ScheduledJob {
  const logger = context.logger.child({ job: job.name });
  let running: Promise<boolean> | undefined;

  const round = async (): Promise<boolean> => {
    const runner = context.dataSource.createQueryRunner();
    await runner.connect();
    try {
      const [{ locked }]: Array<{ locked: boolean }> = await runner.query(
        `SELECT pg_try_advisory_lock(hashtext('finance-tracker:job:' || $1)) AS locked`,
        [job.name],
      );
      if (!locked) {
        jobRuns.inc({ job: job.name, outcome: 'skipped' });
        return false;
      }
      try {
        const outcome = await job.run(context.clock());
        jobRuns.inc({ job: job.name, outcome: 'ran' });
        if (outcome !== undefined) logger.info({ outcome }, `${job.name} ran`);
        return true;
      } finally {
        await runner.query(`SELECT pg_advisory_unlock(hashtext('finance-tracker:job:' || $1))`, [job.name]);
      }
    } catch (error) {
      jobRuns.inc({ job: job.name, outcome: 'failed' });
      logger.error({ err: error }, `${job.name} failed`);
      return false;
    } finally {
      await runner.release();
    }
  };

  const runNow = (): Promise<boolean> => {
    running ??= round().finally(() => (running = undefined));
    return running;
  };
  const task = job.schedule === 'off' ? undefined : cron.schedule(job.schedule, () => void runNow());
  return {
    name: job.name,
    runNow,
    async close() {
      await task?.stop();
      await running;
    },
  };
}

/** Whether a schedule is one `scheduleJob` takes (for config validation). */
export function isJobSchedule(schedule: string): boolean {
  return schedule === 'off' || cron.validate(schedule);
}
