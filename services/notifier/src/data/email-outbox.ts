import type { DataSource, EntityManager } from 'typeorm';
import { claimDueRows } from './leased-queue';

/**
 * The e-mail outbox: a mail is written in the same transaction as its notification and sent by the
 * e-mail worker after that commits (a failed or rolled-back event sends nothing). Rows are
 * claimed with a lease (`claimed_until`), so several replicas share the work and a replica that
 * dies mid-send leaves its mail to be retried.
 */

export type EmailStatus = 'pending' | 'sent' | 'failed' | 'skipped';

export interface QueuedEmail {
  id: string;
  notificationId: string;
  userId: string;
  to: string | null;
  subject: string;
  html: string;
  text: string;
  attempts: number;
}

export interface EmailAttempt {
  attempt: number;
  attemptedAt: Date;
  durationMs: number;
  ok: boolean;
  error: string | null;
}

export interface EmailDelivery {
  id: string;
  to: string | null;
  subject: string;
  status: EmailStatus;
  attempts: EmailAttempt[];
  nextAttemptAt: Date | null;
  sentAt: Date | null;
  lastError: string | null;
}

export async function queueEmail(
  manager: EntityManager,
  email: {
    id: string;
    notificationId: string;
    userId: string;
    to: string | null;
    subject: string;
    html: string;
    text: string;
    /** Now, or the end of the user's quiet hours. */
    sendAt: Date;
    createdAt: Date;
  },
): Promise<void> {
  // No address known for the user: logged as skipped, so the delivery log says why no mail came.
  const skipped = email.to === null;
  await manager.query(
    `INSERT INTO email_outbox (id, notification_id, user_id, to_address, subject, html, text, status, next_attempt_at, created_at, last_error)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
    [
      email.id,
      email.notificationId,
      email.userId,
      email.to,
      email.subject,
      email.html,
      email.text,
      skipped ? 'skipped' : 'pending',
      skipped ? null : email.sendAt,
      email.createdAt,
      skipped ? 'No e-mail address is known for the user' : null,
    ],
  );
}

interface QueuedRow {
  id: string;
  notification_id: string;
  user_id: string;
  to_address: string | null;
  subject: string;
  html: string;
  text: string;
  attempts: number;
}

/** Claims up to `limit` mails that are due and not claimed by a live lease. */
export async function claimDueEmails(
  db: DataSource,
  now: Date,
  leaseMs: number,
  limit: number,
): Promise<QueuedEmail[]> {
  const rows = await claimDueRows<QueuedRow>(
    db,
    {
      table: 'email_outbox',
      columns: ['id', 'notification_id', 'user_id', 'to_address', 'subject', 'html', 'text', 'attempts'],
    },
    now,
    leaseMs,
    limit,
  );
  return rows.map((r) => ({
    id: r.id,
    notificationId: r.notification_id,
    userId: r.user_id,
    to: r.to_address,
    subject: r.subject,
    html: r.html,
    text: r.text,
    attempts: r.attempts,
  }));
}

/**
 * Logs an attempt and moves the mail on: sent; or pending again at `retryAt`; or failed (no
 * `retryAt` after a failure). A mail purged meanwhile (its user deleted) is left alone.
 */
export async function recordEmailAttempt(
  manager: EntityManager,
  outcome: {
    id: string;
    attempt: number;
    attemptedAt: Date;
    durationMs: number;
    ok: boolean;
    error: string | null;
    messageId: string | null;
    retryAt: Date | null;
  },
): Promise<void> {
  const [, updated]: [unknown, number] = await manager.query(
    `UPDATE email_outbox SET attempts = $2, claimed_until = NULL,
       status = CASE WHEN $3 THEN 'sent' WHEN $4::timestamptz IS NULL THEN 'failed' ELSE 'pending' END,
       next_attempt_at = CASE WHEN $3 THEN NULL ELSE $4::timestamptz END,
       sent_at = CASE WHEN $3 THEN $5::timestamptz ELSE NULL END,
       message_id = $6, last_error = $7
     WHERE id = $1 AND status = 'pending'`,
    [
      outcome.id,
      outcome.attempt,
      outcome.ok,
      outcome.retryAt,
      outcome.attemptedAt,
      outcome.messageId,
      outcome.error,
    ],
  );
  if (updated === 0) return;
  await manager.query(
    `INSERT INTO email_attempts (email_id, attempt, attempted_at, duration_ms, ok, error) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT DO NOTHING`,
    [outcome.id, outcome.attempt, outcome.attemptedAt, outcome.durationMs, outcome.ok, outcome.error],
  );
}

interface DeliveryRow {
  id: string;
  to_address: string | null;
  subject: string;
  status: EmailStatus;
  next_attempt_at: Date | null;
  sent_at: Date | null;
  last_error: string | null;
  attempts_log: Array<{
    attempt: number;
    attempted_at: string;
    duration_ms: number;
    ok: boolean;
    error: string | null;
  }>;
}

/** The e-mails of a notification with their attempts, for its delivery log. */
export async function emailDeliveriesOf(
  db: DataSource | EntityManager,
  notificationId: string,
): Promise<EmailDelivery[]> {
  const rows: DeliveryRow[] = await db.query(
    `SELECT e.id, e.to_address, e.subject, e.status, e.next_attempt_at, e.sent_at, e.last_error,
       COALESCE((SELECT json_agg(json_build_object('attempt', a.attempt, 'attempted_at', a.attempted_at,
         'duration_ms', a.duration_ms, 'ok', a.ok, 'error', a.error) ORDER BY a.attempt)
         FROM email_attempts a WHERE a.email_id = e.id), '[]') AS attempts_log
     FROM email_outbox e WHERE e.notification_id = $1 ORDER BY e.created_at, e.id`,
    [notificationId],
  );
  return rows.map((r) => ({
    id: r.id,
    to: r.to_address,
    subject: r.subject,
    status: r.status,
    nextAttemptAt: r.next_attempt_at,
    sentAt: r.sent_at,
    lastError: r.last_error,
    attempts: r.attempts_log.map((a) => ({
      attempt: a.attempt,
      attemptedAt: new Date(a.attempted_at),
      durationMs: a.duration_ms,
      ok: a.ok,
      error: a.error,
    })),
  }));
}

/** Holds a mail until `until` (the end of the user's quiet hours); not an attempt. */
export async function postponeEmail(db: DataSource | EntityManager, id: string, until: Date): Promise<void> {
  await db.query(
    `UPDATE email_outbox SET next_attempt_at = $2, claimed_until = NULL WHERE id = $1 AND status = 'pending'`,
    [id, until],
  );
}
