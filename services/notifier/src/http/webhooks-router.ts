import {
  ApiRouter,
  HttpProblem,
  checkIfMatch,
  conflict,
  decodeCursor,
  etagHeader,
  idempotencyKeyHeader,
  idempotencyKeyOf,
  ifMatchHeader,
  lockUserForWrite,
  newId,
  notFound,
  pageSchema,
  paginationQuery,
  runIdempotently,
  sendIdempotentAnswer,
  setETag,
  toPage,
  unprocessable,
  type ServiceContext,
  creationCursorSchema,
} from '@finance/shared';
import { z } from 'zod';
import type { NotifierConfig } from '../config';
import { WEBHOOK_TEST_TYPE } from '../domain/kinds';
import { newWebhookSecret } from '../domain/webhook-signature';
import { listDeliveries, queueDelivery } from '../data/webhook-deliveries';
import {
  countWebhooks,
  deleteWebhook,
  findWebhook,
  insertWebhook,
  listWebhooks,
  rotateSecret,
  updateWebhook,
  type Webhook,
  type WebhookFields,
} from '../data/webhooks-store';
import { webhookBody } from '../events/handlers';
import { TargetRefused, type WebhookTargetGuard } from '../webhooks/target-guard';
import { messageIdOf } from '../webhooks/webhook-worker';
import { presentDelivery } from './notifications-router';
import {
  createWebhookBody,
  deliverySchema,
  idParams,
  replaceWebhookBody,
  testDeliverySchema,
  webhookSchema,
  webhookWithSecretSchema,
} from './schemas';

const tags = ['webhooks'];
const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function presentWebhook(w: Webhook): z.output<typeof webhookSchema> {
  return {
    id: w.id,
    url: w.url,
    event_types: w.eventTypes,
    description: w.description,
    active: w.active,
    disabled_at: iso(w.disabledAt),
    disabled_reason: w.disabledReason,
    failing_since: iso(w.failingSince),
    previous_secret_expires_at: iso(w.previousSecretExpiresAt),
    created_at: w.createdAt.toISOString(),
    updated_at: w.updatedAt.toISOString(),
    version: w.version,
  };
}

const sameFields = (w: Webhook, f: WebhookFields) =>
  w.url === f.url &&
  w.description === f.description &&
  w.active === f.active &&
  JSON.stringify(w.eventTypes) === JSON.stringify(f.eventTypes);

