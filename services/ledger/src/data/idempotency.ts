import type { EntityManager } from 'typeorm';
import { IDEMPOTENCY_KEY_TTL_HOURS } from '../domain/idempotency';
import { changedRows } from '@finance/shared';

export interface StoredAnswer {
  requestHash: string;
  status: number | null;
  body: unknown;
}

const LIVE = `created_at > now() - make_interval(hours => ${IDEMPOTENCY_KEY_TTL_HOURS})`;

export async function storedAnswer(
  manager: EntityManager,
  userId: string,
  key: string,
): Promise<StoredAnswer | undefined> {
  const rows: Array<{ request_hash: string; response_status: number | null; response_body: unknown }> =
    await manager.query(
      `SELECT request_hash, response_status, response_body FROM idempotency_keys WHERE user_id = $1 AND key = $2 AND ${LIVE}`,
      [userId, key],
    );
  return (
    rows[0] && {
      requestHash: rows[0].request_hash,
      status: rows[0].response_status,
      body: rows[0].response_body,
    }
  );
}

/**
 * Claims a key inside the creating DB transaction. The primary key makes a concurrent request
 * with the same key wait for ours to commit and then find the key taken (returns false).
 */
export async function claimKey(
  manager: EntityManager,
  userId: string,
  key: string,
  requestHash: string,
): Promise<boolean> {
  await manager.query(`DELETE FROM idempotency_keys WHERE user_id = $1 AND key = $2 AND NOT (${LIVE})`, [
    userId,
    key,
  ]);
  const rows: unknown[] = await manager.query(
    `INSERT INTO idempotency_keys (user_id, key, request_hash, created_at) VALUES ($1, $2, $3, now())
     ON CONFLICT (user_id, key) DO NOTHING RETURNING key`,
    [userId, key, requestHash],
  );
  return rows.length === 1;
}

export async function recordAnswer(
  manager: EntityManager,
  userId: string,
  key: string,
  status: number,
  body: unknown,
): Promise<void> {
  await manager.query(
    `UPDATE idempotency_keys SET response_status = $3, response_body = $4 WHERE user_id = $1 AND key = $2`,
    [userId, key, status, JSON.stringify(body)],
  );
}

/** Drops keys older than the replay window; returns how many. */
export async function purgeExpiredKeys(manager: EntityManager): Promise<number> {
  const rows = await changedRows(manager, `DELETE FROM idempotency_keys WHERE NOT (${LIVE}) RETURNING 1`, []);
  return rows.length;
}
