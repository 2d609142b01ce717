import type { DataSource, EntityManager } from 'typeorm';
import { claimDueRows } from './leased-queue';

/**
 * Webhook deliveries: one per (notification or test, endpoint), written in the transaction that
 * decided on it and sent by the webhook worker after commit. Its id is the Standard Webhooks
 * message id (`webhook-id: msg_<id>`), the same on every retry; its body is fixed when it is
 * written, so every attempt signs the same bytes. Claimed with a lease like the e-mail outbox.
 */

export type DeliveryStatus = 'pending' | 'succeeded' | 'failed';

export interface WebhookAttempt {
  attempt: number;
  attemptedAt: Date;
  durationMs: number;
  statusCode: number | null;
  error: string | null;
  responseExcerpt: string | null;
}

export interface WebhookDelivery {
  id: string;
  webhookId: string;
  notificationId: string | null;
  type: string;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: Date | null;
  createdAt: Date;
  completedAt: Date | null;
  lastStatusCode: number | null;
  lastError: string | null;
  log: WebhookAttempt[];
}

export interface ClaimedDelivery {
  id: string;
  webhookId: string;
  userId: string;
  type: string;
  body: string;
  attempts: number;
}

export async function queueDelivery(
  manager: EntityManager,
  delivery: {
    id: string;
    webhookId: string;
    userId: string;
    notificationId: string | null;
    type: string;
    body: string;
    now: Date;
  },
): Promise<void> {
  await manager.query(
    `INSERT INTO webhook_deliveries (id, webhook_id, user_id, notification_id, type, body, status, next_attempt_at, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $7)`,
    [
      delivery.id,
      delivery.webhookId,
      delivery.userId,
      delivery.notificationId,
      delivery.type,
      delivery.body,
      delivery.now,
    ],
  );
}

interface ClaimRow {
  id: string;
  webhook_id: string;
  user_id: string;
  type: string;
  body: string;
  attempts: number;
}

export async function claimDueDeliveries(
  db: DataSource,
  now: Date,
  leaseMs: number,
  limit: number,
): Promise<ClaimedDelivery[]> {
  const rows = await claimDueRows<ClaimRow>(
    db,
    { table: 'webhook_deliveries', columns: ['id', 'webhook_id', 'user_id', 'type', 'body', 'attempts'] },
    now,
    leaseMs,
    limit,
  );
  return rows.map((r) => ({
    id: r.id,
    webhookId: r.webhook_id,
    userId: r.user_id,
    type: r.type,
    body: r.body,
    attempts: r.attempts,
  }));
}

