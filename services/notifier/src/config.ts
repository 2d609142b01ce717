import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configFields, isJobSchedule, serviceConfigSchema } from '@finance/shared';
import { z } from 'zod';
import { isCidr } from './domain/address-policy';

const optional = <S extends z.ZodType>(schema: S) =>
  z.preprocess((v) => (v === '' ? undefined : v), schema.optional());
const milliseconds = (fallback: number, max = 7 * 24 * 3_600_000) =>
  z.coerce.number().int().min(0).max(max).default(fallback);
/** A comma-separated list in one variable, each item checked by `item`. */
const list = (item: z.ZodType, message: string, fallback = '') =>
  z
    .string()
    .default(fallback)
    .transform((text) =>
      text
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    )
    .refine((items) => items.every((i) => item.safeParse(i).success), { message });

/** notifier's environment: what every service reads (port and database from services.json), and its own. */
export const notifierConfigSchema = serviceConfigSchema('notifier', {
  // ── e-mail ──
  /** smtp://user:pass@host:port or smtps://…; unset: mails are written to MAIL_DIR as .eml files. */
  SMTP_URL: optional(z.url({ protocol: /^smtps?$/ })),
  /** The From of every mail. */
  MAIL_FROM: z.string().min(3).default('Finance Tracker <notifications@finance-tracker.local>'),
  /** Where mails go without SMTP_URL (created if missing). */
  MAIL_DIR: z.string().min(1).default(join(tmpdir(), 'finance-tracker-mail')),
  EMAIL_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(8),
  /** Delay before the first retry; each further one is 4× longer, up to EMAIL_RETRY_MAX_MS (±20 % jitter). */
  EMAIL_RETRY_BASE_MS: milliseconds(30_000),
  EMAIL_RETRY_MAX_MS: milliseconds(3_600_000),
  /** Longest one SMTP conversation may take. */
  SMTP_TIMEOUT_MS: z.coerce.number().int().min(100).max(300_000).default(30_000),

  // ── webhooks ──
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
  /** 6 attempts over about a day: 5 min, 20 min, 80 min, 5 h 20, 21 h (±20 %). */
  WEBHOOK_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(6),
  WEBHOOK_RETRY_BASE_MS: milliseconds(300_000),
  WEBHOOK_RETRY_MAX_MS: milliseconds(24 * 3_600_000),
  /** An endpoint whose deliveries have failed without a success for this long is disabled (after a delivery fails for good). */
  WEBHOOK_DISABLE_AFTER_MS: milliseconds(3 * 24 * 3_600_000, 365 * 24 * 3_600_000),
  /** How long the previous secret keeps signing after a rotation. */
  WEBHOOK_SECRET_GRACE_MS: milliseconds(24 * 3_600_000, 30 * 24 * 3_600_000),
  /** Ports a webhook URL may name (the scheme's default when it names none). */
  WEBHOOK_ALLOWED_PORTS: list(
    z
      .string()
      .regex(/^\d{1,5}$/)
      .refine((p) => Number(p) >= 1 && Number(p) <= 65535),
    'expected port numbers, comma-separated',
    '80,443,8080,8443',
  ).transform((ports) => ports.map(Number)),
  /**
   * Networks (CIDRs) a webhook may reach although they are internal, on any port: for development
   * and tests only (e.g. 127.0.0.0/8 for a receiver on this machine). Empty in production.
   */
  WEBHOOK_ALLOWED_NETWORKS: list(
    z.string().refine(isCidr),
    'expected CIDRs such as 127.0.0.0/8, comma-separated',
  ),
  /** DNS servers (host or host:port) the guard resolves webhook hosts with; unset: the system resolver. */
  WEBHOOK_DNS_SERVERS: list(z.string().min(1), 'expected DNS servers, comma-separated'),
  MAX_WEBHOOKS_PER_USER: z.coerce.number().int().min(1).max(1000).default(10),

  // ── delivery workers and jobs ──
  /** How often the e-mail and webhook workers look for due deliveries. */
  DELIVERY_POLL_MS: z.coerce.number().int().min(10).max(60_000).default(1_000),
  /** Deliveries one worker sends at once. */
  DELIVERY_CONCURRENCY: z.coerce.number().int().min(1).max(100).default(8),
  /** Read notifications older than this many days are deleted by the retention job. */
  NOTIFICATION_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(90),
  /** When the retention job runs (cron syntax, the server's time; `off`: never by itself). */
  RETENTION_SCHEDULE: z
    .string()
    .default('17 3 * * *')
    .refine(isJobSchedule, { message: 'not a cron expression (or off)' }),
  /** false: the workers and the retention job do not run in this process (tools, a read-only replica). */
  DELIVERY_WORKERS: configFields.boolean(true),
});

export type NotifierConfig = z.output<typeof notifierConfigSchema>;
