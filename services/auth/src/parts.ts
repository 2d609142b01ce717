import type { Closer, ServiceContext } from '@finance/shared';
import type { AuthConfig } from './config';
import { ensureAdmin } from './data/admin-bootstrap';
import { AuditLog } from './data/audit-log';
import { KeyRing } from './data/key-ring';
import { LoginThrottle } from './data/login-throttle';
import { RefreshTokenStore } from './data/refresh-token-store';
import { SessionRevocationFeed } from './data/session-revocations';
import { UserStore } from './data/user-store';
import { PasswordHasher } from './domain/passwords';
import { scheduleAuditRetention, scheduleHousekeeping, type Housekeeping } from './jobs/housekeeping';

export type AuthContext = ServiceContext<AuthConfig>;

/**
 * What auth's routes, verifier and jobs share, one instance of each per running service: the
 * hasher that serves logins is the one warmed up, the key ring that verifies is the one that
 * signs, the throttle housekeeping prunes is the one that counts.
 */
export interface AuthParts {
  keys: KeyRing;
  users: UserStore;
  refreshTokens: RefreshTokenStore;
  loginThrottle: LoginThrottle;
  passwords: PasswordHasher;
  revocations: SessionRevocationFeed;
  audit: AuditLog;
  housekeeping: Housekeeping;
  auditRetention: Housekeeping;
}

type ConstructedParts = Omit<AuthParts, 'housekeeping' | 'auditRetention'>;

/** The parts, constructed (no I/O yet): one instance of each. */
function constructParts({ config, dataSource, logger, clock }: AuthContext): ConstructedParts {
  const bucket = (limit: number) => ({
    limit,
    windowMs: config.LOGIN_FAILURE_WINDOW_MINUTES * 60_000,
    backoffBaseMs: config.LOGIN_BACKOFF_BASE_SECONDS * 1000,
    backoffMaxMs: config.LOGIN_BACKOFF_MAX_SECONDS * 1000,
  });
  const audit = new AuditLog(dataSource, { clock, retentionDays: config.AUDIT_RETENTION_DAYS });
  return {
    audit,
    keys: new KeyRing(dataSource, {
      accessTokenTtlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
      privateKeyPem: config.JWT_PRIVATE_KEY,
      logger,
      clock,
    }),
    users: new UserStore(dataSource, clock),
    refreshTokens: new RefreshTokenStore(dataSource, {
      ttlDays: config.REFRESH_TOKEN_TTL_DAYS,
      reuseGraceMs: config.REFRESH_REUSE_GRACE_SECONDS * 1000,
      clock,
    }),
    loginThrottle: new LoginThrottle(
      dataSource,
      {
        buckets: {
          pair: bucket(config.LOGIN_MAX_FAILURES),
          account: bucket(config.LOGIN_MAX_FAILURES_PER_ACCOUNT),
          address: bucket(config.LOGIN_MAX_FAILURES_PER_IP),
        },
        knownAddressDays: config.LOGIN_KNOWN_ADDRESS_DAYS,
      },
      { clock, logger },
    ),
    passwords: new PasswordHasher(config.BCRYPT_ROUNDS),
    // Longer than any access token lives (plus clock skew): an older row can stop no valid token.
    revocations: new SessionRevocationFeed(dataSource, config.ACCESS_TOKEN_TTL_SECONDS + 60, clock),
  };
}

/**
 * The definition's `setup`, before HTTP serves: the signing key activated, the dummy hash
 * computed (so the first unknown-user login is not faster than the rest), the admin bootstrapped
 * when configured, housekeeping and the audit retention scheduled (stopped at shutdown).
 */
export async function setupAuth(context: AuthContext): Promise<AuthParts & { closers: Closer[] }> {
  const { config, logger } = context;
  const parts = constructParts(context);
  await parts.keys.activate();
  await parts.passwords.warmUp();
  if (config.ADMIN_EMAIL && config.ADMIN_USERNAME && config.ADMIN_PASSWORD) {
    const outcome = await ensureAdmin(
      { email: config.ADMIN_EMAIL, username: config.ADMIN_USERNAME, password: config.ADMIN_PASSWORD },
      { users: parts.users, passwords: parts.passwords, logger },
    );
    logger.info({ outcome }, 'admin bootstrap');
  }
  const housekeeping = scheduleHousekeeping(context, parts);
  const auditRetention = scheduleAuditRetention(context, parts.audit);
  return {
    ...parts,
    housekeeping,
    auditRetention,
    closers: [
      { name: 'housekeeping', close: () => housekeeping.stop() },
      { name: 'audit retention', close: () => auditRetention.stop() },
    ],
  };
}
