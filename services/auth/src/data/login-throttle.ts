import { createHash } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { Logger } from '@finance/shared';
import { recordAudit } from './audit-log';
import {
  bucketsFor,
  decideAttempt,
  type Bucket,
  type BucketKind,
  type BucketPolicy,
  type BucketState,
  type ThrottleDecision,
} from '../domain/login-throttle';

export interface LoginThrottlePolicy {
  buckets: Record<BucketKind, BucketPolicy>;
  /** How long an address a user logged in from stays known for that account. */
  knownAddressDays: number;
}

const DAY_MS = 86_400_000;

/** Whose password is being guessed, and from where. */
export interface LoginAttemptSubject {
  /** The account the identifier names, if any: its e-mail and username share one budget. */
  userId?: string;
  /** The identifier as typed (lower-cased), for identifiers that name no account. */
  identifier?: string;
  clientIp: string;
  /** For the audit row of a lock-out. */
  userAgent?: string;
}

export type AdmittedAttempt = { allowed: true; buckets: Bucket[]; userId?: string; clientIp: string };
export type LoginAttempt = AdmittedAttempt | Extract<ThrottleDecision, { allowed: false }>;

/**
 * The budget key of an account: its id when the identifier names one, so its e-mail and its
 * username (in any letter case, JSON or OAuth2 form) draw on one budget; otherwise the hashed
 * identifier (a mistyped password in the username field should not sit in a table), so unknown
 * identifiers are throttled exactly like real ones and the limiter reveals no account.
 */
export function accountKeyOf(subject: Pick<LoginAttemptSubject, 'userId' | 'identifier'>): string {
  if (subject.userId) return `user:${subject.userId}`;
  return `login:${createHash('sha256')
    .update(subject.identifier ?? '', 'utf8')
    .digest('hex')}`;
}

interface BucketRow {
  kind: BucketKind;
  account_key: string;
  client_ip: string;
  attempts: number;
  locked_until: Date | null;
  last_attempt_at: Date | null;
}

const sameBucket = (a: Bucket, row: BucketRow) =>
  a.kind === row.kind && a.accountKey === row.account_key && a.clientIp === row.client_ip;

/**
 * The login throttle in PostgreSQL (it holds across replicas and restarts). `admit` counts the
 * attempt in all its buckets before any password is checked, under row locks taken in one
 * order, so N parallel guesses count N; `succeeded` gives a correct password's attempt back and
 * remembers the address. Lock-outs are logged as structured lines (`event: "login.lockout"`) and
 * recorded in the audit log.
 */
export class LoginThrottle {
  constructor(
    private readonly dataSource: DataSource,
    private readonly policy: LoginThrottlePolicy,
    private readonly options: {
      /** "Now": windows, locks and known addresses are measured with it. */
      clock: () => Date;
      logger?: Logger;
    },
  ) {}

  private knownSince(): Date {
    return new Date(this.options.clock().getTime() - this.policy.knownAddressDays * DAY_MS);
  }

  async admit(subject: LoginAttemptSubject): Promise<LoginAttempt> {
    const accountKey = accountKeyOf(subject);
    const { decision, buckets } = await this.dataSource.transaction(async (manager) => {
      // Asked for unknown identifiers too (with no id), so both paths cost the same queries.
      const [{ known }]: Array<{ known: boolean }> = await manager.query(
        `SELECT EXISTS (
           SELECT 1 FROM login_known_addresses
            WHERE user_id = $1::uuid AND client_ip = $2 AND last_login_at > $3
         ) AS known`,
        [subject.userId ?? null, subject.clientIp, this.knownSince()],
      );
      const wanted = bucketsFor(accountKey, subject.clientIp, known);
      // One statement creates missing buckets, locks all of them (in the sorted order) and reads them.
      const params = wanted.flatMap((b) => [b.kind, b.accountKey, b.clientIp]);
      const values = wanted.map((_, i) => `($${i * 3 + 1}, $${i * 3 + 2}, $${i * 3 + 3})`).join(', ');
      const rows: BucketRow[] = await manager.query(
        `INSERT INTO login_throttle (kind, account_key, client_ip) VALUES ${values}
         ON CONFLICT (kind, account_key, client_ip) DO UPDATE SET kind = EXCLUDED.kind
         RETURNING kind, account_key, client_ip, attempts, locked_until, last_attempt_at`,
        params,
      );
      // Read once every lock is held, not when this transaction began to wait for them.
      const now = this.options.clock();
      const states = wanted.map((bucket) => {
        const row = rows.find((r) => sameBucket(bucket, r));
        const state: BucketState = {
          attempts: row?.attempts ?? 0,
          lockedUntil: row?.locked_until ? new Date(row.locked_until) : null,
          lastAttemptAt: row?.last_attempt_at ? new Date(row.last_attempt_at) : null,
        };
        return { bucket, state };
      });
      const outcome = decideAttempt(states, (kind) => this.policy.buckets[kind], now);
      if (outcome.next.length > 0) await this.save(manager, outcome.next);
      // A lock-out is audited with the attempt that caused it, in the same transaction.
      if (outcome.decision.allowed)
        for (const lock of outcome.decision.lockedNow)
          await recordAudit(
            manager,
            {
              action: 'login.locked-out',
              // The address bucket is about no one account.
              subjectId: lock.bucket.kind === 'address' ? null : (subject.userId ?? null),
              actorId: null,
              origin: { clientIp: subject.clientIp, userAgent: subject.userAgent },
              details: {
                scope: lock.bucket.kind,
                attempts: lock.attempts,
                locked_for_seconds: Math.ceil(lock.lockedForMs / 1000),
              },
            },
            now,
          );
      return { decision: outcome.decision, buckets: wanted };
    });

    const where = { userId: subject.userId, clientIp: subject.clientIp };
    if (!decision.allowed) {
      this.options.logger?.info(
        {
          event: 'login.throttled',
          ...where,
          refusedBy: decision.refusedBy,
          retryAfterSeconds: decision.retryAfterSeconds,
        },
        'login attempt refused by the throttle',
      );
      return decision;
    }
    for (const lock of decision.lockedNow)
      this.options.logger?.warn(
        {
          event: 'login.lockout',
          scope: lock.bucket.kind,
          ...where,
          attempts: lock.attempts,
          lockedForSeconds: Math.ceil(lock.lockedForMs / 1000),
        },
        'login locked out',
      );
    return { allowed: true, buckets, userId: subject.userId, clientIp: subject.clientIp };
  }

