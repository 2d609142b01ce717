import type { Logger } from '@finance/shared';
import type { LoginThrottle } from '../data/login-throttle';
import type { RefreshTokenStore } from '../data/refresh-token-store';
import type { SessionRevocationFeed } from '../data/session-revocations';

/** Revocation rows live ACCESS_TOKEN_TTL + 60 s; pruning them every few minutes keeps the feed short. */
const DEFAULT_INTERVAL_MS = 5 * 60 * 1000;

export interface Housekeeping {
  /** One round now (tests; the timer runs the same). */
  runOnce(): Promise<void>;
  stop(): void;
}

/**
 * Every few minutes: forget refresh-token families that can no longer be used, sealed pairs past
 * their grace window, throttle buckets and known addresses that ran out, and revocation rows past
 * their retention. Plain idempotent statements, so every replica may run it without a lock, and
 * the exact minute does not matter — hence a timer rather than a cron schedule (auth's
 * package.json does not declare node-cron). What is old enough to go is decided on the service's
 * clock (the stores read it); the timer itself runs on real time.
 */
export function scheduleHousekeeping(deps: {
  refreshTokens: RefreshTokenStore;
  loginThrottle: LoginThrottle;
  revocations: SessionRevocationFeed;
  logger: Logger;
  intervalMs?: number;
}): Housekeeping {
  const run = async () => {
    try {
      const families = await deps.refreshTokens.pruneExpired();
      await deps.refreshTokens.forgetSealedPairs();
      await deps.loginThrottle.prune();
      const revocations = await deps.revocations.prune();
      deps.logger.info({ families, revocations }, 'housekeeping done');
    } catch (error) {
      deps.logger.warn({ err: error }, 'housekeeping failed; will retry next round');
    }
  };
  const timer = setInterval(() => void run(), deps.intervalMs ?? DEFAULT_INTERVAL_MS);
  timer.unref();
  return { stop: () => clearInterval(timer), runOnce: run };
}
