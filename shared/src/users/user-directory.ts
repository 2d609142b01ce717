import type { DataSource, EntityManager, MigrationInterface, QueryRunner } from 'typeorm';
import { acceptAggregateVersion } from '../events/inbox';
import type { EventConsumer, EventHandler } from '../events/consumer';
import type { FinanceEvent } from '../events/contracts';
import { forgetIdempotencyKeysOf } from '../data/idempotency-keys';
import { eraseSentPayloadsOf } from '../events/outbox';
import { HttpProblem } from '../http/problem';

/**
 * The user directory: every service's copy of what auth tells about each user, from
 * `auth.user.registered/updated/deleted`. It is the one read model of users in the system (one
 * migration, one set of handlers, one lookup, one fallback), and it carries what token revocation
 * and tombstones need:
 * - base currency and time zone ("today", "this month") for every service;
 * - e-mail and username only where a service asks for contacts (the notifier);
 * - the session version and active flag, so a service refuses tokens auth has revoked;
 * - a tombstone when the user is deleted: the row stays (without anything personal) with
 *   `deleted_at` and the version of the deletion, so a late `auth.user.updated` cannot bring the
 *   user back, and `deleted_users` (next to the inbox) makes every consumer skip later events of
 *   that user (see `recordInInbox`).
 */
