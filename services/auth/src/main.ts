import { runMain, startService, type RunningService } from '@finance/shared';
import { buildApp } from './app';
import { loadAuthConfig, type AuthConfig } from './config';
import { PasswordHasher } from './domain/passwords';
import { ensureAdmin } from './data/admin-bootstrap';
import { authDataSource } from './data/data-source';
import { KeyRing } from './data/key-ring';
import { LoginFailures } from './data/login-failures';
import { RefreshTokenStore } from './data/refresh-token-store';
import { UserStore } from './data/user-store';
import { scheduleHousekeeping } from './jobs/housekeeping';

/** Starts auth: database, signing keys, admin bootstrap, broker, outbox relay, HTTP, housekeeping. */
export function startAuth(config: AuthConfig): Promise<RunningService> {
  return startService({
    name: 'auth',
    config,
    createDataSource: (c) => authDataSource(c.DATABASE_URL, c.DB_POOL_SIZE),
    wire: async ({ dataSource, logger, readiness }) => {
      const keys = new KeyRing(dataSource, {
        accessTokenTtlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
        privateKeyPem: config.JWT_PRIVATE_KEY,
        logger,
      });
      await keys.activate();

      const passwords = new PasswordHasher(config.BCRYPT_ROUNDS);
      await passwords.warmUp();
      if (config.ADMIN_EMAIL && config.ADMIN_USERNAME && config.ADMIN_PASSWORD) {
        const outcome = await ensureAdmin(
          { email: config.ADMIN_EMAIL, username: config.ADMIN_USERNAME, password: config.ADMIN_PASSWORD },
          { users: new UserStore(dataSource), passwords, logger },
        );
        logger.info({ outcome }, 'admin bootstrap');
      }

      const housekeeping = scheduleHousekeeping({
        refreshTokens: new RefreshTokenStore(dataSource, config.REFRESH_TOKEN_TTL_DAYS),
        loginFailures: new LoginFailures(dataSource, {
          maxFailuresPerAccount: config.LOGIN_MAX_FAILURES,
          maxFailuresPerIp: config.LOGIN_MAX_FAILURES_PER_IP,
          windowMs: config.LOGIN_FAILURE_WINDOW_MINUTES * 60_000,
        }),
        logger,
      });
      return {
        app: buildApp({ config, dataSource, logger, readiness, keys }),
        closers: [{ name: 'housekeeping', close: () => housekeeping.stop() }],
      };
    },
  });
}

if (require.main === module) runMain('auth', () => startAuth(loadAuthConfig()));
