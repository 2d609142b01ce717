import jwt from 'jsonwebtoken';
import { httpJson, waitFor } from '@finance/shared/testing';
import { ensureAdmin } from '../src/data/admin-bootstrap';
import { registerAndLogin, rsaPrivateKeyPem, startAuth, type AuthService } from './fixtures';

interface Revocation {
  seq: number;
  user_id: string;
  session_version: number;
  at: string;
}

describe('auth: session versions, revocation and the revocation feed', () => {
  let auth: AuthService;
  const key = rsaPrivateKeyPem();
  let adminToken: string;

  beforeAll(async () => {
    auth = await startAuth('auth_sessions', { env: { JWT_PRIVATE_KEY: key } });
    const admin = { email: 'boss@example.com', username: 'boss', password: 'admin password 1' };
    await ensureAdmin(admin, auth.parts);
    const login = await httpJson('POST', `${auth.url}/auth/login`, {
      body: { email: admin.email, password: admin.password },
    });
    adminToken = login.body.access_token;
  });
  afterAll(() => auth.close());

  const me = (token: string) => httpJson('GET', `${auth.url}/users/me`, { token });
  const feed = (query = '') => httpJson('GET', `${auth.url}/internal/session-revocations${query}`);
  const sessionVersionOf = async (userId: string): Promise<number | undefined> =>
    (await auth.dataSource.query(`SELECT session_version FROM users WHERE id = $1`, [userId]))[0]
      ?.session_version;
  const lastSeq = async (): Promise<number> => (await feed()).body.last_seq;
  const updatesOf = async (userId: string) =>
    (
      await auth.dataSource.query(
        `SELECT type, envelope FROM outbox WHERE envelope->>'aggregateId' = $1 ORDER BY position`,
        [userId],
      )
    ).map(
      (row: { type: string; envelope: { aggregateVersion: number; payload: Record<string, unknown> } }) => ({
        type: row.type,
        version: row.envelope.aggregateVersion,
        sessionVersion: row.envelope.payload.sessionVersion,
        isActive: row.envelope.payload.isActive,
      }),
    );

  /** What every bump must leave behind: old access token refused, the feed row, the event. */
  async function expectRevoked(
    userId: string,
    oldToken: string,
    since: number,
    expected: { sessionVersion: number; event: 'auth.user.updated' | 'auth.user.deleted' },
  ) {
    const res = await me(oldToken);
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"/);
    const page = await feed(`?after=${since}`);
    expect(page.status).toBe(200);
    expect(page.body.revocations).toEqual([
      {
        seq: expect.any(Number),
        user_id: userId,
        session_version: expected.sessionVersion,
        at: expect.any(String),
      },
    ]);
    expect(page.body.revocations[0].seq).toBeGreaterThan(since);
    expect(Number.isNaN(Date.parse(page.body.revocations[0].at))).toBe(false);
    expect(page.body.last_seq).toBe(page.body.revocations[0].seq);
    const events = await updatesOf(userId);
    expect(events[events.length - 1].type).toBe(expected.event);
  }

  it('puts the session version in every access token as claim `sv`', async () => {
    const { accessToken, user } = await registerAndLogin(auth.url);
    expect((jwt.decode(accessToken) as jwt.JwtPayload).sv).toBe(0);
    expect(await sessionVersionOf(user.id)).toBe(0);
  });

  it('revokes every access token on a password change, and new tokens carry the new sv', async () => {
    const { account, accessToken, user } = await registerAndLogin(auth.url);
    const since = await lastSeq();
    const changed = await httpJson('PUT', `${auth.url}/users/me/password`, {
      token: accessToken,
      body: { current_password: account.password, new_password: 'another good password' },
    });
    expect(changed.status).toBe(204);
    await expectRevoked(user.id, accessToken, since, { sessionVersion: 1, event: 'auth.user.updated' });
    expect(await updatesOf(user.id)).toEqual([
      { type: 'auth.user.registered', version: 1, sessionVersion: 0, isActive: true },
      { type: 'auth.user.updated', version: 2, sessionVersion: 1, isActive: true },
    ]);
    const login = await httpJson('POST', `${auth.url}/auth/login`, {
      body: { email: account.email, password: 'another good password' },
    });
    expect((jwt.decode(login.body.access_token) as jwt.JwtPayload).sv).toBe(1);
    expect((await me(login.body.access_token)).status).toBe(200);
  });

  it('POST /auth/logout-all ends every session: access tokens (its own too) and refresh tokens', async () => {
    const { account, accessToken, refreshToken, user } = await registerAndLogin(auth.url);
    const other = await httpJson('POST', `${auth.url}/auth/login`, {
      body: { username: account.username, password: account.password },
    });
    const since = await lastSeq();
    expect((await httpJson('POST', `${auth.url}/auth/logout-all`)).status).toBe(401);
    const stray = await httpJson('POST', `${auth.url}/auth/logout-all`, {
      token: accessToken,
      body: { all: true },
    });
    expect(stray.status).toBe(400);
    expect(stray.body.errors.map((e: { field: string }) => e.field)).toEqual(['body.all']);
    expect(await sessionVersionOf(user.id)).toBe(0);
    const res = await httpJson('POST', `${auth.url}/auth/logout-all`, { token: accessToken });
    expect(res.status).toBe(204);
    await expectRevoked(user.id, accessToken, since, { sessionVersion: 1, event: 'auth.user.updated' });
    expect((await me(other.body.access_token)).status).toBe(401);
    for (const token of [refreshToken, other.body.refresh_token])
      expect(
        (await httpJson('POST', `${auth.url}/auth/refresh`, { body: { refresh_token: token } })).status,
      ).toBe(401);
    // Logging in again works, with the new version.
    const again = await httpJson('POST', `${auth.url}/auth/login`, {
      body: { email: account.email, password: account.password },
    });
    expect(again.status).toBe(200);
    expect((await me(again.body.access_token)).status).toBe(200);
    expect((await httpJson('POST', `${auth.url}/auth/logout-all`, { token: accessToken })).status).toBe(401);
  });

  it('revokes at deactivation (and keeps older tokens refused after reactivation)', async () => {
    const { accessToken, user } = await registerAndLogin(auth.url);
    const since = await lastSeq();
    const off = await httpJson('PATCH', `${auth.url}/admin/users/${user.id}`, {
      token: adminToken,
      body: { is_active: false },
    });
    expect(off.status).toBe(200);
    await expectRevoked(user.id, accessToken, since, { sessionVersion: 1, event: 'auth.user.updated' });
    const on = await httpJson('PATCH', `${auth.url}/admin/users/${user.id}`, {
      token: adminToken,
      body: { is_active: true },
    });
    expect(on.status).toBe(200);
    expect((await me(accessToken)).status).toBe(401);
    expect(await updatesOf(user.id)).toEqual([
      { type: 'auth.user.registered', version: 1, sessionVersion: 0, isActive: true },
      { type: 'auth.user.updated', version: 2, sessionVersion: 1, isActive: false },
      { type: 'auth.user.updated', version: 3, sessionVersion: 1, isActive: true },
    ]);
    // Reactivation is no bump: nothing new in the feed.
    const after = await feed(`?after=${since}`);
    expect(after.body.revocations).toHaveLength(1);
  });

  it('refuses the token of a deactivated user at once, even without a bump (the row says inactive)', async () => {
    const { accessToken, user } = await registerAndLogin(auth.url);
    await auth.dataSource.query(`UPDATE users SET is_active = false WHERE id = $1`, [user.id]);
    expect((await me(accessToken)).status).toBe(401);
  });

  it('revokes at a role change', async () => {
    const { accessToken, user } = await registerAndLogin(auth.url);
    const since = await lastSeq();
    const promoted = await httpJson('PATCH', `${auth.url}/admin/users/${user.id}`, {
      token: adminToken,
      body: { role: 'admin' },
    });
    expect(promoted.status).toBe(200);
    await expectRevoked(user.id, accessToken, since, { sessionVersion: 1, event: 'auth.user.updated' });
  });

  it('revokes at deletion: the old token gets 401 and the feed lists the final bump', async () => {
    const { account, accessToken, user } = await registerAndLogin(auth.url);
    await httpJson('POST', `${auth.url}/auth/logout-all`, { token: accessToken });
    const login = await httpJson('POST', `${auth.url}/auth/login`, {
      body: { email: account.email, password: account.password },
    });
    const since = await lastSeq();
    const deleted = await httpJson('DELETE', `${auth.url}/users/me`, {
      token: login.body.access_token,
      body: { password: account.password },
    });
    expect(deleted.status).toBe(204);
    await expectRevoked(user.id, login.body.access_token, since, {
      sessionVersion: 2,
      event: 'auth.user.deleted',
    });
    expect((await updatesOf(user.id)).map((e: { type: string }) => e.type)).toEqual([
      'auth.user.registered',
      'auth.user.updated',
      'auth.user.deleted',
    ]);
  });

  it('does not let a login with the old password that races a password change outlive it', async () => {
    const { account, user } = await registerAndLogin(auth.url);
    // A password change caught between its bump and its commit (it holds the user's row).
    const bump = auth.dataSource.createQueryRunner();
    await bump.connect();
    await bump.startTransaction();
    try {
      await bump.query(`UPDATE users SET session_version = session_version + 1 WHERE id = $1`, [user.id]);
      let settled = false;
      const login = httpJson('POST', `${auth.url}/auth/login`, {
        body: { email: account.email, password: account.password },
      }).finally(() => (settled = true));
      // Until the login waits on the bump (or, were nothing to stop it, has answered already).
      await waitFor(
        async () =>
          settled ||
          (
            await auth.dataSource.query(
              `SELECT count(*)::int AS n FROM pg_stat_activity
                WHERE wait_event_type = 'Lock' AND query LIKE '%FROM users WHERE id = $1 FOR SHARE%'`,
            )
          )[0].n > 0,
        { description: 'the login to wait for the session bump' },
      );
      await bump.commitTransaction();
      const answer = await login;
      expect(answer.status).toBe(401);
      expect(answer.body.refresh_token).toBeUndefined();
    } finally {
      if (bump.isTransactionActive) await bump.rollbackTransaction();
      await bump.release();
    }
    const families = await auth.dataSource.query(
      `SELECT count(*)::int AS n FROM refresh_token_families WHERE user_id = $1 AND revoked_at IS NULL`,
      [user.id],
    );
    expect(families[0].n).toBe(1); // only the session from before, which the real change would revoke
  });

  it('counts a token without `sv` as version 0', async () => {
    const { user } = await registerAndLogin(auth.url);
    const legacy = jwt.sign({ role: 'user' }, key, {
      algorithm: 'RS256',
      keyid: auth.parts.keys.signingKey.kid,
      subject: user.id,
      issuer: 'finance-tracker-auth',
      audience: 'finance-tracker',
      expiresIn: 900,
    });
    expect((await me(legacy)).status).toBe(200);
    await auth.dataSource.query(`UPDATE users SET session_version = 1 WHERE id = $1`, [user.id]);
    expect((await me(legacy)).status).toBe(401);
    const badSv = jwt.sign({ role: 'user', sv: 'x' }, key, {
      algorithm: 'RS256',
      keyid: auth.parts.keys.signingKey.kid,
      subject: user.id,
      issuer: 'finance-tracker-auth',
      audience: 'finance-tracker',
      expiresIn: 900,
    });
    expect((await me(badSv)).status).toBe(401);
  });

  describe('GET /internal/session-revocations', () => {
    it('answers the documented shape, without a token, not cacheable', async () => {
      const res = await feed();
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('application/json');
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(Object.keys(res.body).sort()).toEqual(['last_seq', 'retention_seconds', 'revocations']);
      expect(res.body.retention_seconds).toBe(900 + 60);
      const rows: Revocation[] = res.body.revocations;
      expect(rows.length).toBeGreaterThan(0);
      for (const row of rows)
        expect(Object.keys(row).sort()).toEqual(['at', 'seq', 'session_version', 'user_id']);
      expect(rows.map((r) => r.seq)).toEqual([...rows.map((r) => r.seq)].sort((a, b) => a - b));
      expect(res.body.last_seq).toBe(rows[rows.length - 1].seq);
    });

    it('pages 1000 rows at a time in seq order; an empty page answers `after` as last_seq', async () => {
      const start = await lastSeq();
      const { user } = await registerAndLogin(auth.url);
      await auth.dataSource.query(
        `INSERT INTO session_revocations (user_id, session_version)
         SELECT $1, n FROM generate_series(1, 1500) AS n`,
        [user.id],
      );
      const first = await feed(`?after=${start}`);
      expect(first.body.revocations).toHaveLength(1000);
      expect(first.body.revocations[0].session_version).toBe(1);
      const second = await feed(`?after=${first.body.last_seq}`);
      expect(second.body.revocations).toHaveLength(500);
      expect(second.body.revocations[499].session_version).toBe(1500);
      const seqs = [...first.body.revocations, ...second.body.revocations].map((r: Revocation) => r.seq);
      expect(new Set(seqs).size).toBe(1500);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      const empty = await feed(`?after=${second.body.last_seq}`);
      expect(empty.body).toEqual({ revocations: [], last_seq: second.body.last_seq, retention_seconds: 960 });
      await auth.dataSource.query(`DELETE FROM session_revocations WHERE user_id = $1`, [user.id]);
    });

    it('without `after` and with every row pruned, answers the current seq so the caller can go on from it', async () => {
      const current = await lastSeq();
      const { accessToken } = await registerAndLogin(auth.url);
      await httpJson('POST', `${auth.url}/auth/logout-all`, { token: accessToken });
      const bumped = await feed(`?after=${current}`);
      expect(bumped.body.revocations).toHaveLength(1);
      await auth.dataSource.query(`UPDATE session_revocations SET at = now() - interval '1 hour'`);
      expect(await auth.parts.revocations.prune()).toBeGreaterThan(0);
      const res = await feed();
      expect(res.body).toEqual({ revocations: [], last_seq: bumped.body.last_seq, retention_seconds: 960 });
    });

    it('never lets a poller that follows last_seq skip a row, while bumps commit concurrently', async () => {
      const start = await lastSeq();
      const people = await Promise.all(Array.from({ length: 16 }, () => registerAndLogin(auth.url)));
      const seen: Revocation[] = [];
      let cursor = start;
      let bumping = true;
      const poller = (async () => {
        for (;;) {
          const stillBumping = bumping;
          const page = await feed(`?after=${cursor}`);
          seen.push(...page.body.revocations);
          cursor = page.body.last_seq;
          if (!stillBumping && page.body.revocations.length === 0) return;
        }
      })();
      const bumps = await Promise.all(
        people.map((p) => httpJson('POST', `${auth.url}/auth/logout-all`, { token: p.accessToken })),
      );
      bumping = false;
      await poller;
      expect(bumps.map((b) => b.status)).toEqual(Array(16).fill(204));
      expect(seen.map((r) => r.user_id).sort()).toEqual(people.map((p) => p.user.id).sort());
      const stored = await auth.dataSource.query(
        `SELECT count(*)::int AS n FROM session_revocations WHERE seq > $1`,
        [start],
      );
      expect(stored[0].n).toBe(16);
    });

    it.each(['-1', '1.5', 'abc', '', '1e3', '99999999999999999999', '9007199254740993'])(
      'refuses after=%s with 400 naming query.after',
      async (after) => {
        const res = await feed(`?after=${encodeURIComponent(after)}`);
        expect(res.status).toBe(400);
        expect(res.headers.get('content-type')).toContain('application/problem+json');
        expect(res.body.errors.map((e: { field: string }) => e.field)).toContain('query.after');
      },
    );

    it('refuses a repeated or bracketed `after` and unknown parameters', async () => {
      for (const query of ['?after=1&after=2', '?after[]=1', '?since=1']) {
        const res = await feed(query);
        expect(res.status).toBe(400);
      }
    });
  });
});
