import { chromiumSettings, loadConfig, runMain, startService, type RunningService } from '@finance/shared';
import { buildApp } from './app';
import { reportsConfigSchema, type ReportsConfig } from './config';
import { createReportsDataSource } from './data/data-source';
import { registerReportsHandlers } from './events/consumer';
import { scheduleMonthlyReports } from './jobs/monthly-reports';
import { PdfRenderer, PdfRenderingUnavailable } from './pdf/renderer';

/** Starts reports: database, broker, outbox relay, read-model consumer, warm Chromium, monthly job, HTTP. */
export function startReports(
  config: ReportsConfig,
  options: { consumerName?: string } = {},
): Promise<RunningService> {
  return startService({
    name: 'reports',
    config,
    consumerName: options.consumerName,
    createDataSource: (c) => createReportsDataSource({ url: c.DATABASE_URL, poolSize: c.DB_POOL_SIZE }),
    wire: ({ dataSource, logger, readiness, consumer, authenticate }) => {
      registerReportsHandlers(consumer);
      const renderer = new PdfRenderer({
        chromium: chromiumSettings(config),
        concurrency: config.PDF_CONCURRENCY,
        timeoutMs: config.PDF_TIMEOUT_MS,
        logger,
      });
      // Warm in the background: a missing Chromium must not keep analytics and CSV from serving.
      renderer.warmUp().catch((error: unknown) => {
        // One line, as `npm start` shows it: what is missing and what to do.
        if (error instanceof PdfRenderingUnavailable)
          logger.warn(
            `PDF rendering is unavailable (PDF requests answer 503): ${error.message}. Fix: ${error.fix}`,
          );
        else logger.error({ err: error }, 'the PDF renderer did not warm up');
      });
      const job = scheduleMonthlyReports({ dataSource, renderer, logger }, config.REPORTS_CRON);
      const app = buildApp({ dataSource, logger, readiness, renderer, authenticate });
      return {
        app,
        closers: [
          { name: 'monthly job', close: () => job.stop() },
          { name: 'browser', close: () => renderer.close() },
        ],
      };
    },
  });
}

if (require.main === module) runMain('reports', () => startReports(loadConfig(reportsConfigSchema)));