export function webhooksRouter(
  context: ServiceContext<NotifierConfig>,
  guard: WebhookTargetGuard,
): ApiRouter {
  const api = new ApiRouter({ authenticate: context.authenticate });
  const db = context.dataSource;
  const { clock, config } = context;

  /** The SSRF guard on a URL a client sends: malformed → 400, refused → 422, both naming body.url. */
  async function checkTarget(url: string): Promise<string> {
    try {
      guard.parse(url);
    } catch (error) {
      if (error instanceof TargetRefused)
        throw new HttpProblem(400, 'The webhook URL is invalid', {
          errors: [{ field: 'body.url', message: error.reason }],
        });
      throw error;
    }
    try {
      return (await guard.check(url)).href;
    } catch (error) {
      if (error instanceof TargetRefused)
        throw unprocessable('Webhooks cannot be delivered to this URL', [
          { field: 'body.url', message: error.reason },
        ]);
      throw error;
    }
  }

  const notFoundWebhook = () => notFound('Webhook');

  api.post(
    '/webhooks',
    {
      summary: 'Subscribe a receiver to notification kinds',
      description:
        'The answer holds the signing secret (whsec_…), shown only here and at rotation. Deliveries follow ' +
        'Standard Webhooks (webhook-id, webhook-timestamp, webhook-signature).',
      tags,
      body: createWebhookBody,
      headers: idempotencyKeyHeader,
      responses: {
        201: {
          description: 'The webhook, with its secret',
          schema: webhookWithSecretSchema,
          headers: { ...etagHeader, Location: { description: '/webhooks/{id}' } },
        },
        409: { description: `You hold the most webhooks one user may (MAX_WEBHOOKS_PER_USER)` },
        422: { description: 'The URL resolves to an internal address or names a port that is not allowed' },
      },
    },
    async ({ body, user }, req, res) => {
      const key = idempotencyKeyOf(req);
      const url = await checkTarget(body.url);
      const answer = await runIdempotently(
        db,
        { scope: 'POST /webhooks', userId: user.id, key, body: req.body },
        async (manager) => {
          await lockUserForWrite(manager, user.id);
          if ((await countWebhooks(manager, user.id)) >= config.MAX_WEBHOOKS_PER_USER)
            throw conflict(
              `You already hold ${config.MAX_WEBHOOKS_PER_USER} webhooks, the most one user may`,
            );
          const secret = newWebhookSecret();
          const webhook = await insertWebhook(manager, {
            id: newId(),
            userId: user.id,
            url,
            eventTypes: body.event_types,
            description: body.description,
            active: body.active,
            secret,
            now: clock(),
          });
          return { status: 201, body: { ...presentWebhook(webhook), secret } };
        },
      );
      setETag(res, answer.body.version);
      res.location(`/webhooks/${answer.body.id}`);
      sendIdempotentAnswer(res, answer);
    },
  );

  api.get(
    '/webhooks',
    {
      summary: 'Your webhooks, oldest first',
      tags,
      query: z.object(paginationQuery),
      responses: { 200: { description: 'A page', schema: pageSchema(webhookSchema) } },
    },
    async ({ query, user }) => {
      const after = query.cursor ? decodeCursor(query.cursor, creationCursorSchema) : undefined;
      const rows = await listWebhooks(
        db,
        user.id,
        query.limit,
        after && { createdAt: after.c, id: after.id },
      );
      return toPage(rows, query.limit, (w) => ({ c: w.createdAt.toISOString(), id: w.id }), presentWebhook);
    },
  );

  api.get(
    '/webhooks/:id',
    {
      summary: 'One of your webhooks (without its secret)',
      tags,
      params: idParams,
      responses: {
        200: { description: 'The webhook', schema: webhookSchema, headers: etagHeader },
        404: { description: 'No such webhook of yours' },
      },
    },
    async ({ params, user }, _req, res) => {
      const webhook = await findWebhook(db, user.id, params.id);
      if (!webhook) throw notFoundWebhook();
      setETag(res, webhook.version);
      return presentWebhook(webhook);
    },
  );

  api.put(
    '/webhooks/:id',
    {
      summary: 'Replace a webhook (url, event_types, description, active)',
      description: 'Switching a webhook on again (active: true) forgets its failures.',
      tags,
      params: idParams,
      body: replaceWebhookBody,
      headers: ifMatchHeader,
      responses: {
        200: { description: 'The webhook', schema: webhookSchema, headers: etagHeader },
        404: { description: 'No such webhook of yours' },
        412: { description: 'If-Match is stale' },
        422: { description: 'The URL is not allowed' },
      },
    },
    async ({ params, body, user }, req, res) => {
      const existing = await findWebhook(db, user.id, params.id);
      if (!existing) throw notFoundWebhook();
      // Resolving happens outside the transaction; an unchanged URL is re-checked at every delivery anyway.
      const url = body.url === existing.url ? existing.url : await checkTarget(body.url);
      const fields: WebhookFields = {
        url,
        eventTypes: body.event_types,
        description: body.description,
        active: body.active,
      };
      const webhook = await db.transaction(async (manager) => {
        await lockUserForWrite(manager, user.id);
        const current = await findWebhook(manager, user.id, params.id, { forUpdate: true });
        if (!current) throw notFoundWebhook();
        checkIfMatch(req, current.version);
        return sameFields(current, fields) ? current : updateWebhook(manager, current.id, fields, clock());
      });
      setETag(res, webhook.version);
      return presentWebhook(webhook);
    },
  );

  api.delete(
    '/webhooks/:id',
    {
      summary: 'Delete a webhook (its deliveries go with it)',
      tags,
      params: idParams,
      headers: ifMatchHeader,
      responses: { 204: { description: 'Deleted' }, 404: { description: 'No such webhook of yours' } },
    },
    async ({ params, user }, req) => {
      await db.transaction(async (manager) => {
        await lockUserForWrite(manager, user.id);
        const current = await findWebhook(manager, user.id, params.id, { forUpdate: true });
        if (!current) throw notFoundWebhook();
        checkIfMatch(req, current.version);
        await deleteWebhook(manager, user.id, params.id);
      });
    },
  );

  api.post(
    '/webhooks/:id/test',
    {
      summary: 'Send a test delivery (type webhook_test)',
      tags,
      params: idParams,
      responses: {
        202: { description: 'Queued; see GET /webhooks/{id}/deliveries', schema: testDeliverySchema },
        404: { description: 'No such webhook of yours' },
        409: { description: 'The webhook is switched off' },
      },
    },
    async ({ params, user }) => {
      const id = newId();
      await db.transaction(async (manager) => {
        await lockUserForWrite(manager, user.id);
        const webhook = await findWebhook(manager, user.id, params.id);
        if (!webhook) throw notFoundWebhook();
        if (!webhook.active) throw conflict('The webhook is switched off; switch it on first');
        const now = clock();
        await queueDelivery(manager, {
          id,
          webhookId: webhook.id,
          userId: user.id,
          notificationId: null,
          type: WEBHOOK_TEST_TYPE,
          body: webhookBody(WEBHOOK_TEST_TYPE, now.toISOString(), {
            webhook_id: webhook.id,
            message: 'A test delivery from Finance Tracker',
          }),
          now,
        });
      });
      return {
        delivery_id: id,
        message_id: messageIdOf(id),
        type: WEBHOOK_TEST_TYPE,
        status: 'pending' as const,
      };
    },
  );

  api.post(
    '/webhooks/:id/rotate-secret',
    {
      summary: 'Rotate the signing secret',
      description:
        'The new secret is shown only here. The previous one keeps signing (a second v1 signature) ' +
        'until previous_secret_expires_at (WEBHOOK_SECRET_GRACE_MS), so receivers can switch over.',
      tags,
      params: idParams,
      responses: {
        200: {
          description: 'The webhook with its new secret',
          schema: webhookWithSecretSchema,
          headers: etagHeader,
        },
        404: { description: 'No such webhook of yours' },
      },
    },
    async ({ params, user }, _req, res) => {
      const secret = newWebhookSecret();
      const webhook = await db.transaction(async (manager) => {
        await lockUserForWrite(manager, user.id);
        const current = await findWebhook(manager, user.id, params.id, { forUpdate: true });
        if (!current) throw notFoundWebhook();
        const now = clock();
        return rotateSecret(
          manager,
          current.id,
          secret,
          new Date(now.getTime() + config.WEBHOOK_SECRET_GRACE_MS),
          now,
        );
      });
      setETag(res, webhook.version);
      return { ...presentWebhook(webhook), secret };
    },
  );

  api.get(
    '/webhooks/:id/deliveries',
    {
      summary: "A webhook's deliveries with every attempt, newest first",
      tags,
      params: idParams,
      query: z.object(paginationQuery),
      responses: {
        200: { description: 'A page', schema: pageSchema(deliverySchema) },
        404: { description: 'No such webhook of yours' },
      },
    },
    async ({ params, query, user }) => {
      const webhook = await findWebhook(db, user.id, params.id);
      if (!webhook) throw notFoundWebhook();
      const before = query.cursor ? decodeCursor(query.cursor, creationCursorSchema) : undefined;
      const rows = await listDeliveries(
        db,
        webhook.id,
        query.limit,
        before && { createdAt: before.c, id: before.id },
      );
      return toPage(rows, query.limit, (d) => ({ c: d.createdAt.toISOString(), id: d.id }), presentDelivery);
    },
  );

  return api;
}
