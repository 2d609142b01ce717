/**
 * The login throttle's rules. Password guesses are counted in buckets; an attempt is counted in
 * every bucket it belongs to BEFORE its password is checked, so N parallel guesses count N.
 *
 * - `pair`: one account from one client address. The budget an attacker at one address burns
 *   is their own: the owner at another address is not affected.
 * - `account`: one account from every address that has never logged into it. Its limit is far
 *   above the pair's, so only a spread-out attack reaches it, and even then an address the owner
 *   logged in from before (a "known" address) is not counted here and keeps its own budget.
 * - `address`: one client address over all accounts (credential stuffing from one host).
 *
 * Each bucket admits `limit` attempts; the attempt that reaches the limit locks the bucket for
 * `backoffBaseMs`, and every further attempt (one is admitted each time the lock ends) doubles
 * the lock, up to `backoffMaxMs`. A bucket is forgotten once `windowMs` passed without an attempt
 * after its lock ended. A correct password gives its own attempt back (one atomic decrement, in
 * LoginThrottle.succeeded) and nothing more: the other attempts of a burst stay counted and a
 * running lock runs out, so a burst of wrong guesses racing one right one stays on record.
 */

export const bucketKinds = ['pair', 'account', 'address'] as const;
export type BucketKind = (typeof bucketKinds)[number];

export interface BucketPolicy {
  /** Attempts admitted before the bucket locks. */
  limit: number;
  /** A bucket untouched for this long (and not locked) is forgotten. */
  windowMs: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
}

export interface BucketState {
  /** Attempts counted in the current streak, minus the successes that gave theirs back. */
  attempts: number;
  lockedUntil: Date | null;
  lastAttemptAt: Date | null;
}

export const EMPTY_BUCKET: BucketState = { attempts: 0, lockedUntil: null, lastAttemptAt: null };

export type BucketDecision =
  | { admitted: true; next: BucketState; /** this attempt started a lock */ locked: boolean }
  | { admitted: false; retryAfterMs: number };

/** How long a bucket locks once it holds `attempts` (≥ limit) attempts: base · 2^(attempts − limit), capped. */
export function lockDurationMs(attempts: number, policy: BucketPolicy): number {
  const doublings = Math.min(attempts - policy.limit, 40); // 2^40 · base is far beyond any cap
  return Math.min(policy.backoffBaseMs * 2 ** Math.max(0, doublings), policy.backoffMaxMs);
}

/** Forgotten once `windowMs` passed since its last attempt and since its lock ended (so back-off does not reset itself). */
function isStale(state: BucketState, policy: BucketPolicy, now: Date): boolean {
  const quietSince = Math.max(state.lastAttemptAt?.getTime() ?? 0, state.lockedUntil?.getTime() ?? 0);
  return now.getTime() - quietSince > policy.windowMs;
}

/** Whether one more attempt may run now, and the bucket's state once it is counted. */
export function admitAttempt(state: BucketState, policy: BucketPolicy, now: Date): BucketDecision {
  const current = isStale(state, policy, now) ? EMPTY_BUCKET : state;
  if (current.lockedUntil && current.lockedUntil.getTime() > now.getTime())
    return { admitted: false, retryAfterMs: current.lockedUntil.getTime() - now.getTime() };
  const attempts = current.attempts + 1;
  const locked = attempts >= policy.limit;
  return {
    admitted: true,
    locked,
    next: {
      attempts,
      lockedUntil: locked ? new Date(now.getTime() + lockDurationMs(attempts, policy)) : null,
      lastAttemptAt: now,
    },
  };
}

export interface Bucket {
  kind: BucketKind;
  /** `user:<id>` for an existing account, `login:<sha256>` for an identifier that names none; '' for `address`. */
  accountKey: string;
  /** '' for `account`. */
  clientIp: string;
}

/** The buckets one attempt is counted in; a known address is spared the account-wide bucket. */
export function bucketsFor(accountKey: string, clientIp: string, knownAddress: boolean): Bucket[] {
  const buckets: Bucket[] = [
    { kind: 'pair', accountKey, clientIp },
    { kind: 'address', accountKey: '', clientIp },
  ];
  if (!knownAddress) buckets.push({ kind: 'account', accountKey, clientIp: '' });
  // One order for every transaction, so two attempts never wait on each other's rows in a cycle.
  return buckets.sort((a, b) => compareBuckets(a, b));
}

export function compareBuckets(a: Bucket, b: Bucket): number {
  return (
    a.kind.localeCompare(b.kind, 'en') ||
    (a.accountKey < b.accountKey ? -1 : a.accountKey > b.accountKey ? 1 : 0) ||
    (a.clientIp < b.clientIp ? -1 : a.clientIp > b.clientIp ? 1 : 0)
  );
}

export type ThrottleDecision =
  | { allowed: true; lockedNow: Array<{ bucket: Bucket; attempts: number; lockedForMs: number }> }
  | { allowed: false; retryAfterSeconds: number; refusedBy: BucketKind[] };

/**
 * Decides an attempt over all its buckets at once: refused if any bucket is locked (then nothing
 * is counted: a refused attempt checks no password), otherwise counted in all of them.
 */
export function decideAttempt(
  buckets: Array<{ bucket: Bucket; state: BucketState }>,
  policyOf: (kind: BucketKind) => BucketPolicy,
  now: Date,
): { decision: ThrottleDecision; next: Array<{ bucket: Bucket; state: BucketState }> } {
  const decisions = buckets.map(({ bucket, state }) => ({
    bucket,
    decision: admitAttempt(state, policyOf(bucket.kind), now),
  }));
  const refused = decisions.flatMap(({ bucket, decision }) =>
    decision.admitted ? [] : [{ kind: bucket.kind, retryAfterMs: decision.retryAfterMs }],
  );
  if (refused.length > 0) {
    const waitMs = Math.max(...refused.map((r) => r.retryAfterMs));
    return {
      decision: {
        allowed: false,
        retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)),
        refusedBy: refused.map((r) => r.kind),
      },
      next: [],
    };
  }
  const next: Array<{ bucket: Bucket; state: BucketState }> = [];
  const lockedNow: Array<{ bucket: Bucket; attempts: number; lockedForMs: number }> = [];
  for (const { bucket, decision } of decisions) {
    if (!decision.admitted) continue;
    next.push({ bucket, state: decision.next });
    if (decision.locked && decision.next.lockedUntil)
      lockedNow.push({
        bucket,
        attempts: decision.next.attempts,
        lockedForMs: decision.next.lockedUntil.getTime() - now.getTime(),
      });
  }
  return { decision: { allowed: true, lockedNow }, next };
}
