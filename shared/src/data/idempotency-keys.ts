import type { EntityManager, MigrationInterface, QueryRunner } from 'typeorm';
import { changedRows } from './sql';

/** How long the answer to a request with an Idempotency-Key is replayed; older keys are forgotten. */
export const IDEMPOTENCY_KEY_TTL_HOURS = 24;

/**
 * The stored answers of requests that carried an `Idempotency-Key` (see `runIdempotently` in
 * http/idempotency.ts). `scope` names the operation (`POST /transactions`), so the same key sent
 * to two operations is two requests; keys are per user. `response_status` stays NULL while the
 * claiming DB transaction has not committed: a row is only ever visible with its answer.
 */
export class CreateIdempotencyKeys1796112700100 implements MigrationInterface {
  name = 'CreateIdempotencyKeys1796112700100';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE IF NOT EXISTS idempotency_keys (
        scope text NOT NULL,
        user_id uuid NOT NULL,
        key text NOT NULL,
        request_hash text NOT NULL,
        response_status int,
        response_body jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (scope, user_id, key)
      )`);
    await queryRunner.query(
      `CREATE INDEX IF NOT EXISTS idempotency_keys_created ON idempotency_keys (created_at)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE IF EXISTS idempotency_keys`);
  }
}

/** Spread into the migrations of a service that honours Idempotency-Key. */
export const idempotencyMigrations = [CreateIdempotencyKeys1796112700100];

/** One key: the operation it was sent to, whose it is, and the key itself. */
export interface IdempotencyKeyRef {
  scope: string;
  userId: string;
  key: string;
}

export interface StoredIdempotentAnswer {
  requestHash: string;
  /** null only inside the claiming transaction (never seen committed). */
  status: number | null;
  body: unknown;
}

const LIVE = `created_at > now() - make_interval(hours => ${IDEMPOTENCY_KEY_TTL_HOURS})`;

/** The answer stored for a key still inside its replay window, if any. */
export async function storedIdempotentAnswer(
  manager: EntityManager,
  ref: IdempotencyKeyRef,
): Promise<StoredIdempotentAnswer | undefined> {
  const rows: Array<{ request_hash: string; response_status: number | null; response_body: unknown }> =
    await manager.query(
      `SELECT request_hash, response_status, response_body FROM idempotency_keys
        WHERE scope = $1 AND user_id = $2 AND key = $3 AND ${LIVE}`,
      [ref.scope, ref.userId, ref.key],
    );
  const [row] = rows;
  return row && { requestHash: row.request_hash, status: row.response_status, body: row.response_body };
}

/**
 * Claims a key inside the DB transaction doing the work. The primary key makes a concurrent
 * request with the same key wait for ours to commit (or roll back) and then find the key taken:
 * false. An expired row of the same key is dropped first, so the key can be used afresh.
 */
export async function claimIdempotencyKey(
  manager: EntityManager,
  ref: IdempotencyKeyRef,
  requestHash: string,
): Promise<boolean> {
  await manager.query(
    `DELETE FROM idempotency_keys WHERE scope = $1 AND user_id = $2 AND key = $3 AND NOT (${LIVE})`,
    [ref.scope, ref.userId, ref.key],
  );
  const rows: unknown[] = await manager.query(
    `INSERT INTO idempotency_keys (scope, user_id, key, request_hash, created_at) VALUES ($1, $2, $3, $4, now())
     ON CONFLICT (scope, user_id, key) DO NOTHING RETURNING key`,
    [ref.scope, ref.userId, ref.key, requestHash],
  );
  return rows.length === 1;
}

/** Stores the answer on the claimed key, in the same DB transaction as the work. */
export async function recordIdempotentAnswer(
  manager: EntityManager,
  ref: IdempotencyKeyRef,
  status: number,
  body: unknown,
): Promise<void> {
  await manager.query(
    `UPDATE idempotency_keys SET response_status = $4, response_body = $5
      WHERE scope = $1 AND user_id = $2 AND key = $3`,
    [ref.scope, ref.userId, ref.key, status, JSON.stringify(body)],
  );
}

/** Drops keys older than the replay window (an hourly job); returns how many. */
export async function purgeExpiredIdempotencyKeys(manager: EntityManager): Promise<number> {
  const rows = await changedRows(manager, `DELETE FROM idempotency_keys WHERE NOT (${LIVE}) RETURNING 1`, []);
  return rows.length;
}

/** Forgets every key of a user (with the rest of their data, on `auth.user.deleted`). */
export async function forgetIdempotencyKeysOf(manager: EntityManager, userId: string): Promise<void> {
  await manager.query(`DELETE FROM idempotency_keys WHERE user_id = $1`, [userId]);
}
