import type { DataSource, EntityManager } from 'typeorm';

export interface Webhook {
  id: string;
  userId: string;
  url: string;
  eventTypes: string[];
  description: string | null;
  active: boolean;
  secret: string;
  previousSecret: string | null;
  previousSecretExpiresAt: Date | null;
  failingSince: Date | null;
  disabledAt: Date | null;
  disabledReason: string | null;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

interface WebhookRow {
  id: string;
  user_id: string;
  url: string;
  event_types: string[];
  description: string | null;
  active: boolean;
  secret: string;
  previous_secret: string | null;
  previous_secret_expires_at: Date | null;
  failing_since: Date | null;
  disabled_at: Date | null;
  disabled_reason: string | null;
  version: number;
  created_at: Date;
  updated_at: Date;
}

const webhookOf = (r: WebhookRow): Webhook => ({
  id: r.id,
  userId: r.user_id,
  url: r.url,
  eventTypes: r.event_types,
  description: r.description,
  active: r.active,
  secret: r.secret,
  previousSecret: r.previous_secret,
  previousSecretExpiresAt: r.previous_secret_expires_at,
  failingSince: r.failing_since,
  disabledAt: r.disabled_at,
  disabledReason: r.disabled_reason,
  version: r.version,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export interface WebhookFields {
  url: string;
  eventTypes: string[];
  description: string | null;
  active: boolean;
}

export async function countWebhooks(manager: EntityManager, userId: string): Promise<number> {
  // Under the user's lock (see the router): concurrent creations cannot both pass the cap.
  const [row]: Array<{ count: string }> = await manager.query(
    `SELECT count(*) AS count FROM webhooks WHERE user_id = $1`,
    [userId],
  );
  return Number(row.count);
}

export async function insertWebhook(
  manager: EntityManager,
  webhook: WebhookFields & { id: string; userId: string; secret: string; now: Date },
): Promise<Webhook> {
  const [row]: WebhookRow[] = await manager.query(
    `INSERT INTO webhooks (id, user_id, url, event_types, description, active, secret, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING *`,
    [
      webhook.id,
      webhook.userId,
      webhook.url,
      webhook.eventTypes,
      webhook.description,
      webhook.active,
      webhook.secret,
      webhook.now,
    ],
  );
  return webhookOf(row);
}

export async function findWebhook(
  db: DataSource | EntityManager,
  userId: string,
  id: string,
  options: { forUpdate?: boolean } = {},
): Promise<Webhook | undefined> {
  const [row]: WebhookRow[] = await db.query(
    `SELECT * FROM webhooks WHERE user_id = $1 AND id = $2 ${options.forUpdate ? 'FOR UPDATE' : ''}`,
    [userId, id],
  );
  return row ? webhookOf(row) : undefined;
}

/** A page of the user's webhooks, oldest first (`limit + 1` rows). */
export async function listWebhooks(
  db: DataSource | EntityManager,
  userId: string,
  limit: number,
  after?: { createdAt: string; id: string },
): Promise<Webhook[]> {
  const rows: WebhookRow[] = await db.query(
    `SELECT * FROM webhooks WHERE user_id = $1 AND ($2::timestamptz IS NULL OR (created_at, id) > ($2, $3::uuid))
     ORDER BY created_at, id LIMIT $4`,
    [userId, after?.createdAt ?? null, after?.id ?? null, limit + 1],
  );
  return rows.map(webhookOf);
}

/**
 * Replaces the fields; switching a webhook on again forgets its failures (it starts afresh,
 * rather than being disabled again at its next failure).
 */
export async function updateWebhook(
  manager: EntityManager,
  id: string,
  fields: WebhookFields,
  now: Date,
): Promise<Webhook> {
  const [[row]]: [WebhookRow[], number] = await manager.query(
    `UPDATE webhooks SET url = $2, event_types = $3, description = $4, active = $5, updated_at = $6,
       version = version + 1,
       failing_since = CASE WHEN $5 AND NOT active THEN NULL ELSE failing_since END,
       disabled_at = CASE WHEN $5 THEN NULL ELSE disabled_at END,
       disabled_reason = CASE WHEN $5 THEN NULL ELSE disabled_reason END
     WHERE id = $1 RETURNING *`,
    [id, fields.url, fields.eventTypes, fields.description, fields.active, now],
  );
  return webhookOf(row);
}

/** A new secret; the old one keeps signing until `previousExpiresAt`. */
export async function rotateSecret(
  manager: EntityManager,
  id: string,
  secret: string,
  previousExpiresAt: Date,
  now: Date,
): Promise<Webhook> {
  const [[row]]: [WebhookRow[], number] = await manager.query(
    `UPDATE webhooks SET previous_secret = secret, previous_secret_expires_at = $3, secret = $2,
       version = version + 1, updated_at = $4
     WHERE id = $1 RETURNING *`,
    [id, secret, previousExpiresAt, now],
  );
  return webhookOf(row);
}

export async function deleteWebhook(manager: EntityManager, userId: string, id: string): Promise<boolean> {
  const [, count]: [unknown, number] = await manager.query(
    `DELETE FROM webhooks WHERE user_id = $1 AND id = $2`,
    [userId, id],
  );
  return count > 0;
}

/** The user's active webhooks subscribed to `type`. */
export async function subscribersOf(
  manager: EntityManager,
  userId: string,
  type: string,
): Promise<Webhook[]> {
  const rows: WebhookRow[] = await manager.query(
    `SELECT * FROM webhooks WHERE user_id = $1 AND active AND $2 = ANY (event_types) ORDER BY created_at, id`,
    [userId, type],
  );
  return rows.map(webhookOf);
}

/** The secrets that sign now: the current one, and the previous one during its grace period. */
export function signingSecrets(
  webhook: Pick<Webhook, 'secret' | 'previousSecret' | 'previousSecretExpiresAt'>,
  now: Date,
): string[] {
  const previousAlive =
    webhook.previousSecret !== null &&
    webhook.previousSecretExpiresAt !== null &&
    webhook.previousSecretExpiresAt.getTime() > now.getTime();
  return previousAlive ? [webhook.secret, webhook.previousSecret as string] : [webhook.secret];
}

/** A success: the endpoint is healthy again. */
export async function markWebhookHealthy(manager: EntityManager, id: string): Promise<void> {
  await manager.query(
    `UPDATE webhooks SET failing_since = NULL WHERE id = $1 AND failing_since IS NOT NULL`,
    [id],
  );
}

/** A failed attempt: remembers since when the endpoint has been failing (its first failure after a success). */
export async function markWebhookFailing(
  manager: EntityManager,
  id: string,
  at: Date,
): Promise<Webhook | undefined> {
  const [[row]]: [WebhookRow[], number] = await manager.query(
    `UPDATE webhooks SET failing_since = COALESCE(failing_since, $2) WHERE id = $1 RETURNING *`,
    [id, at],
  );
  return row ? webhookOf(row) : undefined;
}

/** Switches a failing endpoint off; false when it was already off (or is gone). */
export async function disableWebhook(
  manager: EntityManager,
  id: string,
  reason: string,
  now: Date,
): Promise<boolean> {
  const [, count]: [unknown, number] = await manager.query(
    `UPDATE webhooks SET active = false, disabled_at = $2, disabled_reason = $3, version = version + 1, updated_at = $2
     WHERE id = $1 AND active`,
    [id, now, reason],
  );
  return count > 0;
}
