/**
 * Creates (or promotes) an admin account:
 *   npm run create-admin -w services/auth -- --email a@example.com --username admin --password '…'
 * The password may come from ADMIN_PASSWORD instead of the command line (kept out of `ps`).
 * Uses the same DATABASE_URL as the service; the event it writes is published by the running service.
 */
import { parseArgs } from 'node:util';
import {
  SHARED_MIGRATIONS,
  createDataSource,
  ensureDatabase,
  loadConfig,
  openDatabase,
} from '@finance/shared';
import { authConfigSchema } from '../config';
import { PasswordHasher } from '../domain/passwords';
import { AdminBootstrapError, ensureAdmin, promoteToAdmin } from '../data/admin-bootstrap';
import { authEntities } from '../data/entities';
import { authMigrations } from '../data/migrations';
import { UserStore } from '../data/user-store';

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      email: { type: 'string' },
      username: { type: 'string' },
      password: { type: 'string' },
      promote: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const password = values.password ?? process.env.ADMIN_PASSWORD;
  const promoting = values.promote === true && values.email !== undefined;
  if (values.help || (!promoting && (!values.email || !values.username || !password))) {
    process.stderr.write(
      'usage: create-admin --email <email> --username <name> [--password <password> | ADMIN_PASSWORD=…]\n' +
        '       create-admin --promote --email <email>   (an existing account becomes admin)\n',
    );
    return values.help ? 0 : 2;
  }
  const config = loadConfig(authConfigSchema);
  await ensureDatabase(config.DATABASE_URL);
  // The service's schema exactly as startService migrates it (shared tables first).
  const dataSource = await openDatabase(
    createDataSource({
      url: config.DATABASE_URL,
      entities: authEntities,
      migrations: [...SHARED_MIGRATIONS, ...authMigrations],
      poolSize: 2,
      applicationName: 'auth-create-admin',
    }),
  );
  try {
    const users = new UserStore(dataSource, () => new Date());
    const outcome = promoting
      ? await promoteToAdmin(values.email as string, { users })
      : await ensureAdmin(
          {
            email: values.email as string,
            username: values.username as string,
            password: password as string,
          },
          { users, passwords: new PasswordHasher(config.BCRYPT_ROUNDS) },
        );
    process.stdout.write(`admin ${values.email}: ${outcome}\n`);
    return 0;
  } catch (error) {
    if (error instanceof AdminBootstrapError) {
      process.stderr.write(`create-admin: ${error.message}\n`);
      return 1;
    }
    throw error;
  } finally {
    await dataSource.destroy();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`create-admin failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
