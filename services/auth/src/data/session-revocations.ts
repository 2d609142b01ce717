import type { DataSource, EntityManager } from 'typeorm';

/**
 * Writers of the feed take turns (a transaction-level advisory lock held until commit), so rows
 * become visible in seq order: a reader that sees seq n has already seen every row below n, and
 * a poller that goes on from the last seq it saw never skips a row that commits late. Bumps are
 * rare (password changes, logout-all, admin actions), so the queue costs nothing.
 */
const FEED_WRITER_LOCK = 0x7365_7373; // "sess"

/** Written in the bump's own transaction: the row exists if and only if the bump committed. */
export async function recordRevocation(
  manager: EntityManager,
  userId: string,
  sessionVersion: number,
  at: Date,
): Promise<void> {
  await manager.query(`SELECT pg_advisory_xact_lock($1)`, [FEED_WRITER_LOCK]);
  await manager.query(`INSERT INTO session_revocations (user_id, session_version, at) VALUES ($1, $2, $3)`, [
    userId,
    sessionVersion,
    at,
  ]);
}

export interface RevocationRow {
  seq: number;
  user_id: string;
  session_version: number;
  at: string;
}

export interface RevocationPage {
  revocations: RevocationRow[];
  last_seq: number;
  retention_seconds: number;
}

/** The highest seq handed out, even if its row was pruned (0 before the first). */
async function currentSeq(manager: EntityManager): Promise<number> {
  const [row]: Array<{ last_value: string; is_called: boolean }> = await manager.query(
    `SELECT last_value, is_called FROM session_revocations_seq_seq`,
  );
  return row.is_called ? Number(row.last_value) : 0;
}

/** The most rows one call answers; the caller pages on with `after=last_seq`. */
export const REVOCATION_PAGE_SIZE = 1000;

/**
 * The session-revocation feed the gateway (which has no database) polls. Rows are kept for
 * `retentionSeconds` = access-token lifetime + 60 s: an older row cannot stop any token that is
 * still valid, since every token it revoked has expired.
 */
export class SessionRevocationFeed {
  constructor(
    private readonly dataSource: DataSource,
    readonly retentionSeconds: number,
    private readonly clock: () => Date,
  ) {}

  async page(after: number | undefined): Promise<RevocationPage> {
    return this.dataSource.transaction(async (manager) => {
      // Without `after` an empty answer reports the current seq as seen: read it under the
      // writers' lock (shared), so no seq whose transaction is still open can be reported.
      if (after === undefined)
        await manager.query(`SELECT pg_advisory_xact_lock_shared($1)`, [FEED_WRITER_LOCK]);
      const rows: Array<{ seq: string; user_id: string; session_version: number; at: Date }> =
        await manager.query(
          `SELECT seq, user_id, session_version, at FROM session_revocations
            WHERE seq > $1 ORDER BY seq LIMIT $2`,
          [after ?? 0, REVOCATION_PAGE_SIZE],
        );
      const revocations = rows.map((row) => ({
        seq: Number(row.seq),
        user_id: row.user_id,
        session_version: row.session_version,
        at: new Date(row.at).toISOString(),
      }));
      const lastSeq = revocations.length
        ? revocations[revocations.length - 1].seq
        : (after ?? (await currentSeq(manager)));
      return { revocations, last_seq: lastSeq, retention_seconds: this.retentionSeconds };
    });
  }

  /** Housekeeping: rows past the retention can no longer stop a valid token. */
  async prune(): Promise<number> {
    const result = await this.dataSource.query(`DELETE FROM session_revocations WHERE at < $1`, [
      new Date(this.clock().getTime() - this.retentionSeconds * 1000),
    ]);
    return Array.isArray(result) && typeof result[1] === 'number' ? result[1] : 0;
  }
}
