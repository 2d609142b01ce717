import { httpJson } from '@finance/shared/testing';
import { AdminBootstrapError, ensureAdmin, promoteToAdmin } from '../src/data/admin-bootstrap';
import { newAccount, registerAndLogin, startAuth, type AuthService } from './fixtures';

interface Listed {
  id: string;
  email: string;
  username: string;
  role: string;
  is_active: boolean;
}

describe('auth: the admin API', () => {
  let auth: AuthService;
  let adminToken: string;
  let adminId: string;

  const loginAs = async (account: { email: string; password: string }): Promise<string> => {
    const login = await httpJson('POST', `${auth.url}/auth/login`, {
      body: { email: account.email, password: account.password },
    });
    expect(login.status).toBe(200);
    return login.body.access_token;
  };

  /** Every page of `GET /admin/users` with these filters, two at a time (so paging is exercised). */
  const listAll = async (filters: string): Promise<Listed[]> => {
    const seen: Listed[] = [];
    let cursor: string | null = null;
    do {
      const query: string = `?limit=2${filters}${cursor ? `&cursor=${cursor}` : ''}`;
      const page = await httpJson('GET', `${auth.url}/admin/users${query}`, { token: adminToken });
      expect(page.status).toBe(200);
      seen.push(...page.body.data);
      cursor = page.body.next_cursor;
    } while (cursor);
    return seen;
  };

  beforeAll(async () => {
    auth = await startAuth('auth_admin');
    const admin = { email: 'chief@example.com', username: 'chief', password: 'admin password 1' };
    await ensureAdmin(admin, auth.parts);
    adminToken = await loginAs(admin);
    adminId = (await httpJson('GET', `${auth.url}/users/me`, { token: adminToken })).body.id;
  });
  afterAll(() => auth.close());

  it('searches by e-mail or username and filters by role and activity', async () => {
    const tag = `srch${Date.now().toString(36)}`;
    const a = await registerAndLogin(auth.url, { email: `${tag}.ann@example.com`, username: `ann_${tag}` });
    const b = await registerAndLogin(auth.url, { email: `bob@${tag}.example.com`, username: `bob_${tag}` });
    const c = await registerAndLogin(auth.url, { username: `${tag}_cy` });
    await registerAndLogin(auth.url); // matches nothing
    await httpJson('PATCH', `${auth.url}/admin/users/${b.user.id}`, {
      token: adminToken,
      body: { is_active: false },
    });

    const ids = (rows: Listed[]) => rows.map((row) => row.id);
    // Case-insensitive, in the e-mail or the username, oldest first.
    expect(ids(await listAll(`&q=${tag.toUpperCase()}`))).toEqual([a.user.id, b.user.id, c.user.id]);
    expect(ids(await listAll(`&q=${tag}&is_active=false`))).toEqual([b.user.id]);
    expect(ids(await listAll(`&q=${tag}&is_active=true`))).toEqual([a.user.id, c.user.id]);
    expect(ids(await listAll(`&q=ann_${tag}`))).toEqual([a.user.id]);
    const admins = await listAll('&role=admin');
    expect(admins.map((row) => row.role)).toEqual(admins.map(() => 'admin'));
    expect(ids(admins)).toContain(adminId);
    expect(ids(await listAll(`&q=${tag}&role=admin`))).toEqual([]);
    // LIKE's wildcards are taken literally: `_` and `%` match only themselves.
    expect(ids(await listAll(`&q=${encodeURIComponent('%')}`))).toEqual([]);
    expect(ids(await listAll(`&q=n_${tag}`))).toEqual([a.user.id]);
  });

  it('refuses bad filters with 400 naming the parameter', async () => {
    for (const [query, field] of [
      ['role=root', 'query.role'],
      ['is_active=yes', 'query.is_active'],
      ['q=', 'query.q'],
      [`q=${'x'.repeat(255)}`, 'query.q'],
      ['q=a%0Ab', 'query.q'],
      ['sort=email', 'query.sort'],
    ]) {
      const res = await httpJson('GET', `${auth.url}/admin/users?${query}`, { token: adminToken });
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    }
  });

  it('reads one user by id; an unknown id is a 404', async () => {
    const { user } = await registerAndLogin(auth.url);
    const one = await httpJson('GET', `${auth.url}/admin/users/${user.id}`, { token: adminToken });
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ id: user.id, email: user.email, role: 'user', is_active: true });
    expect(one.body).not.toHaveProperty('password_hash');
    const missing = await httpJson('GET', `${auth.url}/admin/users/00000000-0000-4000-8000-000000000000`, {
      token: adminToken,
    });
    expect(missing.status).toBe(404);
    const badId = await httpJson('GET', `${auth.url}/admin/users/nope`, { token: adminToken });
    expect(badId.body.errors[0].field).toBe('params.id');
  });

  it('revokes every session of a user: access and refresh tokens refused, the account still usable', async () => {
    const { account, user, accessToken, refreshToken } = await registerAndLogin(auth.url);
    const [{ sv }] = await auth.dataSource.query(`SELECT session_version AS sv FROM users WHERE id = $1`, [
      user.id,
    ]);
    const revoked = await httpJson('POST', `${auth.url}/admin/users/${user.id}/revoke-sessions`, {
      token: adminToken,
    });
    expect(revoked.status).toBe(204);
    expect((await httpJson('GET', `${auth.url}/users/me`, { token: accessToken })).status).toBe(401);
    const refresh = await httpJson('POST', `${auth.url}/auth/refresh`, {
      body: { refresh_token: refreshToken },
    });
    expect(refresh.status).toBe(401);
    // The revocation reaches the other services: a feed row and an auth.user.updated with the new version.
    const feed = await auth.dataSource.query(
      `SELECT session_version FROM session_revocations WHERE user_id = $1`,
      [user.id],
    );
    expect(feed).toEqual([{ session_version: sv + 1 }]);
    const [event] = await auth.dataSource.query(
      `SELECT envelope FROM outbox WHERE envelope->>'aggregateId' = $1 AND type = 'auth.user.updated'`,
      [user.id],
    );
    expect(event.envelope.payload).toMatchObject({ sessionVersion: sv + 1, isActive: true });
    expect(await loginAs(account)).toEqual(expect.any(String));

    const missing = await httpJson(
      'POST',
      `${auth.url}/admin/users/00000000-0000-4000-8000-000000000000/revoke-sessions`,
      { token: adminToken },
    );
    expect(missing.status).toBe(404);
    const withField = await httpJson('POST', `${auth.url}/admin/users/${user.id}/revoke-sessions`, {
      token: adminToken,
      body: { all: true },
    });
    expect(withField.status).toBe(400);
    expect(withField.body.errors[0].field).toBe('body.all');
  });

  it('answers 403 problem+json to a user on every admin route, 401 without a token', async () => {
    const { user, accessToken } = await registerAndLogin(auth.url);
    const routes: Array<[string, string, unknown?]> = [
      ['GET', '/admin/users'],
      ['GET', `/admin/users/${user.id}`],
      ['PATCH', `/admin/users/${user.id}`, { role: 'admin' }],
      ['POST', `/admin/users/${user.id}/revoke-sessions`],
      ['GET', '/admin/audit'],
    ];
    for (const [method, path, body] of routes) {
      const res = await httpJson(method, `${auth.url}${path}`, { token: accessToken, body });
      expect(res.status).toBe(403);
      expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
      expect((await httpJson(method, `${auth.url}${path}`, { body })).status).toBe(401);
    }
    const [row] = await auth.dataSource.query(`SELECT role FROM users WHERE id = $1`, [user.id]);
    expect(row.role).toBe('user');
  });

  it('never leaves the system without an active admin, even when two admins demote each other at once', async () => {
    const activeAdmins = async (): Promise<number> =>
      (
        await auth.dataSource.query(`SELECT count(*)::int AS n FROM users WHERE role = 'admin' AND is_active`)
      )[0].n;
    // The store refuses to demote or deactivate the only active admin (the route refuses self-demotion first).
    expect(await activeAdmins()).toBe(1);
    await expect(auth.parts.users.updateByAdmin(adminId, { role: 'user' })).rejects.toMatchObject({
      status: 409,
    });
    await expect(auth.parts.users.updateByAdmin(adminId, { isActive: false })).rejects.toMatchObject({
      status: 409,
    });

    for (let round = 0; round < 4; round += 1) {
      const first = newAccount();
      const second = newAccount();
      await ensureAdmin(first, auth.parts);
      await ensureAdmin(second, auth.parts);
      const [firstToken, secondToken] = await Promise.all([loginAs(first), loginAs(second)]);
      const idOf = async (token: string) =>
        (await httpJson('GET', `${auth.url}/users/me`, { token })).body.id as string;
      const [firstId, secondId] = await Promise.all([idOf(firstToken), idOf(secondToken)]);
      // Make them the only two active admins.
      await auth.dataSource.query(`UPDATE users SET role = 'user' WHERE role = 'admin' AND id <> ALL($1)`, [
        [firstId, secondId],
      ]);
      const change = round % 2 === 0 ? { role: 'user' } : { is_active: false };
      const answers = await Promise.all([
        httpJson('PATCH', `${auth.url}/admin/users/${secondId}`, { token: firstToken, body: change }),
        httpJson('PATCH', `${auth.url}/admin/users/${firstId}`, { token: secondToken, body: change }),
      ]);
      const statuses = answers.map((answer) => answer.status).sort();
      // One wins; the other is refused: a 409 (last admin) or, when its own demotion already revoked its token, a 401/403.
      expect(statuses[0]).toBe(200);
      expect([401, 403, 409]).toContain(statuses[1]);
      const refused = answers.find((answer) => answer.status === 409);
      if (refused) {
        expect(refused.headers.get('content-type')).toMatch(/application\/problem\+json/);
        expect(refused.body.detail).toMatch(/last active admin/);
      }
      expect(await activeAdmins()).toBe(1);
    }
    // Put the first admin back as the only one (other tests use its token, whose session was never bumped).
    await auth.dataSource.query(`UPDATE users SET role = 'user' WHERE role = 'admin'`);
    await auth.dataSource.query(`UPDATE users SET role = 'admin' WHERE id = $1`, [adminId]);
  });

  it('counts its users at /internal/stats (for the gateway’s GET /admin/stats)', async () => {
    const res = await httpJson('GET', `${auth.url}/internal/stats`);
    expect(res.status).toBe(200);
    const [row] = await auth.dataSource.query(
      `SELECT count(*)::int AS users, (count(*) FILTER (WHERE is_active))::int AS active_users,
              (count(*) FILTER (WHERE is_active AND role = 'admin'))::int AS active_admins FROM users`,
    );
    expect(row.users).toBeGreaterThan(3);
    expect(res.body).toMatchObject({ service: 'auth', counts: row, outbox: { pending: expect.any(Number) } });
  });

  it('promotes an existing account to admin by e-mail alone (create-admin --promote), ending its sessions', async () => {
    const { account, user, accessToken } = await registerAndLogin(auth.url);
    expect(await promoteToAdmin(account.email.toUpperCase(), auth.parts)).toBe('promoted');
    expect(await promoteToAdmin(account.email, auth.parts)).toBe('unchanged');
    expect((await httpJson('GET', `${auth.url}/users/me`, { token: accessToken })).status).toBe(401);
    const token = await loginAs(account);
    expect((await httpJson('GET', `${auth.url}/admin/users/${user.id}`, { token })).body.role).toBe('admin');
    const [audit] = await auth.dataSource.query(
      `SELECT actor_id, details FROM audit_events WHERE subject_id = $1 AND action = 'user.role-changed'`,
      [user.id],
    );
    expect(audit).toEqual({ actor_id: null, details: { from: 'user', to: 'admin' } });
    await expect(promoteToAdmin('nobody@example.com', auth.parts)).rejects.toBeInstanceOf(
      AdminBootstrapError,
    );
    await expect(promoteToAdmin('not an e-mail', auth.parts)).rejects.toBeInstanceOf(AdminBootstrapError);
    await auth.parts.users.updateByAdmin(user.id, { role: 'user' });
  });
});
