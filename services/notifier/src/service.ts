import { defineService, type ScheduledJob, type ServiceContext } from '@finance/shared';
import { notifierConfigSchema, type NotifierConfig } from './config';
import { notifierMigrations } from './data/migrations';
import { EmailWorker } from './email/email-worker';
import { createMailer, type Mailer } from './email/mailer';
import { emailTemplates, notifierEventHandlers, purgeUser } from './events/handlers';
import { notificationsRouter } from './http/notifications-router';
import { preferencesRouter } from './http/preferences-router';
import { webhooksRouter } from './http/webhooks-router';
import { retentionJob } from './jobs/retention';
import { WebhookTargetGuard } from './webhooks/target-guard';
import { WebhookWorker } from './webhooks/webhook-worker';

/** What the routes, the workers and the tests share. */
export interface NotifierParts {
  guard: WebhookTargetGuard;
  mailer: Mailer;
  emailWorker: EmailWorker;
  webhookWorker: WebhookWorker;
  /** The retention job: on RETENTION_SCHEDULE where this process runs the workers, else only by `runNow`. */
  retention: ScheduledJob;
}

function setup(
  context: ServiceContext<NotifierConfig>,
): NotifierParts & { closers: Array<{ name: string; close: () => unknown }> } {
  const { config, logger, dataSource, clock } = context;
  emailTemplates(); // compiled now: a missing or broken template stops the start
  const mailer = createMailer({
    smtpUrl: config.SMTP_URL,
    from: config.MAIL_FROM,
    mailDir: config.MAIL_DIR,
    timeoutMs: config.SMTP_TIMEOUT_MS,
  });
  logger.info({ mail: mailer.description }, `notifier e-mail goes to ${mailer.description}`);
  const guard = new WebhookTargetGuard({
    allowedPorts: config.WEBHOOK_ALLOWED_PORTS,
    allowedNetworks: config.WEBHOOK_ALLOWED_NETWORKS,
    dnsServers: config.WEBHOOK_DNS_SERVERS,
    timeoutMs: Math.min(config.WEBHOOK_TIMEOUT_MS, 5_000),
  });
  if (config.WEBHOOK_ALLOWED_NETWORKS.length > 0)
    logger.warn(
      { networks: config.WEBHOOK_ALLOWED_NETWORKS },
      'webhooks may reach these internal networks (WEBHOOK_ALLOWED_NETWORKS): for development and tests only',
    );
  const emailWorker = new EmailWorker({
    dataSource,
    mailer,
    logger,
    clock,
    schedule: {
      baseMs: config.EMAIL_RETRY_BASE_MS,
      factor: 4,
      maxMs: config.EMAIL_RETRY_MAX_MS,
      maxAttempts: config.EMAIL_MAX_ATTEMPTS,
    },
    pollMs: config.DELIVERY_POLL_MS,
    concurrency: config.DELIVERY_CONCURRENCY,
    leaseMs: config.SMTP_TIMEOUT_MS * 3 + 5_000,
  });
  const webhookWorker = new WebhookWorker({
    dataSource,
    guard,
    logger,
    clock,
    schedule: {
      baseMs: config.WEBHOOK_RETRY_BASE_MS,
      factor: 4,
      maxMs: config.WEBHOOK_RETRY_MAX_MS,
      maxAttempts: config.WEBHOOK_MAX_ATTEMPTS,
    },
    timeoutMs: config.WEBHOOK_TIMEOUT_MS,
    disableAfterMs: config.WEBHOOK_DISABLE_AFTER_MS,
    pollMs: config.DELIVERY_POLL_MS,
    concurrency: config.DELIVERY_CONCURRENCY,
  });
  const retention = retentionJob({
    dataSource,
    schedule: config.DELIVERY_WORKERS ? config.RETENTION_SCHEDULE : 'off',
    retentionDays: config.NOTIFICATION_RETENTION_DAYS,
    clock,
    logger,
  });
  if (config.DELIVERY_WORKERS) {
    emailWorker.start();
    webhookWorker.start();
  }
  return {
    guard,
    mailer,
    emailWorker,
    webhookWorker,
    retention,
    closers: [
      { name: 'retention job', close: () => retention.close() },
      { name: 'e-mail worker', close: () => emailWorker.stop() },
      { name: 'webhook worker', close: () => webhookWorker.stop() },
      { name: 'mailer', close: () => mailer.close() },
    ],
  };
}

/** notifier: in-app notifications, e-mail from templates, signed webhooks, per-user preferences. */
export default defineService({
  name: 'notifier',
  configSchema: notifierConfigSchema,
  migrations: notifierMigrations,
  openapi: {
    title: 'Finance Tracker — notifier',
    description:
      'Notifications about budgets, goals, recurring transactions, imports and monthly reports: in-app, by ' +
      'e-mail (templates, quiet hours) and by signed webhooks (Standard Webhooks), per your preferences.',
  },
  // auth.user.* keep the shared directory with contacts (e-mail, username, time zone); deletion purges.
  userEvents: { keepContacts: true, onDeleted: purgeUser },
  handlers: notifierEventHandlers,
  setup,
  // Preferences before the feed: /notifications/preferences is not a notification id.
  routes: (context, parts) => [
    preferencesRouter(context),
    notificationsRouter(context),
    webhooksRouter(context, parts.guard),
  ],
});
