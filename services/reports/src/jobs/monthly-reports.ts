import {
  DEFAULT_USER_SETTINGS,
  HttpProblem,
  addMonths,
  formatMinorUnits,
  localDate,
  lockUserForWrite,
  monthBounds,
  newId,
  publishEvent,
  scheduleJob,
  type Logger,
  type ScheduledJob,
} from '@finance/shared';
import type { DataSource } from 'typeorm';
import { MONTHLY_JOB_OFF } from '../config';
import { insertReport } from '../data/monthly-reports';
import { generatedOn } from '../domain/display';
import { loadMonthlyReport, renderMonthlyReport } from '../pdf/monthly-report';
import { PdfUnavailableProblem, type PdfRenderer } from '../pdf/renderer';

/** The job's name: its lock (one replica acts per run, the others skip) and its metrics. */
export const MONTHLY_JOB = 'monthly-reports';

export interface MonthlyReportJobDeps {
  dataSource: DataSource;
  renderer: PdfRenderer;
  logger: Logger;
  /** "Now": the service's clock (tests pin it). */
  clock: () => Date;
}

export interface JobRun {
  /** False when another replica (or run) held the lock. */
  acted: boolean;
  generated: Array<{ userId: string; month: string; reportId: string }>;
  failed: number;
  /** True when the run stopped because this server has no browser: nothing is lost, a later run catches up. */
  renderingUnavailable: boolean;
}

/** The month whose report is due for someone whose local date is `today`: the one before. */
export function dueMonth(today: string): string {
  return addMonths(today, -1).slice(0, 7);
}

/**
 * Generates last month's report for every user for whom, in their own timezone, that month is
 * over at `now` (it is the 1st or later of the next one) and whose report does not exist yet;
 * stores the PDF and publishes reports.monthly.ready through the outbox in the same transaction.
 * The caller holds the job's lock (`scheduleJob`); the (user, month) unique key makes a rare
 * overlap harmless all the same.
 */
export async function generateDueReports(deps: MonthlyReportJobDeps, now: Date): Promise<JobRun> {
  const run: JobRun = { acted: true, generated: [], failed: 0, renderingUnavailable: false };
  for (const user of await usersWithTransactions(deps.dataSource)) {
    const month = dueMonth(localDate(now, user.timezone));
    try {
      const reportId = await generateMonthlyReport(deps, user, month);
      if (reportId) run.generated.push({ userId: user.userId, month, reportId });
    } catch (error) {
      // Without a browser no user's report can be made: stop here, once, rather than fail each.
      if (error instanceof PdfUnavailableProblem) {
        run.renderingUnavailable = true;
        deps.logger.warn('monthly reports postponed: PDF rendering is unavailable on this server');
        break;
      }
      // One user's failure must not starve the others; the next run retries them.
      run.failed++;
      deps.logger.error({ err: error, userId: user.userId, month }, 'monthly report failed');
    }
  }
  return run;
}

/**
 * Everyone with transactions in the read model, with their time zone from the user directory (its
 * fallback for a user auth has told nothing of); deleted and deactivated users are left out.
 */
async function usersWithTransactions(db: DataSource): Promise<Array<{ userId: string; timezone: string }>> {
  const rows = (await db.query(
    `SELECT u.user_id, d.timezone
     FROM (SELECT DISTINCT user_id FROM report_transactions) u
     LEFT JOIN user_directory d ON d.user_id = u.user_id
     WHERE d.user_id IS NULL OR (d.deleted_at IS NULL AND d.is_active)`,
  )) as Array<{ user_id: string; timezone: string | null }>;
  return rows.map((r) => ({ userId: r.user_id, timezone: r.timezone ?? DEFAULT_USER_SETTINGS.timezone }));
}

/**
 * One user's report of `month`, unless it exists already or the user had no transaction by its
 * end; the new report's id, or undefined when nothing was stored. The PDF is rendered outside any
 * transaction (no connection is held while Chromium works); storing it takes the user's directory
 * row (`lockUserForWrite`), so a report never outlives a deletion that races it: a deleted or
 * deactivated user gets none.
 */
