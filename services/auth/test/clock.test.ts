import jwt from 'jsonwebtoken';
import { httpJson } from '@finance/shared/testing';
import {
  httpJsonFrom,
  registerAndLogin,
  rsaPrivateKeyPem,
  startAuth,
  startReplica,
  testClock,
  type AuthService,
} from './fixtures';

const DAY_MS = 86_400_000;

/**
 * Everything auth decides by the time reads the service's clock (`context.clock`), not the
 * database's or the process's: here it stands years ahead of both and moves only when a test
 * advances it, so a rule still reading either gives itself away, and no outcome depends on how
 * long a step took.
 */
describe("auth: 'now' is the service's clock", () => {
  const clock = testClock(new Date('2031-05-01T08:00:00Z'), { frozen: true });
  const keyA = rsaPrivateKeyPem();
  let auth: AuthService;
  beforeAll(async () => {
    auth = await startAuth('auth_clock', { env: { JWT_PRIVATE_KEY: keyA }, clock: clock.now });
  });
  afterAll(() => auth.close());

  const me = (url: string, token: string) => httpJson('GET', `${url}/users/me`, { token });
  const iso = (at: Date | string) => new Date(at).toISOString();

  it('issues access tokens at its time, and they expire on it', async () => {
    const { accessToken } = await registerAndLogin(auth.url);
    const claims = jwt.decode(accessToken) as jwt.JwtPayload;
    expect(claims.iat).toBe(clock.now().getTime() / 1000);
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(900);
    expect((await me(auth.url, accessToken)).status).toBe(200);
    clock.advance(901_000);
    expect((await me(auth.url, accessToken)).status).toBe(401);
  });

  it('stamps the user, its events and the revocation feed with its time', async () => {
    const registeredAt = clock.now().toISOString();
    const { accessToken, user } = await registerAndLogin(auth.url);
    clock.advance(60_000);
    const loggedOutAt = clock.now().toISOString();
    expect((await httpJson('POST', `${auth.url}/auth/logout-all`, { token: accessToken })).status).toBe(204);
    const [row] = await auth.dataSource.query(`SELECT created_at, updated_at FROM users WHERE id = $1`, [
      user.id,
    ]);
    expect([iso(row.created_at), iso(row.updated_at)]).toEqual([registeredAt, loggedOutAt]);
    const events: Array<{ type: string; occurred_at: string }> = await auth.dataSource.query(
      `SELECT type, envelope->>'occurredAt' AS occurred_at FROM outbox WHERE envelope->>'userId' = $1 ORDER BY position`,
      [user.id],
    );
    expect(events.map((e) => e.type)).toEqual(['auth.user.registered', 'auth.user.updated']);
    expect(events.map((e) => e.occurred_at)).toEqual([registeredAt, loggedOutAt]);
    const feed = await httpJson('GET', `${auth.url}/internal/session-revocations`);
    const revocation = feed.body.revocations.find((r: { user_id: string }) => r.user_id === user.id);
    expect(revocation.at).toBe(loggedOutAt);
  });

  it('lets a refresh token expire on its time, 30 days after it was issued', async () => {
    const { refreshToken } = await registerAndLogin(auth.url);
    clock.advance(29 * DAY_MS);
    const rotated = await httpJson('POST', `${auth.url}/auth/refresh`, {
      body: { refresh_token: refreshToken },
    });
    expect(rotated.status).toBe(200);
    clock.advance(30 * DAY_MS + 1_000);
    const expired = await httpJson('POST', `${auth.url}/auth/refresh`, {
      body: { refresh_token: rotated.body.refresh_token },
    });
    expect(expired.status).toBe(401);
  });

  it('forgets, on its time, what has run out: revocation rows, sealed pairs, quiet throttle buckets, then dead families and old addresses', async () => {
    const ip = '127.0.0.41';
    const { account, user, accessToken } = await registerAndLogin(auth.url);
    const login = () =>
      httpJsonFrom(ip, 'POST', `${auth.url}/auth/login`, {
        body: { email: account.email, password: account.password },
      });
    const session = await login();
    expect(session.status).toBe(200);
    const refreshed = await httpJson('POST', `${auth.url}/auth/refresh`, {
      body: { refresh_token: session.body.refresh_token },
    });
    expect(refreshed.status).toBe(200);
    const wrong = await httpJsonFrom(ip, 'POST', `${auth.url}/auth/login`, {
      body: { email: account.email, password: 'not the password' },
    });
    expect(wrong.status).toBe(401);
    expect((await httpJson('POST', `${auth.url}/auth/logout-all`, { token: accessToken })).status).toBe(204);
    const count = async (sql: string) => (await auth.dataSource.query(sql, [user.id]))[0].n as number;
    const state = async () => ({
      revocations: await count(`SELECT count(*)::int AS n FROM session_revocations WHERE user_id = $1`),
      sealed: await count(
        `SELECT count(*)::int AS n FROM refresh_tokens t JOIN refresh_token_families f ON f.id = t.family_id
          WHERE f.user_id = $1 AND t.successor_sealed IS NOT NULL`,
      ),
      buckets: await count(`SELECT count(*)::int AS n FROM login_throttle WHERE account_key = 'user:' || $1`),
      families: await count(`SELECT count(*)::int AS n FROM refresh_token_families WHERE user_id = $1`),
      addresses: await count(`SELECT count(*)::int AS n FROM login_known_addresses WHERE user_id = $1`),
    });
    const before = await state();
    // Two logins (registerAndLogin's and this one), from two addresses: two families, two known addresses.
    expect(before).toEqual({ revocations: 1, sealed: 1, buckets: 3, families: 2, addresses: 2 });

    // Nothing has run out yet: a round changes nothing.
    await auth.parts.housekeeping.runOnce();
    expect(await state()).toEqual(before);
    // A token lifetime + 60 s later: the revocation row, the sealed pair and the quiet buckets (15 min) go.
    clock.advance(961_000);
    await auth.parts.housekeeping.runOnce();
    expect(await state()).toEqual({ revocations: 0, sealed: 0, buckets: 0, families: 2, addresses: 2 });
    // Thirty days on, every refresh token has expired: the families go; the address is known 90 days.
    clock.advance(31 * DAY_MS);
    await auth.parts.housekeeping.runOnce();
    expect(await state()).toEqual({ revocations: 0, sealed: 0, buckets: 0, families: 0, addresses: 2 });
    clock.advance(60 * DAY_MS);
    await auth.parts.housekeeping.runOnce();
    expect(await state()).toEqual({ revocations: 0, sealed: 0, buckets: 0, families: 0, addresses: 0 });
  });

  // Last: the replica retires the primary's key.
  it('drops a rotated-out key from the JWKS once a token lifetime has passed on its time', async () => {
    const kidA = auth.parts.keys.signingKey.kid;
    const replica = await startReplica(auth, {
      env: { JWT_PRIVATE_KEY: rsaPrivateKeyPem() },
      clock: clock.now,
    });
    try {
      const kidB = replica.parts.keys.signingKey.kid;
      const kids = async () =>
        (await httpJson('GET', `${replica.url}/.well-known/jwks.json`)).body.keys.map(
          (k: { kid: string }) => k.kid,
        );
      expect((await kids()).sort()).toEqual([kidA, kidB].sort());
      const [row] = await auth.dataSource.query(`SELECT retired_at FROM signing_keys WHERE kid = $1`, [kidA]);
      expect(iso(row.retired_at)).toBe(clock.now().toISOString());
      clock.advance(961_000);
      expect(await kids()).toEqual([kidB]);
    } finally {
      await replica.close();
    }
  });
});