/** Logs an attempt and moves the delivery on (succeeded / pending at `retryAt` / failed); false when it is gone. */
export async function recordDeliveryAttempt(
  manager: EntityManager,
  outcome: {
    id: string;
    attempt: number;
    attemptedAt: Date;
    durationMs: number;
    ok: boolean;
    statusCode: number | null;
    error: string | null;
    responseExcerpt: string | null;
    retryAt: Date | null;
  },
): Promise<DeliveryStatus | undefined> {
  const [rows]: [Array<{ status: DeliveryStatus }>, number] = await manager.query(
    `UPDATE webhook_deliveries SET attempts = $2, claimed_until = NULL,
       status = CASE WHEN $3 THEN 'succeeded' WHEN $4::timestamptz IS NULL THEN 'failed' ELSE 'pending' END,
       next_attempt_at = CASE WHEN $3 THEN NULL ELSE $4::timestamptz END,
       completed_at = CASE WHEN $3 OR $4::timestamptz IS NULL THEN $5::timestamptz ELSE NULL END,
       last_status_code = $6, last_error = $7
     WHERE id = $1 AND status = 'pending' RETURNING status`,
    [
      outcome.id,
      outcome.attempt,
      outcome.ok,
      outcome.retryAt,
      outcome.attemptedAt,
      outcome.statusCode,
      outcome.error,
    ],
  );
  if (rows.length === 0) return undefined;
  await manager.query(
    `INSERT INTO webhook_attempts (delivery_id, attempt, attempted_at, duration_ms, status_code, error, response_excerpt)
     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
    [
      outcome.id,
      outcome.attempt,
      outcome.attemptedAt,
      outcome.durationMs,
      outcome.statusCode,
      outcome.error,
      outcome.responseExcerpt,
    ],
  );
  return rows[0].status;
}

/** A delivery that can no longer be sent (its endpoint was switched off): failed, without an attempt. */
export async function abandonDelivery(
  manager: EntityManager,
  id: string,
  reason: string,
  now: Date,
): Promise<void> {
  await manager.query(
    `UPDATE webhook_deliveries SET status = 'failed', claimed_until = NULL, next_attempt_at = NULL,
       completed_at = $2, last_error = $3 WHERE id = $1 AND status = 'pending'`,
    [id, now, reason],
  );
}

interface DeliveryRow {
  id: string;
  webhook_id: string;
  notification_id: string | null;
  type: string;
  status: DeliveryStatus;
  attempts: number;
  next_attempt_at: Date | null;
  created_at: Date;
  completed_at: Date | null;
  last_status_code: number | null;
  last_error: string | null;
  log: Array<{
    attempt: number;
    attempted_at: string;
    duration_ms: number;
    status_code: number | null;
    error: string | null;
    response_excerpt: string | null;
  }>;
}

const SELECT_DELIVERY = `
  SELECT d.id, d.webhook_id, d.notification_id, d.type, d.status, d.attempts, d.next_attempt_at, d.created_at,
    d.completed_at, d.last_status_code, d.last_error,
    COALESCE((SELECT json_agg(json_build_object('attempt', a.attempt, 'attempted_at', a.attempted_at,
      'duration_ms', a.duration_ms, 'status_code', a.status_code, 'error', a.error,
      'response_excerpt', a.response_excerpt) ORDER BY a.attempt)
      FROM webhook_attempts a WHERE a.delivery_id = d.id), '[]') AS log
  FROM webhook_deliveries d`;

const deliveryOf = (r: DeliveryRow): WebhookDelivery => ({
  id: r.id,
  webhookId: r.webhook_id,
  notificationId: r.notification_id,
  type: r.type,
  status: r.status,
  attempts: r.attempts,
  nextAttemptAt: r.next_attempt_at,
  createdAt: r.created_at,
  completedAt: r.completed_at,
  lastStatusCode: r.last_status_code,
  lastError: r.last_error,
  log: r.log.map((a) => ({
    attempt: a.attempt,
    attemptedAt: new Date(a.attempted_at),
    durationMs: a.duration_ms,
    statusCode: a.status_code,
    error: a.error,
    responseExcerpt: a.response_excerpt,
  })),
});

/** A page of an endpoint's deliveries, newest first (`limit + 1` rows). */
export async function listDeliveries(
  db: DataSource | EntityManager,
  webhookId: string,
  limit: number,
  before?: { createdAt: string; id: string },
): Promise<WebhookDelivery[]> {
  const rows: DeliveryRow[] = await db.query(
    `${SELECT_DELIVERY} WHERE d.webhook_id = $1 AND ($2::timestamptz IS NULL OR (d.created_at, d.id) < ($2, $3::uuid))
     ORDER BY d.created_at DESC, d.id DESC LIMIT $4`,
    [webhookId, before?.createdAt ?? null, before?.id ?? null, limit + 1],
  );
  return rows.map(deliveryOf);
}

export async function findDelivery(
  db: DataSource | EntityManager,
  id: string,
): Promise<WebhookDelivery | undefined> {
  const [row]: DeliveryRow[] = await db.query(`${SELECT_DELIVERY} WHERE d.id = $1`, [id]);
  return row ? deliveryOf(row) : undefined;
}

export async function deliveriesOfNotification(
  db: DataSource | EntityManager,
  notificationId: string,
): Promise<WebhookDelivery[]> {
  const rows: DeliveryRow[] = await db.query(
    `${SELECT_DELIVERY} WHERE d.notification_id = $1 ORDER BY d.created_at, d.id`,
    [notificationId],
  );
  return rows.map(deliveryOf);
}

/** Retention: finished deliveries completed before `cutoff` (attempts cascade). */
export async function pruneDeliveries(manager: EntityManager, cutoff: Date): Promise<number> {
  const [, count]: [unknown, number] = await manager.query(
    `DELETE FROM webhook_deliveries WHERE status <> 'pending' AND completed_at < $1`,
    [cutoff],
  );
  return count;
}
