import jwt from 'jsonwebtoken';
import { idCreatedAt } from '@finance/shared';
import { httpJson } from '@finance/shared/testing';
import {
  formBody,
  httpJsonFrom,
  newAccount,
  registerAndLogin,
  startAuth,
  startReplica,
  testClock,
  type AuthService,
} from './fixtures';

describe('auth: register, login, refresh, logout', () => {
  let auth: AuthService;
  // The service's clock: lock-outs and grace windows run out when a test moves it on.
  const clock = testClock();
  beforeAll(async () => {
    auth = await startAuth('auth_flow', { env: { LOGIN_MAX_FAILURES: '5' }, clock: clock.now });
  });
  afterAll(() => auth.close());

  it('registers a user with normalised fields and defaults, never returning the hash', async () => {
    const account = newAccount({ email: '  Ada.Lovelace@Example.COM ', username: 'Ada_L' });
    const res = await httpJson('POST', `${auth.url}/auth/register`, { body: account });
    expect(res.status).toBe(201);
    expect(res.headers.get('location')).toBe('/users/me');
    expect(res.body).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      email: 'ada.lovelace@example.com',
      username: 'ada_l',
      role: 'user',
      base_currency: 'USD',
      timezone: 'UTC',
      is_active: true,
      created_at: expect.any(String),
      updated_at: expect.any(String),
    });
    expect(JSON.stringify(res.body)).not.toMatch(/password|\$2b\$/);
    const [row] = await auth.dataSource.query(`SELECT password_hash FROM users WHERE id = $1`, [res.body.id]);
    expect(row.password_hash).toMatch(/^\$2b\$04\$/);
  });

  it('mints UUIDv7 ids (user, refresh family and token, access token), so a service can wait for a user registered a moment ago', async () => {
    const v7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    const before = Date.now();
    const { user, accessToken, refreshToken } = await registerAndLogin(auth.url);
    const after = Date.now();
    expect(user.id).toMatch(v7);
    // Its first 48 bits say when it was made: what ReadYourWrites reads to tell "a moment ago" from "old".
    expect(idCreatedAt(user.id)).toBeGreaterThanOrEqual(before);
    expect(idCreatedAt(user.id)).toBeLessThanOrEqual(after);
    expect((jwt.decode(accessToken) as jwt.JwtPayload).jti).toMatch(v7);
    const [token] = await auth.dataSource.query(
      `SELECT t.id, t.family_id FROM refresh_tokens t WHERE t.token_hash = encode(sha256($1::bytea), 'hex')`,
      [refreshToken],
    );
    expect(token.id).toMatch(v7);
    expect(token.family_id).toMatch(v7);
  });

  it('accepts a base currency and time zone, correcting their letter case', async () => {
    const res = await httpJson('POST', `${auth.url}/auth/register`, {
      body: newAccount({ base_currency: 'eur', timezone: 'europe/paris' }),
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ base_currency: 'EUR', timezone: 'Europe/Paris' });
  });

  it.each(['Asia/Kolkata', 'Europe/Kyiv', 'US/Eastern', 'Etc/UTC'])(
    'stores and returns the valid IANA zone %s as given, not as its ICU alias',
    async (timezone) => {
      const account = newAccount({ timezone });
      const res = await httpJson('POST', `${auth.url}/auth/register`, { body: account });
      expect(res.status).toBe(201);
      expect(res.body.timezone).toBe(timezone);
      const [row] = await auth.dataSource.query(`SELECT timezone FROM users WHERE id = $1`, [res.body.id]);
      expect(row.timezone).toBe(timezone);
    },
  );

  it('answers a duplicate e-mail or username with 409 naming the field, whatever the case', async () => {
    const first = newAccount();
    expect((await httpJson('POST', `${auth.url}/auth/register`, { body: first })).status).toBe(201);
    const sameEmail = await httpJson('POST', `${auth.url}/auth/register`, {
      body: newAccount({ email: first.email.toUpperCase() }),
    });
    expect(sameEmail.status).toBe(409);
    expect(sameEmail.headers.get('content-type')).toContain('application/problem+json');
    expect(sameEmail.body.errors).toEqual([{ field: 'body.email', message: expect.any(String) }]);
    const sameName = await httpJson('POST', `${auth.url}/auth/register`, {
      body: newAccount({ username: first.username }),
    });
    expect(sameName.status).toBe(409);
    expect(sameName.body.errors.map((e: { field: string }) => e.field)).toEqual(['body.username']);
  });

  it('lets the unique constraint decide when two registrations race', async () => {
    const account = newAccount();
    const results = await Promise.all(
      Array.from({ length: 4 }, () => httpJson('POST', `${auth.url}/auth/register`, { body: account })),
    );
    expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409, 409]);
    for (const r of results.filter((r) => r.status === 409))
      expect(r.body.errors[0].field).toMatch(/^body\./);
  });

  it.each([
    ['email', { email: 'not-an-email' }, 'body.email'],
    ['email missing', { email: undefined }, 'body.email'],
    ['username too short', { username: 'ab' }, 'body.username'],
    ['username with spaces', { username: 'has space' }, 'body.username'],
    ['username too long', { username: 'a'.repeat(33) }, 'body.username'],
    ['username with a trailing line feed', { username: 'alice_lf\n' }, 'body.username'],
    ['username with a bidi override', { username: 'alice\u202e' }, 'body.username'],
    ['username with ESC', { username: 'ali\u001bce' }, 'body.username'],
    ['e-mail with a trailing CR LF', { email: 'crlf@example.com\r\n' }, 'body.email'],
    ['password too short', { password: 'short' }, 'body.password'],
    ['password over 72 bytes', { password: 'é'.repeat(37) }, 'body.password'],
    ['password with NUL', { password: 'abcdefgh\u0000ijk' }, 'body.password'],
    ['currency', { base_currency: 'XXY' }, 'body.base_currency'],
    ['time zone', { timezone: 'Mars/Olympus' }, 'body.timezone'],
    ['unknown field', { role: 'admin' }, 'body.role'],
    ['wrong type', { username: 42 }, 'body.username'],
  ])('rejects a bad %s with 400 naming %s', async (_name, change, field) => {
    const res = await httpJson('POST', `${auth.url}/auth/register`, { body: newAccount(change) });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
  });

  it('accepts a 72-byte multi-byte password (the limit counts bytes, not characters)', async () => {
    const res = await httpJson('POST', `${auth.url}/auth/register`, {
      body: newAccount({ password: 'é'.repeat(36) }),
    });
    expect(res.status).toBe(201);
  });

  it('rejects malformed JSON and other media types with 4xx problems', async () => {
    const bad = await httpJson('POST', `${auth.url}/auth/register`, {
      body: '{"email":',
      headers: { 'content-type': 'application/json' },
    });
    expect(bad.status).toBe(400);
    const text = await httpJson('POST', `${auth.url}/auth/register`, {
      body: 'hello',
      headers: { 'content-type': 'text/plain' },
    });
    expect(text.status).toBe(415);
  });

  it('logs in by e-mail or username and issues an RS256 access token with the expected claims', async () => {
    const { account, user, accessToken, refreshToken } = await registerAndLogin(auth.url);
    const header = jwt.decode(accessToken, { complete: true });
    expect(header?.header).toMatchObject({ alg: 'RS256', kid: auth.parts.keys.signingKey.kid });
    const claims = header?.payload as jwt.JwtPayload;
    expect(claims).toMatchObject({
      sub: user.id,
      role: 'user',
      iss: 'finance-tracker-auth',
      aud: 'finance-tracker',
      jti: expect.any(String),
    });
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(900);
    expect(refreshToken).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const byName = await httpJson('POST', `${auth.url}/auth/login`, {
      body: { username: account.username.toUpperCase(), password: account.password },
    });
    expect(byName.status).toBe(200);
    expect(byName.body).toMatchObject({ token_type: 'bearer', expires_in: 900 });
    expect(byName.headers.get('cache-control')).toBe('no-store');

    const me = await httpJson('GET', `${auth.url}/users/me`, { token: byName.body.access_token });
    expect(me.status).toBe(200);
    expect(me.body.id).toBe(user.id);

    const [stored] = await auth.dataSource.query(
      `SELECT count(*)::int AS n FROM refresh_tokens WHERE token_hash = $1`,
      [refreshToken],
    );
    expect(stored.n).toBe(0); // only the hash is stored
  });

  it('logs in with the OAuth2 password form, with an e-mail or a username in `username`', async () => {
    const account = newAccount();
    await httpJson('POST', `${auth.url}/auth/register`, { body: account });
    for (const username of [account.email, account.username]) {
      const res = await httpJson('POST', `${auth.url}/auth/login`, {
        ...formBody({
          grant_type: 'password',
          username,
          password: account.password,
          scope: '',
          client_id: 'swagger',
        }),
      });
      expect(res.status).toBe(200);
      expect(res.body.token_type).toBe('bearer');
      expect(typeof res.body.access_token).toBe('string');
    }
    const wrongGrant = await httpJson('POST', `${auth.url}/auth/login`, {
      ...formBody({
        grant_type: 'client_credentials',
        username: account.username,
        password: account.password,
      }),
    });
    expect(wrongGrant.status).toBe(400);
    expect(wrongGrant.body.errors[0].field).toBe('body.grant_type');
  });

  it('answers wrong password, unknown user and inactive user with the same 401', async () => {
    const { account, user } = await registerAndLogin(auth.url);
    const wrong = await httpJson('POST', `${auth.url}/auth/login`, {
      body: { email: account.email, password: 'not the password' },
    });
    const unknown = await httpJson('POST', `${auth.url}/auth/login`, {
      body: { email: 'nobody@example.com', password: 'whatever123' },
    });
    await auth.dataSource.query(`UPDATE users SET is_active = false WHERE id = $1`, [user.id]);
    const inactive = await httpJson('POST', `${auth.url}/auth/login`, {
      body: { email: account.email, password: account.password },
    });
    for (const res of [wrong, unknown, inactive]) {
      expect(res.status).toBe(401);
      expect(res.body.detail).toBe(wrong.body.detail);
    }
  });

  it('needs exactly one of email and username', async () => {
    const neither = await httpJson('POST', `${auth.url}/auth/login`, { body: { password: 'whatever123' } });
    expect(neither.status).toBe(400);
    expect(neither.body.errors[0].field).toBe('body.username');
    const both = await httpJson('POST', `${auth.url}/auth/login`, {
      body: { email: 'a@example.com', username: 'abc', password: 'whatever123' },
    });
    expect(both.status).toBe(400);
    const missingPassword = await httpJson('POST', `${auth.url}/auth/login`, {
      body: { email: 'a@example.com' },
    });
    expect(missingPassword.body.errors[0].field).toBe('body.password');
  });

  it('throttles an account from one address after the limit, with exponential back-off, even with the right password', async () => {
    const account = newAccount();
    await httpJson('POST', `${auth.url}/auth/register`, { body: account });
    const from = (ip: string, password: string) =>
      httpJsonFrom(ip, 'POST', `${auth.url}/auth/login`, {
        body: { username: account.username, password },
      });
    for (let i = 0; i < 5; i++) expect((await from('127.0.0.21', `wrong-${i}-password`)).status).toBe(401);
    const blocked = await from('127.0.0.21', account.password);
    expect(blocked.status).toBe(429);
    expect(blocked.headers.get('content-type')).toContain('application/problem+json');
    const retryAfter = Number(blocked.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(50);
    expect(retryAfter).toBeLessThanOrEqual(60);
    // Another account from the same address is not blocked by this one's failures.
    const other = await registerAndLogin(auth.url);
    expect(other.accessToken).toBeTruthy();
    // Once the lock has run out one more guess runs; wrong, it locks again for twice as long.
    clock.advance(61_000);
    expect((await from('127.0.0.21', 'wrong-again-password')).status).toBe(401);
    const longer = await from('127.0.0.21', account.password);
    expect(longer.status).toBe(429);
    expect(Number(longer.headers.get('retry-after'))).toBeGreaterThan(110);
    expect(Number(longer.headers.get('retry-after'))).toBeLessThanOrEqual(120);
    // After the lock, the right password gets in.
    clock.advance(121_000);
    expect((await from('127.0.0.21', account.password)).status).toBe(200);
  });

  it('throttles unknown accounts the same way (no enumeration through the limiter)', async () => {
    let last = 0;
    for (let i = 0; i < 6; i++) {
      last = (
        await httpJson('POST', `${auth.url}/auth/login`, {
          body: { email: 'ghost@example.com', password: 'guess-number-x' },
        })
      ).status;
    }
    expect(last).toBe(429);
  });

  it('rotates the refresh token on every use', async () => {
    const { refreshToken, user } = await registerAndLogin(auth.url);
    const first = await httpJson('POST', `${auth.url}/auth/refresh`, {
      body: { refresh_token: refreshToken },
    });
    expect(first.status).toBe(200);
    expect(first.body.refresh_token).not.toBe(refreshToken);
    expect((jwt.decode(first.body.access_token) as jwt.JwtPayload).sub).toBe(user.id);
    const second = await httpJson('POST', `${auth.url}/auth/refresh`, {
      body: { refresh_token: first.body.refresh_token },
    });
    expect(second.status).toBe(200);
    expect(second.body.refresh_token).not.toBe(first.body.refresh_token);
  });

  it('revokes the whole family when a rotated token is presented again after the grace window', async () => {
    const { refreshToken } = await registerAndLogin(auth.url);
    const rotated = await httpJson('POST', `${auth.url}/auth/refresh`, {
      body: { refresh_token: refreshToken },
    });
    expect(rotated.status).toBe(200);
    clock.advance(11_000);
    // An attacker replays the old token: refused, and the family dies with it.
    const replay = await httpJson('POST', `${auth.url}/auth/refresh`, {
      body: { refresh_token: refreshToken },
    });
    expect(replay.status).toBe(401);
    expect(replay.headers.get('content-type')).toContain('application/problem+json');
    // So the legitimate holder's newer token no longer works either.
    const legit = await httpJson('POST', `${auth.url}/auth/refresh`, {
      body: { refresh_token: rotated.body.refresh_token },
    });
    expect(legit.status).toBe(401);
    const [family] = await auth.dataSource.query(
      `SELECT f.revoked_reason FROM refresh_token_families f JOIN refresh_tokens t ON t.family_id = f.id
        WHERE t.token_hash = encode(sha256($1::bytea), 'hex')`,
      [refreshToken],
    );
    expect(family.revoked_reason).toBe('reuse-detected');
  });

  it('revokes the family when a rotated token comes back from another address, even within the window', async () => {
    const { refreshToken } = await registerAndLogin(auth.url);
    const rotated = await httpJsonFrom('127.0.0.31', 'POST', `${auth.url}/auth/refresh`, {
      body: { refresh_token: refreshToken },
    });
    expect(rotated.status).toBe(200);
    const elsewhere = await httpJsonFrom('127.0.0.32', 'POST', `${auth.url}/auth/refresh`, {
      body: { refresh_token: refreshToken },
    });
    expect(elsewhere.status).toBe(401);
    const legit = await httpJsonFrom('127.0.0.31', 'POST', `${auth.url}/auth/refresh`, {
      body: { refresh_token: rotated.body.refresh_token },
    });
    expect(legit.status).toBe(401);
  });

  it('answers ten parallel refreshes with one token (two tabs) with the same new pair, and the session lives on', async () => {
    const { refreshToken } = await registerAndLogin(auth.url);
    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        httpJson('POST', `${auth.url}/auth/refresh`, { body: { refresh_token: refreshToken } }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(Array(10).fill(200));
    expect(new Set(results.map((r) => r.body.refresh_token)).size).toBe(1);
    expect(new Set(results.map((r) => r.body.access_token)).size).toBe(1);
    expect(results[0].body.refresh_token).not.toBe(refreshToken);
    for (const r of results) {
      expect(r.body.expires_in).toBeGreaterThan(890);
      expect(r.body.expires_in).toBeLessThanOrEqual(900);
    }
    const me = await httpJson('GET', `${auth.url}/users/me`, { token: results[0].body.access_token });
    expect(me.status).toBe(200);
    // The family was not revoked: the shared new token refreshes again.
    const [family] = await auth.dataSource.query(
      `SELECT f.revoked_at FROM refresh_token_families f JOIN refresh_tokens t ON t.family_id = f.id
        WHERE t.token_hash = encode(sha256($1::bytea), 'hex')`,
      [refreshToken],
    );
    expect(family.revoked_at).toBeNull();
    const next = await httpJson('POST', `${auth.url}/auth/refresh`, {
      body: { refresh_token: results[0].body.refresh_token },
    });
    expect(next.status).toBe(200);
    // The database keeps the new pair only sealed, never as the token itself.
    const sealed: Array<{ successor_sealed: string | null }> = await auth.dataSource.query(
      `SELECT successor_sealed FROM refresh_tokens WHERE successor_sealed IS NOT NULL`,
    );
    expect(sealed.length).toBeGreaterThan(0);
    for (const row of sealed) expect(row.successor_sealed).not.toContain(results[0].body.refresh_token);
  });

  it('with a grace window of 0, two concurrent uses still resolve as one rotation and a revoked family', async () => {
    const strict = await startReplica(auth, { env: { REFRESH_REUSE_GRACE_SECONDS: '0' } });
    try {
      const { refreshToken } = await registerAndLogin(strict.url);
      const results = await Promise.all(
        [0, 1].map(() =>
          httpJson('POST', `${strict.url}/auth/refresh`, { body: { refresh_token: refreshToken } }),
        ),
      );
      expect(results.map((r) => r.status).sort()).toEqual([200, 401]);
      const winner = results.find((r) => r.status === 200);
      const next = await httpJson('POST', `${strict.url}/auth/refresh`, {
        body: { refresh_token: winner?.body.refresh_token },
      });
      expect(next.status).toBe(401);
    } finally {
      await strict.close();
    }
  });

  it('refuses unknown and expired refresh tokens, and validates the body', async () => {
    const unknown = await httpJson('POST', `${auth.url}/auth/refresh`, { body: { refresh_token: 'nope' } });
    expect(unknown.status).toBe(401);
    const { refreshToken } = await registerAndLogin(auth.url);
    await auth.dataSource.query(
      `UPDATE refresh_tokens SET expires_at = $2 WHERE token_hash = encode(sha256($1::bytea), 'hex')`,
      [refreshToken, new Date(clock.now().getTime() - 1000)],
    );
    const expired = await httpJson('POST', `${auth.url}/auth/refresh`, {
      body: { refresh_token: refreshToken },
    });
    expect(expired.status).toBe(401);
    const missing = await httpJson('POST', `${auth.url}/auth/refresh`, { body: {} });
    expect(missing.status).toBe(400);
    expect(missing.body.errors[0].field).toBe('body.refresh_token');
  });

  it('logs out without an access token by revoking the family', async () => {
    const { refreshToken } = await registerAndLogin(auth.url);
    const rotated = await httpJson('POST', `${auth.url}/auth/refresh`, {
      body: { refresh_token: refreshToken },
    });
    const logout = await httpJson('POST', `${auth.url}/auth/logout`, {
      body: { refresh_token: rotated.body.refresh_token },
    });
    expect(logout.status).toBe(204);
    const after = await httpJson('POST', `${auth.url}/auth/refresh`, {
      body: { refresh_token: rotated.body.refresh_token },
    });
    expect(after.status).toBe(401);
    const again = await httpJson('POST', `${auth.url}/auth/logout`, {
      body: { refresh_token: rotated.body.refresh_token },
    });
    expect(again.status).toBe(204);
  });

  it('ends every session when the password changes, and the new password works', async () => {
    const { account, accessToken, refreshToken } = await registerAndLogin(auth.url);
    const second = await httpJson('POST', `${auth.url}/auth/login`, {
      body: { email: account.email, password: account.password },
    });
    const wrong = await httpJson('PUT', `${auth.url}/users/me/password`, {
      token: accessToken,
      body: { current_password: 'not-the-password', new_password: 'a brand new secret' },
    });
    expect(wrong.status).toBe(403);
    expect(wrong.body.errors[0].field).toBe('body.current_password');
    const weak = await httpJson('PUT', `${auth.url}/users/me/password`, {
      token: accessToken,
      body: { current_password: account.password, new_password: 'short' },
    });
    expect(weak.status).toBe(400);
    expect(weak.body.errors[0].field).toBe('body.new_password');

    const changed = await httpJson('PUT', `${auth.url}/users/me/password`, {
      token: accessToken,
      body: { current_password: account.password, new_password: 'a brand new secret' },
    });
    expect(changed.status).toBe(204);
    for (const token of [refreshToken, second.body.refresh_token]) {
      const res = await httpJson('POST', `${auth.url}/auth/refresh`, { body: { refresh_token: token } });
      expect(res.status).toBe(401);
    }
    // The access tokens issued before the change are refused too.
    for (const token of [accessToken, second.body.access_token])
      expect((await httpJson('GET', `${auth.url}/users/me`, { token })).status).toBe(401);
    const oldLogin = await httpJson('POST', `${auth.url}/auth/login`, {
      body: { email: account.email, password: account.password },
    });
    expect(oldLogin.status).toBe(401);
    const newLogin = await httpJson('POST', `${auth.url}/auth/login`, {
      body: { email: account.email, password: 'a brand new secret' },
    });
    expect(newLogin.status).toBe(200);
    expect(
      (await httpJson('GET', `${auth.url}/users/me`, { token: newLogin.body.access_token })).status,
    ).toBe(200);
  });

  it('refuses a password change to the same password with 400 naming new_password, changing nothing', async () => {
    const { account, user, accessToken, refreshToken } = await registerAndLogin(auth.url);
    const [before] = await auth.dataSource.query(`SELECT password_hash, version FROM users WHERE id = $1`, [
      user.id,
    ]);
    const same = await httpJson('PUT', `${auth.url}/users/me/password`, {
      token: accessToken,
      body: { current_password: account.password, new_password: account.password },
    });
    expect(same.status).toBe(400);
    expect(same.headers.get('content-type')).toContain('application/problem+json');
    expect(same.body.errors).toEqual([{ field: 'body.new_password', message: expect.any(String) }]);
    const [after] = await auth.dataSource.query(`SELECT password_hash, version FROM users WHERE id = $1`, [
      user.id,
    ]);
    expect(after).toEqual(before);
    expect((await httpJson('GET', `${auth.url}/users/me`, { token: accessToken })).status).toBe(200);
    const refresh = await httpJson('POST', `${auth.url}/auth/refresh`, {
      body: { refresh_token: refreshToken },
    });
    expect(refresh.status).toBe(200);
  });
});
