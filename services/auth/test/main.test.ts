import { createTestDatabase, dropTestDatabase, httpJson, testAmqpUrl } from '@finance/shared/testing';
import { parseAuthConfig } from '../src/config';
import { startAuth, type RunningAuth } from '../src/main';
import { newAccount } from './helpers';

/** The process entry as `node dist/main.js` runs it, in-process: real database and broker. */
describe('auth: main.ts wiring', () => {
  let running: RunningAuth;
  let databaseUrl: string;
  beforeAll(async () => {
    databaseUrl = await createTestDatabase('auth_main');
    running = await startAuth(
      parseAuthConfig({
        NODE_ENV: 'test',
        LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
        PORT: '0',
        BCRYPT_ROUNDS: '4',
        DATABASE_URL: databaseUrl,
        AMQP_URL: testAmqpUrl(),
        ADMIN_EMAIL: 'root@example.com',
        ADMIN_USERNAME: 'root',
        ADMIN_PASSWORD: 'root password 1',
      }),
    );
  });
  afterAll(async () => {
    await running.stop();
    await dropTestDatabase(databaseUrl);
  });

  it('serves with the very PasswordHasher it warmed up (one instance of each part)', async () => {
    const { passwords } = running.parts;
    expect(passwords.isWarm).toBe(true);
    const before = passwords.comparisons;
    // An unknown user: the comparison runs against the dummy hash the warm-up computed.
    const unknown = await httpJson('POST', `${running.url}/auth/login`, {
      body: { email: 'nobody@example.com', password: 'whatever password' },
    });
    expect(unknown.status).toBe(401);
    expect(passwords.comparisons).toBe(before + 1);
    // The serving throttle is the one housekeeping prunes: the failure is in its table.
    const [{ n }] = await running.dataSource.query(`SELECT count(*)::int AS n FROM login_throttle`);
    expect(n).toBeGreaterThan(0);
  });

  it('bootstraps the admin with the same parts the app serves with', async () => {
    const login = await httpJson('POST', `${running.url}/auth/login`, {
      body: { username: 'root', password: 'root password 1' },
    });
    expect(login.status).toBe(200);
    const me = await httpJson('GET', `${running.url}/users/me`, { token: login.body.access_token });
    expect(me.body.role).toBe('admin');
    const account = newAccount();
    expect((await httpJson('POST', `${running.url}/auth/register`, { body: account })).status).toBe(201);
  });
});
