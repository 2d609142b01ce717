import type { DataSource } from 'typeorm';
import { scheduleJob, type Logger, type ScheduledJob } from '@finance/shared';
import type { AuditLog } from '../data/audit-log';
import type { LoginThrottle } from '../data/login-throttle';
import type { RefreshTokenStore } from '../data/refresh-token-store';
import type { SessionRevocationFeed } from '../data/session-revocations';

/** Revocation rows live ACCESS_TOKEN_TTL + 60 s; pruning them every few minutes keeps the feed short. */
const HOUSEKEEPING_SCHEDULE = '*/5 * * * *';
/** Once a day, at a quiet hour. */
const AUDIT_RETENTION_SCHEDULE = '40 3 * * *';

export interface Housekeeping {
  /** One round now (tests; the schedule runs the same). */
  runOnce(): Promise<void>;
  stop(): Promise<void>;
}

interface JobContext {
  dataSource: DataSource;
  logger: Logger;
  clock: () => Date;
}

function asHousekeeping(job: ScheduledJob): Housekeeping {
  return {
    runOnce: async () => {
      await job.runNow();
    },
    stop: () => job.close(),
  };
}

/**
 * Every 5 minutes: forget refresh-token families that can no longer be used, sealed pairs past
 * their grace window, throttle buckets and known addresses that ran out, and revocation rows past
 * their retention. A shared `scheduleJob`: one replica at a time (an advisory lock), what is old
 * enough to go decided on the service's clock (the stores read it).
 */
export function scheduleHousekeeping(
  context: JobContext,
  deps: {
    refreshTokens: RefreshTokenStore;
    loginThrottle: LoginThrottle;
    revocations: SessionRevocationFeed;
  },
): Housekeeping {
  return asHousekeeping(
    scheduleJob(context, {
      name: 'auth-housekeeping',
      schedule: HOUSEKEEPING_SCHEDULE,
      run: async () => {
        const families = await deps.refreshTokens.pruneExpired();
        await deps.refreshTokens.forgetSealedPairs();
        await deps.loginThrottle.prune();
        const revocations = await deps.revocations.prune();
        return { families, revocations };
      },
    }),
  );
}

/** Once a day: audit events older than AUDIT_RETENTION_DAYS go (the only DELETE the audit table allows). */
export function scheduleAuditRetention(context: JobContext, audit: AuditLog): Housekeeping {
  return asHousekeeping(
    scheduleJob(context, {
      name: 'auth-audit-retention',
      schedule: AUDIT_RETENTION_SCHEDULE,
      run: async (now) => ({ forgotten: await audit.prune(now) }),
    }),
  );
}
