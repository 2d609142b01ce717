import { httpJson } from '@finance/shared/testing';
import { capturingLogger, formBody, httpJsonFrom, newAccount, startAuth, type AuthService } from './fixtures';

/**
 * The login throttle seen from outside. Client addresses are real: each request leaves from its
 * own loopback address (127.0.0.x), so no forwarding header is involved.
 */
describe('auth: login throttle (defaults: 10 per account and address, 100 per account, 50 per address)', () => {
  let auth: AuthService;
  const log = capturingLogger();
  beforeAll(async () => {
    auth = await startAuth('auth_throttle', { logger: log.logger });
  });
  afterAll(() => auth.close());

  async function register() {
    const account = newAccount();
    const res = await httpJson('POST', `${auth.url}/auth/register`, { body: account });
    expect(res.status).toBe(201);
    return { ...account, id: res.body.id as string };
  }
  const login = (ip: string, body: Record<string, string>) =>
    httpJsonFrom(ip, 'POST', `${auth.url}/auth/login`, { body });
  const loginForm = (ip: string, fields: Record<string, string>) =>
    httpJsonFrom(ip, 'POST', `${auth.url}/auth/login`, formBody(fields));
  const bucket = async (kind: string, accountKey: string, clientIp: string) =>
    (
      await auth.dataSource.query(
        `SELECT attempts, locked_until FROM login_throttle WHERE kind = $1 AND account_key = $2 AND client_ip = $3`,
        [kind, accountKey, clientIp],
      )
    )[0] as { attempts: number; locked_until: Date | null } | undefined;

  it('lets at most 10 of 45 parallel guesses (44 wrong, 1 right) check a password; the success erases nothing', async () => {
    const victim = await register();
    const ip = '127.0.0.11';
    const bodies = Array.from({ length: 45 }, (_, i) =>
      i === 22 ? victim.password : `wrong guess number ${i}`,
    ).map((password, i) =>
      // JSON by e-mail, by username and the OAuth2 form alike: one account, one budget.
      i % 3 === 0
        ? login(ip, { email: victim.email, password })
        : i % 3 === 1
          ? login(ip, { username: victim.username.toUpperCase(), password })
          : loginForm(ip, { username: victim.email.toUpperCase(), password }),
    );
    const statuses = (await Promise.all(bodies)).map((r) => r.status);
    const count = (status: number) => statuses.filter((s) => s === status).length;
    expect(count(401) + count(200) + count(429)).toBe(45);
    // Wrong passwords checked: never more than the limit. The right one may be among the refused.
    expect(count(401)).toBeLessThanOrEqual(10);
    expect(count(401) + count(200)).toBeLessThanOrEqual(11);
    expect(count(429)).toBeGreaterThanOrEqual(34);
    // The burst stays on record: the pair is locked, even for the right password now.
    const pair = await bucket('pair', `user:${victim.id}`, ip);
    expect(pair?.attempts).toBeGreaterThanOrEqual(9);
    expect(pair?.locked_until).not.toBeNull();
    const after = await login(ip, { email: victim.email, password: victim.password });
    expect(after.status).toBe(429);
  });

  it('counts N parallel attempts as N, before any password is checked', async () => {
    const victim = await register();
    const ip = '127.0.0.12';
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        login(ip, { username: victim.username, password: `nope nope ${i}` }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(Array(8).fill(401));
    expect((await bucket('pair', `user:${victim.id}`, ip))?.attempts).toBe(8);
    expect((await bucket('account', `user:${victim.id}`, ''))?.attempts).toBe(8);
    expect((await bucket('address', '', ip))?.attempts).toBe(8);
    // A correct password gives back its own attempt only.
    expect((await login(ip, { email: victim.email, password: victim.password })).status).toBe(200);
    expect((await bucket('pair', `user:${victim.id}`, ip))?.attempts).toBe(8);
  });

  it('gives the e-mail and the username of one account one budget, in any letter case, JSON or form', async () => {
    const victim = await register();
    const ip = '127.0.0.13';
    for (let i = 0; i < 3; i++)
      expect((await login(ip, { email: victim.email.toUpperCase(), password: `bad one ${i}` })).status).toBe(
        401,
      );
    for (let i = 0; i < 3; i++)
      expect((await login(ip, { username: victim.username, password: `bad two ${i}` })).status).toBe(401);
    for (let i = 0; i < 2; i++)
      expect((await loginForm(ip, { username: victim.email, password: `bad three ${i}` })).status).toBe(401);
    for (let i = 0; i < 2; i++)
      expect(
        (await loginForm(ip, { username: victim.username.toUpperCase(), password: `bad four ${i}` })).status,
      ).toBe(401);
    // Ten failures over four spellings: the eleventh attempt, by any of them, is refused.
    for (const attempt of [
      () => login(ip, { email: victim.email, password: victim.password }),
      () => loginForm(ip, { username: victim.username, password: victim.password }),
    ]) {
      const res = await attempt();
      expect(res.status).toBe(429);
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    }
  });

  it('records a lock-out as a structured log line', async () => {
    const victim = await register();
    const ip = '127.0.0.14';
    for (let i = 0; i < 10; i++) await login(ip, { email: victim.email, password: `wrong ${i} password` });
    const lockouts = log
      .lines()
      .filter((line) => line.event === 'login.lockout' && line.userId === victim.id);
    expect(lockouts).toEqual([
      expect.objectContaining({
        level: 40,
        msg: 'login locked out',
        scope: 'pair',
        clientIp: ip,
        attempts: 10,
        lockedForSeconds: 60,
      }),
    ]);
    await login(ip, { email: victim.email, password: victim.password });
    expect(
      log.lines().filter((l) => l.event === 'login.throttled' && l.userId === victim.id && l.clientIp === ip),
    ).toEqual([expect.objectContaining({ refusedBy: ['pair'], retryAfterSeconds: expect.any(Number) })]);
    // Nothing in the log names the identifier or the password tried.
    const text = JSON.stringify(log.lines());
    expect(text).not.toContain(victim.email);
    expect(text).not.toContain(victim.password);
  });

  it('does not let an attacker guessing from one address stop the victim logging in from her usual address', async () => {
    const victim = await register();
    const home = '127.0.0.15';
    const attacker = '127.0.0.66';
    expect((await login(home, { email: victim.email, password: victim.password })).status).toBe(200);
    // Forty guesses, in parallel and one after the other, by e-mail and by username.
    const parallel = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        login(attacker, { email: victim.email, password: `guess ${i} abc` }),
      ),
    );
    for (let i = 0; i < 20; i++)
      await login(attacker, { username: victim.username, password: `guess ${i} xyz` });
    // The victim, at home: in at once. From an address she never used: in too (one attacker
    // cannot reach the account-wide limit, the back-off stops them far below it).
    expect((await login(home, { email: victim.email, password: victim.password })).status).toBe(200);
    expect((await login('127.0.0.16', { username: victim.username, password: victim.password })).status).toBe(
      200,
    );
    // The attacker, meanwhile, was stopped.
    expect(parallel.filter((r) => r.status === 429).length).toBeGreaterThanOrEqual(10);
    expect((await login(attacker, { email: victim.email, password: victim.password })).status).toBe(429);
  });

  it('counts wrong passwords on password-confirming routes in the same per-address budget', async () => {
    const victim = await register();
    const home = '127.0.0.17';
    const thief = '127.0.0.67';
    const session = await login(home, { email: victim.email, password: victim.password });
    // A stolen access token, used from the thief's address to guess the password.
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++)
      statuses.push(
        (
          await httpJsonFrom(thief, 'PUT', `${auth.url}/users/me/password`, {
            token: session.body.access_token,
            body: { current_password: `guess ${i} again`, new_password: 'the thief password' },
          })
        ).status,
      );
    expect(statuses).toEqual([...Array(10).fill(403), 429]);
    expect((await login(thief, { email: victim.email, password: victim.password })).status).toBe(429);
    expect((await login(home, { email: victim.email, password: victim.password })).status).toBe(200);
  });
});

