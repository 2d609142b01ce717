import type { DataSource } from 'typeorm';
import { userSettingsOf, type Logger } from '@finance/shared';
import { quietHoursEnd } from '../domain/quiet-hours';
import { preferencesOf } from '../data/preferences-store';
import { retryDelayMs, type RetrySchedule } from '../domain/retry-schedule';
import { claimDueEmails, postponeEmail, recordEmailAttempt, type QueuedEmail } from '../data/email-outbox';
import { Poller } from '../jobs/poller';
import type { Mailer } from './mailer';

export interface EmailWorkerOptions {
  dataSource: DataSource;
  mailer: Mailer;
  logger: Logger;
  clock: () => Date;
  schedule: RetrySchedule;
  pollMs: number;
  concurrency: number;
  /** How long a claim protects a mail being sent (longer than one SMTP conversation). */
  leaseMs: number;
}

/** Longest error text kept in the delivery log. */
const MAX_ERROR = 500;

/**
 * Sends what the e-mail outbox holds, after the notification's transaction committed: due mails
 * are claimed, sent, and their attempt logged; a failure is retried with back-off and jitter,
 * until the last attempt marks it failed. A mail due during the user's quiet hours (their current
 * preferences, in their time zone) waits until they end. At least once: a replica dying between the SMTP answer
 * and the log leaves the mail to be sent again (with the same Message-ID).
 */
export class EmailWorker {
  readonly poller: Poller;

  constructor(private readonly options: EmailWorkerOptions) {
    this.poller = new Poller('e-mail worker', options.pollMs, () => this.round(), options.logger);
  }

  start(): void {
    this.poller.start();
  }

  stop(): Promise<void> {
    return this.poller.stop();
  }

  private async round(): Promise<boolean> {
    const { dataSource, clock, leaseMs, concurrency } = this.options;
    const due = await claimDueEmails(dataSource, clock(), leaseMs, concurrency);
    await Promise.all(due.map((mail) => this.send(mail)));
    return due.length === concurrency;
  }

  private async send(mail: QueuedEmail): Promise<void> {
    const { mailer, clock, schedule, dataSource, logger } = this.options;
    const [{ timezone }, { preferences }] = await Promise.all([
      userSettingsOf(dataSource, mail.userId),
      preferencesOf(dataSource, mail.userId),
    ]);
    const quietUntil = quietHoursEnd(clock(), timezone, preferences.quietHours);
    if (quietUntil) {
      await postponeEmail(dataSource, mail.id, quietUntil);
      return;
    }
    const attempt = mail.attempts + 1;
    const attemptedAt = clock();
    const started = performance.now();
    let messageId: string | null = null;
    let error: string | null = null;
    try {
      ({ messageId } = await mailer.send({
        id: mail.id,
        to: mail.to as string,
        subject: mail.subject,
        html: mail.html,
        text: mail.text,
      }));
    } catch (failure) {
      error = (failure instanceof Error ? failure.message : String(failure)).slice(0, MAX_ERROR);
    }
    const durationMs = Math.round(performance.now() - started);
    const delay = error === null ? null : retryDelayMs(schedule, attempt);
    const retryAt = delay === null ? null : new Date(clock().getTime() + delay);
    if (error !== null)
      logger.warn(
        { emailId: mail.id, attempt, error, retryAt },
        retryAt ? 'e-mail not sent; will retry' : 'e-mail failed for good',
      );
    await dataSource.transaction((manager) =>
      recordEmailAttempt(manager, {
        id: mail.id,
        attempt,
        attemptedAt,
        durationMs,
        ok: error === null,
        error,
        messageId,
        retryAt,
      }),
    );
  }
}
