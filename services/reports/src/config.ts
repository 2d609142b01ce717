import { chromiumConfigFields, isJobSchedule, serviceConfigSchema } from '@finance/shared';
import { z } from 'zod';

/** `REPORTS_CRON=off`: this replica never runs the monthly job (tests run it by hand). */
export const MONTHLY_JOB_OFF = 'off';

/** Reports' environment: what every service reads (port and database from services.json), and its own. */
export const reportsConfigSchema = serviceConfigSchema('reports', {
  // CHROMIUM_PATH / PUPPETEER_EXECUTABLE_PATH (optional) and CHROMIUM_BUNDLED (default true): see shared's resolveChromium.
  ...chromiumConfigFields,
  /** Pages rendering at once; further PDF requests wait in line. */
  PDF_CONCURRENCY: z.coerce.number().int().min(1).max(16).default(2),
  /** Longest one render may take (the browser's start excluded). */
  PDF_TIMEOUT_MS: z.coerce.number().int().min(1000).max(120_000).default(15_000),
  /** When the monthly-report job runs (node-cron, through shared's scheduleJob), or `off`. */
  REPORTS_CRON: z
    .string()
    .default('*/15 * * * *')
    .refine(isJobSchedule, {
      message: `not a cron expression (or "${MONTHLY_JOB_OFF}")`,
    }),
});

export type ReportsConfig = z.output<typeof reportsConfigSchema>;