describe('auth: login throttle against guesses spread over many addresses', () => {
  let auth: AuthService;
  beforeAll(async () => {
    auth = await startAuth('auth_throttle_spread', {
      env: { LOGIN_MAX_FAILURES: '3', LOGIN_MAX_FAILURES_PER_ACCOUNT: '12' },
    });
  });
  afterAll(() => auth.close());

  const login = (ip: string, body: Record<string, string>) =>
    httpJsonFrom(ip, 'POST', `${auth.url}/auth/login`, { body });

  it('stops new addresses once the account-wide budget is spent, but an address the owner used keeps its own', async () => {
    const victim = newAccount();
    const registered = await httpJson('POST', `${auth.url}/auth/register`, { body: victim });
    expect(registered.status).toBe(201);
    const home = '127.0.1.1';
    expect((await login(home, { email: victim.email, password: victim.password })).status).toBe(200);
    // Five attacking addresses, three guesses each: fifteen failures, beyond the account's twelve.
    await Promise.all(
      Array.from({ length: 5 }, (_, a) =>
        Promise.all(
          Array.from({ length: 3 }, (_, i) =>
            login(`127.0.2.${a + 1}`, { username: victim.username, password: `spread ${a}-${i} guess` }),
          ),
        ),
      ),
    );
    const [account] = await auth.dataSource.query(
      `SELECT attempts, locked_until FROM login_throttle WHERE kind = 'account' AND account_key = $1`,
      [`user:${registered.body.id}`],
    );
    expect(account.attempts).toBe(12);
    expect(account.locked_until).not.toBeNull();
    // A sixth address is refused, even with the right password…
    const fresh = await login('127.0.2.99', { email: victim.email, password: victim.password });
    expect(fresh.status).toBe(429);
    // …while the owner's usual address is not counted in the account-wide bucket.
    expect((await login(home, { email: victim.email, password: victim.password })).status).toBe(200);
  });
});
