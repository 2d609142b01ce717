import { chromiumSettings, defineService, type ServiceContext } from '@finance/shared';
import { reportsConfigSchema, type ReportsConfig } from './config';
import { reportsMigrations } from './data/migrations';
import { purgeUser, reportsEventBatchHandlers, reportsEventHandlers } from './events/handlers';
import { analyticsRouter } from './http/analytics-router';
import { balancesRouter } from './http/balances-router';
import { exportRouter } from './http/export-router';
import { reportsRouter } from './http/reports-router';
import { MonthlyReportJob } from './jobs/monthly-reports';
import { PdfRenderer, PdfRenderingUnavailable } from './pdf/renderer';

/** What reports' routes and jobs share: the warm browser and the monthly job. */
export interface ReportsParts {
  renderer: PdfRenderer;
  monthlyReports: MonthlyReportJob;
}

/**
 * The PDF renderer, warming up in the background (a missing Chromium must not keep analytics and
 * CSV from serving: /readyz shows it as degraded, not down), and the monthly job on REPORTS_CRON.
 */
function setup(context: ServiceContext<ReportsConfig>) {
  const { config, logger } = context;
  const renderer = new PdfRenderer({
    chromium: chromiumSettings(config),
    concurrency: config.PDF_CONCURRENCY,
    timeoutMs: config.PDF_TIMEOUT_MS,
    logger,
  });
  context.readiness.add('pdf_renderer', () => renderer.state, { critical: false });
  renderer.warmUp().catch((error: unknown) => {
    // One line, as `npm start` shows it: what is missing and what to do.
    if (error instanceof PdfRenderingUnavailable)
      logger.warn(
        `PDF rendering is unavailable (PDF requests answer 503): ${error.message}. Fix: ${error.fix}`,
      );
    else logger.error({ err: error }, 'the PDF renderer did not warm up');
  });
  const monthlyReports = new MonthlyReportJob({
    dataSource: context.dataSource,
    renderer,
    logger,
    clock: context.clock,
  });
  monthlyReports.schedule(config.REPORTS_CRON);
  return {
    renderer,
    monthlyReports,
    closers: [
      { name: 'monthly job', close: () => monthlyReports.stop() },
      { name: 'browser', close: () => renderer.close() },
    ],
  };
}

/** Reports: a read model of the ledger's events with daily roll-ups; analytics, CSV and PDF exports, monthly reports. */
export default defineService<ReportsConfig, ReportsParts>({
  name: 'reports',
  configSchema: reportsConfigSchema,
  migrations: reportsMigrations,
  openapi: {
    title: 'Finance Tracker — reports',
    description: 'Analytics over daily roll-ups, CSV and PDF exports, stored monthly reports.',
  },
  userEvents: { onDeleted: purgeUser },
  handlers: reportsEventHandlers,
  batchHandlers: reportsEventBatchHandlers,
  setup,
  routes: (context, parts) => [
    analyticsRouter(context),
    balancesRouter(context),
    exportRouter(context),
    reportsRouter(context, parts),
  ],
});
