import { httpJson } from '@finance/shared/testing';
import { newAccount, startAuth, type AuthService } from './fixtures';

/** The definition's setup, as `node dist/main.js` runs it (runService → startService): real database and broker. */
describe('auth: setup builds one instance of each part', () => {
  let auth: AuthService;
  beforeAll(async () => {
    auth = await startAuth('auth_setup', {
      env: { ADMIN_EMAIL: 'root@example.com', ADMIN_USERNAME: 'root', ADMIN_PASSWORD: 'root password 1' },
    });
  });
  afterAll(() => auth.close());

  it('serves with the very PasswordHasher it warmed up (one instance of each part)', async () => {
    const { passwords } = auth.parts;
    expect(passwords.isWarm).toBe(true);
    const before = passwords.comparisons;
    // An unknown user: the comparison runs against the dummy hash the warm-up computed.
    const unknown = await httpJson('POST', `${auth.url}/auth/login`, {
      body: { email: 'nobody@example.com', password: 'whatever password' },
    });
    expect(unknown.status).toBe(401);
    expect(passwords.comparisons).toBe(before + 1);
    // The serving throttle is the one housekeeping prunes: the failure is in its table.
    const [{ n }] = await auth.dataSource.query(`SELECT count(*)::int AS n FROM login_throttle`);
    expect(n).toBeGreaterThan(0);
  });

  it('bootstraps the admin with the same parts the app serves with', async () => {
    const login = await httpJson('POST', `${auth.url}/auth/login`, {
      body: { username: 'root', password: 'root password 1' },
    });
    expect(login.status).toBe(200);
    const me = await httpJson('GET', `${auth.url}/users/me`, { token: login.body.access_token });
    expect(me.body.role).toBe('admin');
    const account = newAccount();
    expect((await httpJson('POST', `${auth.url}/auth/register`, { body: account })).status).toBe(201);
  });
});
