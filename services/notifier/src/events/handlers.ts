import {
  HttpProblem,
  lockUserForWrite,
  newId,
  type EntityManager,
  type EventHandler,
  type EventHandlers,
  type FinanceEvent,
} from '@finance/shared';
import { describeEvent, type NotificationContent } from '../domain/notification-content';
import type { NotifyingEventType } from '../domain/kinds';
import { queueEmail } from '../data/email-outbox';
import { insertNotification } from '../data/notifications-store';
import { preferencesOf } from '../data/preferences-store';
import { queueDelivery } from '../data/webhook-deliveries';
import { subscribersOf } from '../data/webhooks-store';
import { EmailTemplates } from '../email/templates';

let templates: EmailTemplates | undefined;
/** The compiled templates, loaded once per process (setup loads them at start, so a missing one stops it). */
export function emailTemplates(): EmailTemplates {
  templates ??= EmailTemplates.load();
  return templates;
}

/** The body of a webhook delivery (Standard Webhooks' recommended shape: type, timestamp, data). */
export function webhookBody(type: string, timestamp: string, data: Record<string, unknown>): string {
  return JSON.stringify({ type, timestamp, data });
}

/**
 * One notification for one event, in the event's transaction, to the channels the user chose:
 * stored (listed in-app when in_app is on), an e-mail queued in the outbox (sent after commit, in
 * the user's currency, waiting out quiet hours), a delivery queued for each active webhook
 * subscribed to the kind. Nothing at all when every channel is off. A second delivery of the same
 * event stores nothing: the inbox skips it, and `source_event_id` is unique besides.
 */
async function notify(
  event: Pick<FinanceEvent, 'id' | 'userId' | 'occurredAt'>,
  manager: EntityManager,
  content: NotificationContent,
): Promise<void> {
  // The user's directory row FOR SHARE: a deletion either waits for this (and purges it) or came first.
  let user;
  try {
    user = await lockUserForWrite(manager, event.userId);
  } catch (error) {
    if (error instanceof HttpProblem && error.status === 401) return; // deleted or deactivated
    throw error;
  }
  const { preferences } = await preferencesOf(manager, event.userId);
  const wanted = preferences.channels[content.kind];
  const subscribers = wanted.webhook ? await subscribersOf(manager, event.userId, content.kind) : [];
  if (!wanted.in_app && !wanted.email && subscribers.length === 0) return;

  const [{ now }]: Array<{ now: Date }> = await manager.query(`SELECT now() AS now`);
  const notification = await insertNotification(manager, {
    id: newId(),
    userId: event.userId,
    kind: content.kind,
    title: content.title,
    body: content.body,
    data: content.data,
    inApp: wanted.in_app,
    sourceEventId: event.id,
    createdAt: now,
  });
  if (!notification) return;

  if (wanted.email) {
    const mail = emailTemplates().render(content.kind, {
      subject: content.title,
      username: user.username ?? 'there',
      details: content.details,
    });
    await queueEmail(manager, {
      id: newId(),
      notificationId: notification.id,
      userId: event.userId,
      to: user.email,
      ...mail,
      sendAt: now,
      createdAt: now,
    });
  }
  if (subscribers.length > 0) {
    const body = webhookBody(content.kind, event.occurredAt, {
      notification_id: notification.id,
      kind: content.kind,
      title: content.title,
      body: content.body,
      ...content.data,
      details: content.details,
    });
    for (const webhook of subscribers)
      await queueDelivery(manager, {
        id: newId(),
        webhookId: webhook.id,
        userId: event.userId,
        notificationId: notification.id,
        type: content.kind,
        body,
        now,
      });
  }
}

function notifying<T extends NotifyingEventType>(type: T): EventHandler<T> {
  return (event, manager) => notify(event, manager, describeEvent(type, event.payload));
}

/** Every event the notifier tells users about, by type (the consumer registers exactly these). */
export const notifierEventHandlers: EventHandlers = {
  'budgets.budget.threshold-reached': notifying('budgets.budget.threshold-reached'),
  'budgets.budget.exceeded': notifying('budgets.budget.exceeded'),
  'budgets.budget.removed': notifying('budgets.budget.removed'),
  'goals.goal.milestone-reached': notifying('goals.goal.milestone-reached'),
  'goals.goal.completed': notifying('goals.goal.completed'),
  'ledger.recurring.upcoming': notifying('ledger.recurring.upcoming'),
  'ledger.recurring.generated': notifying('ledger.recurring.generated'),
  'ledger.import.completed': notifying('ledger.import.completed'),
  'reports.monthly.ready': notifying('reports.monthly.ready'),
};

/** `auth.user.deleted` (after the shared directory left its tombstone): everything of the user goes. */
export async function purgeUser(
  event: FinanceEvent<'auth.user.deleted'>,
  manager: EntityManager,
): Promise<void> {
  // Webhooks cascade to their deliveries and attempts; notifications to their e-mails.
  for (const table of [
    'webhook_deliveries',
    'webhooks',
    'email_outbox',
    'notifications',
    'notification_preferences',
    // Replayable answers of POST /webhooks hold a webhook's secret.
    'idempotency_keys',
  ])
    await manager.query(`DELETE FROM ${table} WHERE user_id = $1`, [event.userId]);
}
