import type { DataSource, EntityManager } from 'typeorm';
import type { NotificationKind } from '../domain/kinds';

export interface Notification {
  id: string;
  userId: string;
  kind: NotificationKind;
  title: string;
  body: string;
  data: Record<string, string | null>;
  inApp: boolean;
  createdAt: Date;
  readAt: Date | null;
}

interface NotificationRow {
  id: string;
  user_id: string;
  kind: NotificationKind;
  title: string;
  body: string;
  data: Record<string, string | null>;
  in_app: boolean;
  created_at: Date;
  read_at: Date | null;
}

const COLUMNS = 'id, user_id, kind, title, body, data, in_app, created_at, read_at';

const notificationOf = (row: NotificationRow): Notification => ({
  id: row.id,
  userId: row.user_id,
  kind: row.kind,
  title: row.title,
  body: row.body,
  data: row.data,
  inApp: row.in_app,
  createdAt: row.created_at,
  readAt: row.read_at,
});

export interface NewNotification {
  id: string;
  userId: string;
  kind: NotificationKind;
  title: string;
  body: string;
  data: Record<string, string | null>;
  inApp: boolean;
  /** The event it comes from: a second notification for the same event is not stored. */
  sourceEventId: string | null;
  createdAt: Date;
}

/** Stores a notification; undefined when one for the same event exists already. */
export async function insertNotification(
  manager: EntityManager,
  n: NewNotification,
): Promise<Notification | undefined> {
  const rows: NotificationRow[] = await manager.query(
    `INSERT INTO notifications (id, user_id, kind, title, body, data, in_app, source_event_id, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
     ON CONFLICT (source_event_id) DO NOTHING
     RETURNING ${COLUMNS}`,
    [n.id, n.userId, n.kind, n.title, n.body, JSON.stringify(n.data), n.inApp, n.sourceEventId, n.createdAt],
  );
  return rows[0] ? notificationOf(rows[0]) : undefined;
}

export async function findNotification(
  db: DataSource | EntityManager,
  userId: string,
  id: string,
): Promise<Notification | undefined> {
  const [row]: NotificationRow[] = await db.query(
    `SELECT ${COLUMNS} FROM notifications WHERE user_id = $1 AND id = $2`,
    [userId, id],
  );
  return row ? notificationOf(row) : undefined;
}

/** One keyset page of the in-app feed, newest first: `limit + 1` rows (the extra proves a next page). */
export async function listNotifications(
  db: DataSource | EntityManager,
  userId: string,
  filter: {
    unread?: boolean;
    kind?: NotificationKind;
    before?: { createdAt: string; id: string };
    limit: number;
  },
): Promise<Notification[]> {
  const rows: NotificationRow[] = await db.query(
    `SELECT ${COLUMNS} FROM notifications
     WHERE user_id = $1 AND in_app
       AND ($2::boolean IS NULL OR (read_at IS NULL) = $2)
       AND ($3::text IS NULL OR kind = $3)
       AND ($4::timestamptz IS NULL OR (created_at, id) < ($4, $5::uuid))
     ORDER BY created_at DESC, id DESC LIMIT $6`,
    [
      userId,
      filter.unread ?? null,
      filter.kind ?? null,
      filter.before?.createdAt ?? null,
      filter.before?.id ?? null,
      filter.limit + 1,
    ],
  );
  return rows.map(notificationOf);
}

export async function unreadCount(db: DataSource | EntityManager, userId: string): Promise<number> {
  const [row]: Array<{ count: string }> = await db.query(
    `SELECT count(*) AS count FROM notifications WHERE user_id = $1 AND in_app AND read_at IS NULL`,
    [userId],
  );
  return Number(row.count);
}

/** Marks one read (keeping the first read time); undefined when it is not the user's. */
export async function markRead(
  manager: EntityManager,
  userId: string,
  id: string,
  now: Date,
): Promise<Notification | undefined> {
  const [[row]]: [NotificationRow[], number] = await manager.query(
    `UPDATE notifications SET read_at = COALESCE(read_at, $3) WHERE user_id = $1 AND id = $2 AND in_app
     RETURNING ${COLUMNS}`,
    [userId, id, now],
  );
  return row ? notificationOf(row) : undefined;
}

/** Marks every unread one read; how many were. */
export async function markAllRead(manager: EntityManager, userId: string, now: Date): Promise<number> {
  const [, count]: [unknown, number] = await manager.query(
    `UPDATE notifications SET read_at = $2 WHERE user_id = $1 AND in_app AND read_at IS NULL`,
    [userId, now],
  );
  return count;
}

export async function deleteNotification(
  manager: EntityManager,
  userId: string,
  id: string,
): Promise<boolean> {
  const [, count]: [unknown, number] = await manager.query(
    `DELETE FROM notifications WHERE user_id = $1 AND id = $2`,
    [userId, id],
  );
  return count > 0;
}

/**
 * Retention: read in-app notifications read before `cutoff`, and notifications that were never
 * in-app (kept only for their delivery log) created before it whose deliveries are all finished.
 * Their e-mails cascade; webhook deliveries keep their own log. How many went.
 */
export async function pruneNotifications(manager: EntityManager, cutoff: Date): Promise<number> {
  const [, read]: [unknown, number] = await manager.query(
    `DELETE FROM notifications WHERE read_at IS NOT NULL AND read_at < $1`,
    [cutoff],
  );
  const [, logOnly]: [unknown, number] = await manager.query(
    `DELETE FROM notifications n WHERE NOT n.in_app AND n.created_at < $1
       AND NOT EXISTS (SELECT 1 FROM email_outbox e WHERE e.notification_id = n.id AND e.status = 'pending')`,
    [cutoff],
  );
  return read + logOnly;
}
