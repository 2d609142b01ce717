import { z } from 'zod';
import { isJobSchedule, serviceConfigSchema } from '@finance/shared';
import { recurringConfigFields } from './recurring-config';

const optionalUrl = z.preprocess(
  (v) => (v === '' ? undefined : v),
  z.url({ protocol: /^https?$/ }).optional(),
);

/** The ledger's environment: what every service reads (port and database from services.json), and its own. */
export const ledgerConfigSchema = serviceConfigSchema('ledger', {
  ...recurringConfigFields,
  /** The Frankfurter API's base URL (e.g. http://frankfurter:8080 or https://api.frankfurter.app); empty: no provider, stored and hand-entered rates only. */
  FX_PROVIDER_URL: optionalUrl,
  /** The base the provider quotes against (Frankfurter: the ECB's EUR). */
  FX_PROVIDER_BASE: z
    .string()
    .regex(/^[A-Z]{3}$/)
    .default('EUR'),
  FX_PROVIDER_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(5_000),
  FX_PROVIDER_RETRIES: z.coerce.number().int().min(0).max(10).default(2),
  FX_PROVIDER_BACKOFF_MS: z.coerce.number().int().min(0).max(60_000).default(500),
  /** When the latest rates are fetched (cron, in the server's time; the ECB publishes around 16:00 CET); `off`: only on demand. */
  FX_RATES_SCHEDULE: z.string().default('30 16 * * 1-5').refine(isJobSchedule, 'a cron expression or off'),
  /** Store the provider's latest rates once at start (in the background; a failure is one warning line). */
  FX_FETCH_ON_START: z
    .enum(['true', 'false'])
    .default('true')
    .transform((v) => v === 'true'),
  /** How often base-currency changes still running are worked on. */
  FX_BASE_CHANGE_SCHEDULE: z.string().default('* * * * *').refine(isJobSchedule, 'a cron expression or off'),
  /** Largest statement file an import takes (bytes; the gateway's IMPORT_BODY_LIMIT is 20 MB): 413 above. */
  IMPORT_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1_024)
    .default(20 * 1024 * 1024),
  /** Most rows a statement file may have: 413 above. */
  IMPORT_MAX_ROWS: z.coerce.number().int().min(1).default(200_000),
  /** A file of more lines than this (or more bytes than IMPORT_BACKGROUND_BYTES) is imported by a background job: 202. */
  IMPORT_BACKGROUND_ROWS: z.coerce.number().int().min(1).default(5_000),
  IMPORT_BACKGROUND_BYTES: z.coerce
    .number()
    .int()
    .min(1_024)
    .default(2 * 1024 * 1024),
  /** How often waiting or interrupted import jobs are looked for (also right after each upload). */
  IMPORT_JOB_POLL_MS: z.coerce.number().int().min(50).max(600_000).default(5_000),
  /** A job interrupted this many times (its process died each time) is failed instead of run again. */
  IMPORT_JOB_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(3),
  /** POST /rules/{id}/apply changes up to this many transactions at once; more: a background job (202). */
  RULE_APPLY_SYNC_LIMIT: z.coerce.number().int().min(1).max(5_000).default(500),
  /** How often waiting or interrupted rule jobs are looked for (cron with seconds; also right after one is made). */
  RULE_JOB_SCHEDULE: z.string().default('*/10 * * * * *').refine(isJobSchedule, 'a cron expression or off'),
  /** A rule job taken up this many times without finishing is failed. */
  RULE_JOB_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(3),
});

export type LedgerConfig = z.output<typeof ledgerConfigSchema>;