  private async save(
    manager: { query(sql: string, params: unknown[]): Promise<unknown> },
    next: Array<{ bucket: Bucket; state: BucketState }>,
  ): Promise<void> {
    await manager.query(
      `UPDATE login_throttle AS t
          SET attempts = v.attempts, locked_until = v.locked_until, last_attempt_at = v.last_attempt_at
         FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::timestamptz[], $6::timestamptz[])
           AS v(kind, account_key, client_ip, attempts, locked_until, last_attempt_at)
        WHERE t.kind = v.kind AND t.account_key = v.account_key AND t.client_ip = v.client_ip`,
      [
        next.map((n) => n.bucket.kind),
        next.map((n) => n.bucket.accountKey),
        next.map((n) => n.bucket.clientIp),
        next.map((n) => n.state.attempts),
        next.map((n) => n.state.lockedUntil),
        next.map((n) => n.state.lastAttemptAt),
      ],
    );
  }

  /**
   * The password was right: the attempt is given back in each of its buckets (never more: the
   * other attempts of a burst stay counted), and the address becomes known for the account.
   */
  async succeeded(attempt: AdmittedAttempt): Promise<void> {
    // One atomic decrement per bucket, each its own statement: no read (so no parallel attempt's
    // count is lost) and never more than one row lock held (so no lock cycle with `admit`).
    for (const bucket of attempt.buckets)
      await this.dataSource.query(
        `UPDATE login_throttle SET attempts = greatest(attempts - 1, 0)
          WHERE kind = $1 AND account_key = $2 AND client_ip = $3`,
        [bucket.kind, bucket.accountKey, bucket.clientIp],
      );
    if (attempt.userId)
      await this.dataSource.query(
        `INSERT INTO login_known_addresses (user_id, client_ip, last_login_at) VALUES ($1, $2, $3)
         ON CONFLICT (user_id, client_ip) DO UPDATE SET last_login_at = EXCLUDED.last_login_at`,
        [attempt.userId, attempt.clientIp, this.options.clock()],
      );
  }

  /** Housekeeping: buckets quiet for a whole window after their lock, and addresses not seen for long. */
  async prune(): Promise<void> {
    const windowMs = Math.max(...Object.values(this.policy.buckets).map((p) => p.windowMs));
    // SKIP LOCKED: a bucket an attempt holds right now is left for the next round, and the
    // delete never waits on an attempt (so it cannot close a lock cycle with one).
    await this.dataSource.query(
      `DELETE FROM login_throttle
        WHERE (kind, account_key, client_ip) IN (
          SELECT kind, account_key, client_ip FROM login_throttle
           WHERE greatest(last_attempt_at, locked_until) IS NULL
              OR greatest(last_attempt_at, locked_until) < $1
             FOR UPDATE SKIP LOCKED)`,
      [new Date(this.options.clock().getTime() - windowMs)],
    );
    await this.dataSource.query(`DELETE FROM login_known_addresses WHERE last_login_at < $1`, [
      this.knownSince(),
    ]);
  }
}
