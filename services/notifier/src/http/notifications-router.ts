import {
  ApiRouter,
  decodeCursor,
  lockUserForWrite,
  notFound,
  pageSchema,
  toPage,
  type ServiceContext,
  creationCursorSchema,
} from '@finance/shared';
import { z } from 'zod';
import type { NotifierConfig } from '../config';
import { emailDeliveriesOf } from '../data/email-outbox';
import {
  deleteNotification,
  findNotification,
  listNotifications,
  markAllRead,
  markRead,
  unreadCount,
  type Notification,
} from '../data/notifications-store';
import { deliveriesOfNotification, type WebhookDelivery } from '../data/webhook-deliveries';
import { messageIdOf } from '../webhooks/webhook-worker';
import { idParams, listNotificationsQuery, notificationDetailSchema, notificationSchema } from './schemas';

const tags = ['notifications'];
const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function presentNotification(n: Notification): z.output<typeof notificationSchema> {
  return {
    id: n.id,
    kind: n.kind,
    title: n.title,
    body: n.body,
    data: n.data,
    created_at: n.createdAt.toISOString(),
    read_at: iso(n.readAt),
  };
}

export function presentDelivery(d: WebhookDelivery) {
  return {
    id: d.id,
    message_id: messageIdOf(d.id),
    webhook_id: d.webhookId,
    notification_id: d.notificationId,
    type: d.type,
    status: d.status,
    attempts: d.log.map((a) => ({
      attempt: a.attempt,
      attempted_at: a.attemptedAt.toISOString(),
      duration_ms: a.durationMs,
      status_code: a.statusCode,
      error: a.error,
      response_excerpt: a.responseExcerpt,
    })),
    next_attempt_at: iso(d.nextAttemptAt),
    created_at: d.createdAt.toISOString(),
    completed_at: iso(d.completedAt),
  };
}

/** The in-app feed: list, unread count, one with its delivery log, read, read-all, delete. */
export function notificationsRouter(context: ServiceContext<NotifierConfig>): ApiRouter {
  const api = new ApiRouter({ authenticate: context.authenticate });
  const db = context.dataSource;

  api.get(
    '/notifications',
    {
      summary: 'Your in-app notifications, newest first',
      tags,
      query: listNotificationsQuery,
      responses: { 200: { description: 'A page', schema: pageSchema(notificationSchema) } },
    },
    async ({ query, user }) => {
      const before = query.cursor ? decodeCursor(query.cursor, creationCursorSchema) : undefined;
      const rows = await listNotifications(db, user.id, {
        unread: query.unread,
        kind: query.kind,
        before: before && { createdAt: before.c, id: before.id },
        limit: query.limit,
      });
      return toPage(
        rows,
        query.limit,
        (n) => ({ c: n.createdAt.toISOString(), id: n.id }),
        presentNotification,
      );
    },
  );

  api.get(
    '/notifications/unread-count',
    {
      summary: 'How many of your in-app notifications are unread',
      tags,
      responses: { 200: { description: 'The count', schema: z.object({ count: z.number().int() }) } },
    },
    async ({ user }) => ({ count: await unreadCount(db, user.id) }),
  );

  api.post(
    '/notifications/read-all',
    {
      summary: 'Mark every in-app notification read',
      tags,
      responses: {
        200: { description: 'How many were unread', schema: z.object({ updated: z.number().int() }) },
      },
    },
    async ({ user }) => {
      const updated = await db.transaction(async (manager) => {
        await lockUserForWrite(manager, user.id);
        return markAllRead(manager, user.id, context.clock());
      });
      return { updated };
    },
  );

  api.get(
    '/notifications/:id',
    {
      summary: 'One notification with its delivery log (e-mail and webhook attempts)',
      tags,
      params: idParams,
      responses: {
        200: { description: 'The notification', schema: notificationDetailSchema },
        404: { description: 'No such notification of yours' },
      },
    },
    async ({ params, user }) => {
      const notification = await findNotification(db, user.id, params.id);
      if (!notification) throw notFound('Notification');
      const [emails, webhooks] = await Promise.all([
        emailDeliveriesOf(db, notification.id),
        deliveriesOfNotification(db, notification.id),
      ]);
      return {
        ...presentNotification(notification),
        deliveries: {
          email: emails.map((e) => ({
            id: e.id,
            to: e.to,
            status: e.status,
            next_attempt_at: iso(e.nextAttemptAt),
            sent_at: iso(e.sentAt),
            last_error: e.lastError,
            attempts: e.attempts.map((a) => ({
              attempt: a.attempt,
              attempted_at: a.attemptedAt.toISOString(),
              duration_ms: a.durationMs,
              ok: a.ok,
              error: a.error,
            })),
          })),
          webhooks: webhooks.map(presentDelivery),
        },
      };
    },
  );

  api.post(
    '/notifications/:id/read',
    {
      summary: 'Mark one read (the first read time is kept)',
      tags,
      params: idParams,
      responses: {
        200: { description: 'The notification', schema: notificationSchema },
        404: { description: 'No such in-app notification of yours' },
      },
    },
    async ({ params, user }) => {
      const notification = await db.transaction(async (manager) => {
        await lockUserForWrite(manager, user.id);
        return markRead(manager, user.id, params.id, context.clock());
      });
      if (!notification) throw notFound('Notification');
      return presentNotification(notification);
    },
  );

  api.delete(
    '/notifications/:id',
    {
      summary: 'Delete one (an e-mail still waiting for it is not sent)',
      tags,
      params: idParams,
      responses: { 204: { description: 'Deleted' }, 404: { description: 'No such notification of yours' } },
    },
    async ({ params, user }) => {
      const deleted = await db.transaction(async (manager) => {
        await lockUserForWrite(manager, user.id);
        return deleteNotification(manager, user.id, params.id);
      });
      if (!deleted) throw notFound('Notification');
    },
  );

  return api;
}