export class CreateUserDirectory1700000000300 implements MigrationInterface {
  name = 'CreateUserDirectory1700000000300';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE IF NOT EXISTS user_directory (
        user_id uuid PRIMARY KEY,
        base_currency text,
        timezone text,
        email text,
        username text,
        role text,
        session_version integer NOT NULL DEFAULT 0,
        is_active boolean NOT NULL DEFAULT true,
        deleted_at timestamptz,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE IF EXISTS user_directory`);
  }
}

/** Spread into a service's migrations (after the inbox's). */
export const userDirectoryMigrations = [CreateUserDirectory1700000000300];

/** A user's settings as a service uses them. */
export interface UserSettings {
  baseCurrency: string;
  timezone: string;
}

/**
 * What a service assumes for a user auth has not told it about (yet): the registration event is
 * normally there before the user's first request reaches a service (see `ReadYourWrites`); this is
 * for the rest (a service deployed after users registered). The same everywhere.
 */
export const DEFAULT_USER_SETTINGS: Readonly<UserSettings> = Object.freeze({
  baseCurrency: 'USD',
  timezone: 'UTC',
});

export interface DirectoryEntry extends UserSettings {
  userId: string;
  email: string | null;
  username: string | null;
  role: string | null;
  sessionVersion: number;
  isActive: boolean;
  deleted: boolean;
  /** False when auth's registration has not arrived (the settings are the defaults). */
  known: boolean;
}

interface DirectoryRow {
  user_id: string;
  base_currency: string | null;
  timezone: string | null;
  email: string | null;
  username: string | null;
  role: string | null;
  session_version: number;
  is_active: boolean;
  deleted_at: Date | null;
}

function entryOf(row: DirectoryRow): DirectoryEntry {
  return {
    userId: row.user_id,
    baseCurrency: row.base_currency ?? DEFAULT_USER_SETTINGS.baseCurrency,
    timezone: row.timezone ?? DEFAULT_USER_SETTINGS.timezone,
    email: row.email,
    username: row.username,
    role: row.role,
    sessionVersion: row.session_version,
    isActive: row.is_active,
    deleted: row.deleted_at !== null,
    known: row.base_currency !== null,
  };
}

const COLUMNS = `user_id, base_currency, timezone, email, username, role, session_version, is_active, deleted_at`;

/** The directory entry of a user, or undefined when auth has told this service nothing of them. */
export async function findUser(
  db: DataSource | EntityManager,
  userId: string,
): Promise<DirectoryEntry | undefined> {
  const rows: DirectoryRow[] = await db.query(`SELECT ${COLUMNS} FROM user_directory WHERE user_id = $1`, [
    userId,
  ]);
  return rows[0] ? entryOf(rows[0]) : undefined;
}

/** A user's base currency and time zone, or {@link DEFAULT_USER_SETTINGS} when unknown. */
export async function userSettingsOf(db: DataSource | EntityManager, userId: string): Promise<UserSettings> {
  const entry = await findUser(db, userId);
  return entry && entry.known
    ? { baseCurrency: entry.baseCurrency, timezone: entry.timezone }
    : { ...DEFAULT_USER_SETTINGS };
}

/**
 * Waits (bounded, and only for a user who registered a moment ago: see `ReadYourWrites`) until
 * auth's registration of the user has reached this service, so a write made right after
 * registering uses the user's own base currency and time zone, not the defaults.
 */
export async function awaitUserKnown(
  readYourWrites: { find<T>(id: string, lookup: () => Promise<T | undefined>): Promise<T | undefined> },
  db: DataSource | EntityManager,
  userId: string,
): Promise<void> {
  // A deleted user counts as arrived: their request is refused at once, not after the wait.
  await readYourWrites.find(userId, async () => {
    const entry = await findUser(db, userId);
    return entry && (entry.known || entry.deleted) ? true : undefined;
  });
}

/** The 401 for a request of a user who was deleted or deactivated while their token was still valid. */
export function userGoneProblem(): HttpProblem {
  return new HttpProblem(401, 'The access token is no longer valid', {
    headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' },
  });
}

/**
 * For a write: locks the user's directory row (FOR SHARE, so writes run side by side) and returns
 * their settings, or answers 401 for a deleted or deactivated user. The deletion handler takes the
 * row exclusively, so a write racing a deletion either commits before it (and is purged by it) or
 * starts after it (and is refused here): no row of a deleted user survives.
 */
export async function lockUserForWrite(manager: EntityManager, userId: string): Promise<DirectoryEntry> {
  let rows: DirectoryRow[] = await manager.query(
    `SELECT ${COLUMNS} FROM user_directory WHERE user_id = $1 FOR SHARE`,
    [userId],
  );
  if (rows.length === 0) {
    // Auth's registration has not arrived: an empty row to lock, filled in when it comes.
    await manager.query(`INSERT INTO user_directory (user_id) VALUES ($1) ON CONFLICT DO NOTHING`, [userId]);
    rows = await manager.query(`SELECT ${COLUMNS} FROM user_directory WHERE user_id = $1 FOR SHARE`, [
      userId,
    ]);
  }
  const entry = entryOf(rows[0]);
  if (entry.deleted || !entry.isActive) throw userGoneProblem();
  return entry;
}

type UserEvent<T extends 'auth.user.registered' | 'auth.user.updated' | 'auth.user.deleted'> =
  FinanceEvent<T>;

/** What a service adds to the shared handling of user events. */
export interface UserEventHooks {
  /** Keep e-mail and username (the notifier does; others have no use for them). */
  keepContacts?: boolean;
  /** After the directory applied a registration (a newer update may have overtaken it: `applied` false). */
  onRegistered?: (
    event: UserEvent<'auth.user.registered'>,
    manager: EntityManager,
    applied: boolean,
  ) => Promise<void>;
  /** After the directory applied an update. */
  onUpdated?: (event: UserEvent<'auth.user.updated'>, manager: EntityManager) => Promise<void>;
  /** Purge everything the service holds of the user, in the same transaction as the tombstone. */
  onDeleted?: (event: UserEvent<'auth.user.deleted'>, manager: EntityManager) => Promise<void>;
}

async function applyProfile(
  event: UserEvent<'auth.user.registered' | 'auth.user.updated'>,
  manager: EntityManager,
  keepContacts: boolean,
): Promise<boolean> {
  if (!(await acceptAggregateVersion(manager, event))) return false;
  const p = event.payload;
  await manager.query(
    `INSERT INTO user_directory (user_id, base_currency, timezone, email, username, role, session_version, is_active, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now())
     ON CONFLICT (user_id) DO UPDATE SET
       base_currency = EXCLUDED.base_currency, timezone = EXCLUDED.timezone, email = EXCLUDED.email,
       username = EXCLUDED.username, role = EXCLUDED.role, session_version = EXCLUDED.session_version,
       is_active = EXCLUDED.is_active, updated_at = now()
     WHERE user_directory.deleted_at IS NULL`,
    [
      event.userId,
      p.baseCurrency,
      p.timezone,
      keepContacts ? p.email : null,
      keepContacts ? p.username : null,
      p.role,
      p.sessionVersion,
      p.isActive,
    ],
  );
  return true;
}

/**
 * Registers the handlers of `auth.user.*` on a consumer: the directory is kept, and the service's
 * hooks run in the same transaction. Every service that consumes events uses this (and registers no
 * `auth.user.*` handler of its own).
 */
export function handleUserEvents(consumer: EventConsumer, hooks: UserEventHooks = {}): EventConsumer {
  const keepContacts = hooks.keepContacts ?? false;
  const registered: EventHandler<'auth.user.registered'> = async (event, manager) => {
    const applied = await applyProfile(event, manager, keepContacts);
    await hooks.onRegistered?.(event, manager, applied);
  };
  const updated: EventHandler<'auth.user.updated'> = async (event, manager) => {
    if (await applyProfile(event, manager, keepContacts)) await hooks.onUpdated?.(event, manager);
  };
  const deleted: EventHandler<'auth.user.deleted'> = async (event, manager) => {
    await acceptAggregateVersion(manager, event);
    // The tombstone first: its exclusive row lock waits for writes holding the row FOR SHARE.
    await manager.query(
      `INSERT INTO user_directory (user_id, deleted_at, is_active, updated_at) VALUES ($1, now(), false, now())
       ON CONFLICT (user_id) DO UPDATE SET deleted_at = COALESCE(user_directory.deleted_at, now()), is_active = false,
         base_currency = NULL, timezone = NULL, email = NULL, username = NULL, role = NULL, updated_at = now()`,
      [event.userId],
    );
    await manager.query(`INSERT INTO deleted_users (user_id) VALUES ($1) ON CONFLICT DO NOTHING`, [
      event.userId,
    ]);
    await hooks.onDeleted?.(event, manager);
    // What every service keeps of a user whatever it owns: stored Idempotency-Key answers, sent event payloads.
    await forgetIdempotencyKeysOf(manager, event.userId);
    await eraseSentPayloadsOf(manager, event.userId);
  };
  return consumer
    .on('auth.user.registered', registered)
    .on('auth.user.updated', updated)
    .on('auth.user.deleted', deleted);
}
