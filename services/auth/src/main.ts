import { runMain, startService, type RunningService } from '@finance/shared';
import { buildAuth, buildAuthParts, type AuthParts } from './app';
import { loadAuthConfig, type AuthConfig } from './config';
import { ensureAdmin } from './data/admin-bootstrap';
import { authDataSource } from './data/data-source';
import { KeyRing } from './data/key-ring';
import { scheduleHousekeeping } from './jobs/housekeeping';

export type RunningAuth = RunningService & { parts: AuthParts };

/** Starts auth: database, signing keys, admin bootstrap, broker, outbox relay, HTTP, housekeeping. */
export async function startAuth(config: AuthConfig): Promise<RunningAuth> {
  let parts: AuthParts | undefined;
  const running = await startService({
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

      // One set of parts: the instances warmed up and bootstrapped here are the ones that serve.
      parts = buildAuthParts({ config, dataSource, logger });
      await parts.passwords.warmUp();
      if (config.ADMIN_EMAIL && config.ADMIN_USERNAME && config.ADMIN_PASSWORD) {
        const outcome = await ensureAdmin(
          { email: config.ADMIN_EMAIL, username: config.ADMIN_USERNAME, password: config.ADMIN_PASSWORD },
          { users: parts.users, passwords: parts.passwords, logger },
        );
        logger.info({ outcome }, 'admin bootstrap');
      }

      const housekeeping = scheduleHousekeeping({ ...parts, logger });
      return {
        app: buildAuth({ config, dataSource, logger, readiness, keys, parts }).app,
        closers: [{ name: 'housekeeping', close: () => housekeeping.stop() }],
      };
    },
  });
  return Object.assign(running, { parts: parts as AuthParts });
}

if (require.main === module) runMain('auth', () => startAuth(loadAuthConfig()));