export async function generateMonthlyReport(
  deps: MonthlyReportJobDeps,
  user: { userId: string; timezone: string },
  month: string,
): Promise<string | undefined> {
  const db = deps.dataSource;
  const { userId } = user;
  const [state] = (await db.query(
    `SELECT EXISTS (SELECT 1 FROM monthly_reports WHERE user_id = $1 AND month = $2) AS done,
            EXISTS (SELECT 1 FROM report_transactions WHERE user_id = $1 AND date <= $3) AS active`,
    [userId, month, monthBounds(month).to],
  )) as Array<{ done: boolean; active: boolean }>;
  // Nothing to report for a month before the user's first transaction.
  if (state.done || !state.active) return undefined;

  deps.renderer.assertAvailable();
  const data = await loadMonthlyReport(db, userId, month);
  const pdf = await renderMonthlyReport(deps.renderer, data, generatedOn(deps.clock(), user.timezone));
  const reportId = newId();
  const stored = await db.transaction(async (manager) => {
    try {
      await lockUserForWrite(manager, userId);
    } catch (error) {
      if (error instanceof HttpProblem && error.status === 401) return false; // deleted or deactivated meanwhile
      throw error;
    }
    const inserted = await insertReport(manager, {
      id: reportId,
      userId,
      month,
      currency: data.currency,
      incomeMinor: data.incomeMinor,
      expenseMinor: data.expenseMinor,
      pdf,
    });
    if (!inserted) return false;
    await publishEvent(manager, {
      type: 'reports.monthly.ready',
      userId,
      aggregateId: reportId,
      aggregateVersion: 1,
      payload: {
        reportId,
        month,
        income: formatMinorUnits(data.incomeMinor, data.currency),
        expense: formatMinorUnits(data.expenseMinor, data.currency),
        net: formatMinorUnits(data.incomeMinor - data.expenseMinor, data.currency),
        currency: data.currency,
      },
    });
    return true;
  });
  if (stored) deps.logger.info({ userId, month, reportId }, 'monthly report generated');
  return stored ? reportId : undefined;
}

const NOT_ACTED: JobRun = { acted: false, generated: [], failed: 0, renderingUnavailable: false };

/**
 * The monthly-report job on shared's `scheduleJob` (its advisory lock across replicas, no two
 * rounds in one process, "now" from the service's clock, runs counted in `job_runs_total`):
 * `schedule(expression)` on node-cron (`off` schedules nothing), `run()` one round now (tests,
 * tools: what it did, or `acted: false` when another replica held the lock), `stop()` at shutdown.
 */
export class MonthlyReportJob {
  private job: ScheduledJob;
  /** What the round this process ran last did (scheduleJob answers only whether it ran one). */
  private lastRun?: JobRun;

  constructor(private readonly deps: MonthlyReportJobDeps) {
    this.job = this.scheduled(MONTHLY_JOB_OFF);
  }

  private scheduled(expression: string): ScheduledJob {
    return scheduleJob(this.deps, {
      name: MONTHLY_JOB,
      schedule: expression,
      run: async (now) => {
        const run = await generateDueReports(this.deps, now);
        this.lastRun = run;
        // Logged by scheduleJob when there is something to say.
        return run.generated.length || run.failed
          ? { generated: run.generated.length, failed: run.failed }
          : undefined;
      },
    });
  }

  /** A `run()` in progress: a second caller meanwhile shares its round but did not act itself. */
  private running?: Promise<JobRun>;

  run(): Promise<JobRun> {
    if (this.running) return this.running.then(() => NOT_ACTED);
    this.running = (async () => {
      this.lastRun = undefined;
      const ran = await this.job.runNow();
      return (ran && this.lastRun) || NOT_ACTED;
    })().finally(() => (this.running = undefined));
    return this.running;
  }

  schedule(expression: string): void {
    const previous = this.job;
    this.job = this.scheduled(expression);
    void previous.close();
  }

  async stop(): Promise<void> {
    await this.job.close();
  }
}
