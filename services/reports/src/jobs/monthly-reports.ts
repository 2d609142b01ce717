import { randomUUID } from 'node:crypto';
import {
  addMonths,
  formatMinorUnits,
  localDate,
  type Logger,
  monthBounds,
  publishEvent,
} from '@finance/shared';
import cron, { type ScheduledTask } from 'node-cron';
import type { DataSource } from 'typeorm';
import { insertReport } from '../data/monthly-reports';
import { generatedOn } from '../domain/display';
import { loadMonthlyReport, renderMonthlyReport } from '../pdf/monthly-report';
import { PdfUnavailableProblem, type PdfRenderer } from '../pdf/renderer';

/** One replica acts per run: the others find this lock taken and skip. */
const JOB_LOCK = 'finance-tracker:reports:monthly-job';

export interface MonthlyReportJobDeps {
  dataSource: DataSource;
  renderer: PdfRenderer;
  logger: Logger;
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
 * over (it is the 1st or later of the next one) and whose report does not exist yet; stores the
 * PDF and publishes reports.monthly.ready through the outbox in the same transaction.
 * Runs under a PostgreSQL advisory lock; the (user, month) unique key makes a rare overlap harmless.
 */
export async function generateDueReports(deps: MonthlyReportJobDeps, now: Date): Promise<JobRun> {
  const runner = deps.dataSource.createQueryRunner();
  await runner.connect();
  const run: JobRun = { acted: false, generated: [], failed: 0, renderingUnavailable: false };
  try {
    const [{ locked }] = (await runner.query(`SELECT pg_try_advisory_lock(hashtext($1)) AS locked`, [
      JOB_LOCK,
    ])) as Array<{
      locked: boolean;
    }>;
    if (!locked) return run;
    run.acted = true;
    try {
      const users = (await deps.dataSource.query(
        `SELECT user_id, timezone FROM user_settings s
         WHERE EXISTS (SELECT 1 FROM report_transactions t WHERE t.user_id = s.user_id)`,
      )) as Array<{ user_id: string; timezone: string }>;
      for (const user of users) {
        const month = dueMonth(localDate(now, user.timezone));
        try {
          const reportId = await generateIfMissing(deps, user.user_id, user.timezone, month, now);
          if (reportId) run.generated.push({ userId: user.user_id, month, reportId });
        } catch (error) {
          // Without a browser no user's report can be made: stop here, once, rather than fail each.
          if (error instanceof PdfUnavailableProblem) {
            run.renderingUnavailable = true;
            deps.logger.warn('monthly reports postponed: PDF rendering is unavailable on this server');
            break;
          }
          // One user's failure must not starve the others; the next run retries them.
          run.failed++;
          deps.logger.error({ err: error, userId: user.user_id, month }, 'monthly report failed');
        }
      }
    } finally {
      await runner.query(`SELECT pg_advisory_unlock(hashtext($1))`, [JOB_LOCK]);
    }
  } finally {
    await runner.release();
  }
  return run;
}

async function generateIfMissing(
  deps: MonthlyReportJobDeps,
  userId: string,
  timezone: string,
  month: string,
  now: Date,
): Promise<string | undefined> {
  const db = deps.dataSource;
  const [state] = (await db.query(
    `SELECT EXISTS (SELECT 1 FROM monthly_reports WHERE user_id = $1 AND month = $2) AS done,
            EXISTS (SELECT 1 FROM report_transactions WHERE user_id = $1 AND date <= $3) AS active`,
    [userId, month, monthBounds(month).to],
  )) as Array<{ done: boolean; active: boolean }>;
  // Nothing to report for a month before the user's first transaction.
  if (state.done || !state.active) return undefined;

  deps.renderer.assertAvailable();
  const data = await loadMonthlyReport(db, userId, month);
  // Rendered outside the transaction: no connection is held while Chromium works.
  const pdf = await renderMonthlyReport(deps.renderer, data, generatedOn(now, timezone));
  const reportId = randomUUID();
  const stored = await db.transaction(async (manager) => {
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

/** Schedules the job (e.g. every 15 minutes); returns the task to stop at shutdown. */
export function scheduleMonthlyReports(deps: MonthlyReportJobDeps, expression: string): ScheduledTask {
  return cron.schedule(
    expression,
    async () => {
      const run = await generateDueReports(deps, new Date());
      if (run.generated.length || run.failed)
        deps.logger.info({ generated: run.generated.length, failed: run.failed }, 'monthly reports run');
    },
    { name: 'monthly-reports', noOverlap: true },
  );
}
