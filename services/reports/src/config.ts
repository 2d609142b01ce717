import { chromiumConfigFields, serviceConfigFields } from '@finance/shared';
import cron from 'node-cron';
import { z } from 'zod';

export const reportsConfigSchema = z.object({
  ...serviceConfigFields({ port: 3006, database: 'finance_reports' }),
  // CHROMIUM_PATH / PUPPETEER_EXECUTABLE_PATH (optional) and CHROMIUM_BUNDLED (default true): see shared's resolveChromium.
  ...chromiumConfigFields,
  PDF_CONCURRENCY: z.coerce.number().int().min(1).max(16).default(2),
  PDF_TIMEOUT_MS: z.coerce.number().int().min(1000).max(120_000).default(15_000),
  REPORTS_CRON: z
    .string()
    .default('*/15 * * * *')
    .refine((expression) => cron.validate(expression), { message: 'not a cron expression' }),
});

export type ReportsConfig = z.output<typeof reportsConfigSchema>;
