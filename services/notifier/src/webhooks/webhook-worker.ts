import type { DataSource, EntityManager } from 'typeorm';
import { newId, type Logger } from '@finance/shared';
import { retryDelayMs, type RetrySchedule } from '../domain/retry-schedule';
import { signedHeaders } from '../domain/webhook-signature';
import {
  claimDueDeliveries,
  recordDeliveryAttempt,
  abandonDelivery,
  type ClaimedDelivery,
} from '../data/webhook-deliveries';
import { insertNotification } from '../data/notifications-store';
import {
  disableWebhook,
  findWebhook,
  markWebhookFailing,
  markWebhookHealthy,
  signingSecrets,
  type Webhook,
} from '../data/webhooks-store';
import { Poller } from '../jobs/poller';
import type { WebhookTargetGuard } from './target-guard';
import { attemptDelivery, type AttemptResult } from './webhook-sender';

export interface WebhookWorkerOptions {
  dataSource: DataSource;
  guard: WebhookTargetGuard;
  logger: Logger;
  clock: () => Date;
  schedule: RetrySchedule;
  timeoutMs: number;
  /** An endpoint failing without a success this long is switched off when a delivery fails for good. */
  disableAfterMs: number;
  pollMs: number;
  concurrency: number;
}

/** The Standard Webhooks message id of a delivery: the same on every attempt. */
export function messageIdOf(deliveryId: string): string {
  return `msg_${deliveryId}`;
}

/**
 * Sends due webhook deliveries: each attempt signed afresh (its own timestamp, the secrets that
 * sign at that moment), logged with its status, duration and error; a failure is retried with
 * exponential back-off and jitter until the last attempt marks the delivery failed. An endpoint
 * that has kept failing for `disableAfterMs` is then switched off and its owner told in-app.
 */
export class WebhookWorker {
  readonly poller: Poller;

  constructor(private readonly options: WebhookWorkerOptions) {
    this.poller = new Poller('webhook worker', options.pollMs, () => this.round(), options.logger);
  }

  start(): void {
    this.poller.start();
  }

  stop(): Promise<void> {
    return this.poller.stop();
  }

  private async round(): Promise<boolean> {
    const { dataSource, clock, timeoutMs, concurrency } = this.options;
    // The lease outlasts an attempt (its timeout) with room for the log write.
    const due = await claimDueDeliveries(dataSource, clock(), timeoutMs * 2 + 5_000, concurrency);
    await Promise.all(due.map((delivery) => this.deliver(delivery)));
    return due.length === concurrency;
  }

  private async deliver(delivery: ClaimedDelivery): Promise<void> {
    const { dataSource, clock } = this.options;
    const webhook = await findWebhook(dataSource, delivery.userId, delivery.webhookId);
    if (!webhook) return; // deleted: its deliveries went with it
    if (!webhook.active) {
      await dataSource.transaction((m) =>
        abandonDelivery(m, delivery.id, 'The webhook is switched off', clock()),
      );
      return;
    }
    const attempt = delivery.attempts + 1;
    const attemptedAt = clock();
    const headers = signedHeaders(
      signingSecrets(webhook, attemptedAt),
      messageIdOf(delivery.id),
      Math.floor(attemptedAt.getTime() / 1000),
      delivery.body,
    );
    const result = await attemptDelivery(this.options.guard, {
      url: webhook.url,
      body: delivery.body,
      headers: { ...headers },
      timeoutMs: this.options.timeoutMs,
    });
    await dataSource.transaction((manager) =>
      this.record(manager, webhook, delivery, attempt, attemptedAt, result),
    );
  }

  private async record(
    manager: EntityManager,
    webhook: Webhook,
    delivery: ClaimedDelivery,
    attempt: number,
    attemptedAt: Date,
    result: AttemptResult,
  ): Promise<void> {
    const { schedule, clock, logger, disableAfterMs } = this.options;
    const delay = result.ok ? null : retryDelayMs(schedule, attempt);
    const retryAt = delay === null ? null : new Date(clock().getTime() + delay);
    const status = await recordDeliveryAttempt(manager, {
      id: delivery.id,
      attempt,
      attemptedAt,
      durationMs: result.durationMs,
      ok: result.ok,
      statusCode: result.statusCode,
      error: result.error,
      responseExcerpt: result.responseExcerpt,
      retryAt,
    });
    if (status === undefined) return; // purged meanwhile
    if (result.ok) {
      await markWebhookHealthy(manager, webhook.id);
      return;
    }
    logger.warn(
      { deliveryId: delivery.id, webhookId: webhook.id, attempt, error: result.error, retryAt },
      status === 'failed' ? 'webhook delivery failed for good' : 'webhook delivery failed; will retry',
    );
    const failing = await markWebhookFailing(manager, webhook.id, attemptedAt);
    if (status !== 'failed' || !failing?.failingSince) return;
    if (clock().getTime() - failing.failingSince.getTime() < disableAfterMs) return;
    const reason = `Deliveries have failed since ${failing.failingSince.toISOString()} (last: ${result.error ?? 'unknown'})`;
    if (!(await disableWebhook(manager, webhook.id, reason, clock()))) return;
    logger.warn({ webhookId: webhook.id }, 'webhook switched off after failing too long');
    await insertNotification(manager, {
      id: newId(),
      userId: webhook.userId,
      kind: 'webhook_disabled',
      title: 'A webhook was switched off',
      body:
        `Deliveries to ${webhook.url} kept failing (${result.error ?? 'unknown error'}), so the webhook was switched off. ` +
        'Fix the receiver, then switch it on again.',
      data: { webhook_id: webhook.id },
      inApp: true,
      sourceEventId: null,
      createdAt: clock(),
    });
  }
}
