import {
  Broker,
  OutboxRelay,
  Readiness,
  createLogger,
  createShutdown,
  databaseCheck,
  ensureDatabase,
  exitOnSignals,
  openDatabase,
} from '@finance/shared';
import { buildApp } from './app';
import { loadAuthConfig } from './config';
import { PasswordHasher } from './domain/passwords';
import { ensureAdmin } from './data/admin-bootstrap';
import { authDataSource } from './data/data-source';
import { KeyRing } from './data/key-ring';
import { LoginFailures } from './data/login-failures';
import { RefreshTokenStore } from './data/refresh-token-store';
import { UserStore } from './data/user-store';
import { scheduleHousekeeping } from './jobs/housekeeping';

async function main(): Promise<void> {
  const config = loadAuthConfig();
  const logger = createLogger('auth', config.LOG_LEVEL);

  await ensureDatabase(config.DATABASE_URL);
  const dataSource = await openDatabase(authDataSource(config.DATABASE_URL, config.DB_POOL_SIZE));

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

  const broker = new Broker({ url: config.AMQP_URL, logger, connectionName: 'auth' });
  const relay = new OutboxRelay({ dataSource, broker, logger });
  const readiness = new Readiness({ db: databaseCheck(dataSource) });
  readiness.add('broker', () => broker.isConnected);
  // Auth keeps serving while the broker is away: events wait in the outbox until it is back.
  void broker.start().catch((error: unknown) => logger.error({ err: error }, 'broker stopped trying'));
  await relay.start();

  const app = buildApp({ config, dataSource, logger, readiness, keys });
  const server = app.listen(config.PORT, () => logger.info({ port: config.PORT }, 'auth listening'));
  const housekeeping = scheduleHousekeeping({
    refreshTokens: new RefreshTokenStore(dataSource, config.REFRESH_TOKEN_TTL_DAYS),
    loginFailures: new LoginFailures(dataSource, {
      maxFailuresPerAccount: config.LOGIN_MAX_FAILURES,
      maxFailuresPerIp: config.LOGIN_MAX_FAILURES_PER_IP,
      windowMs: config.LOGIN_FAILURE_WINDOW_MINUTES * 60_000,
    }),
    logger,
  });

  const shutdown = createShutdown({
    logger,
    readiness,
    servers: [server],
    timeoutMs: config.SHUTDOWN_TIMEOUT_MS,
    closers: [
      { name: 'housekeeping', close: () => housekeeping.stop() },
      { name: 'outbox relay', close: () => relay.stop() },
      { name: 'broker', close: () => broker.stop() },
      { name: 'database', close: () => dataSource.destroy() },
    ],
  });
  exitOnSignals(shutdown, logger);
}

main().catch((error: unknown) => {
  process.stderr.write(`auth failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
