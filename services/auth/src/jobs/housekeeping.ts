import type { Logger } from '@finance/shared';
import type { LoginFailures } from '../data/login-failures';
import type { RefreshTokenStore } from '../data/refresh-token-store';

const HOUR_MS = 60 * 60 * 1000;

/**
 * Hourly: forget refresh-token families that can no longer be used and failed logins that fell
 * out of the throttle window. Plain idempotent DELETEs, so every replica may run it without a
 * lock, and the exact minute does not matter — hence a timer rather than a cron schedule
 * (auth's package.json does not declare node-cron).
 */
export function scheduleHousekeeping(deps: {
  refreshTokens: RefreshTokenStore;
  loginFailures: LoginFailures;
  logger: Logger;
  intervalMs?: number;
}): { stop(): void } {
  const run = async () => {
    try {
      const families = await deps.refreshTokens.pruneExpired();
      await deps.loginFailures.pruneOlderThanWindow();
      deps.logger.info({ families }, 'housekeeping done');
    } catch (error) {
      deps.logger.warn({ err: error }, 'housekeeping failed; will retry next round');
    }
  };
  const timer = setInterval(() => void run(), deps.intervalMs ?? HOUR_MS);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
