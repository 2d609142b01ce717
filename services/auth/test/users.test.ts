import { httpJson, waitFor } from '@finance/shared/testing';
import { ensureAdmin } from '../src/data/admin-bootstrap';
import { newAccount, registerAndLogin, startAuth, type AuthService } from './fixtures';

interface OutboxRow {
  type: string;
  envelope: {
    userId: string;
    aggregateId: string;
    aggregateVersion: number;
    correlationId: string;
    payload: Record<string, unknown>;
  };
}

describe('auth: profile, account deletion, admin, events', () => {
  let auth: AuthService;
  beforeAll(async () => {
    auth = await startAuth('auth_users');
  });
  afterAll(() => auth.close());

  const eventsOf = (userId: string): Promise<OutboxRow[]> =>
    auth.dataSource.query(
      `SELECT type, envelope FROM outbox WHERE envelope->>'aggregateId' = $1 ORDER BY position`,
      [userId],
    );
  const outboxCount = async (): Promise<number> =>
    (await auth.dataSource.query(`SELECT count(*)::int AS n FROM outbox`))[0].n;

  it('writes auth.user.registered with the profile and version 1, correlated with the request', async () => {
    const account = newAccount({ base_currency: 'JPY', timezone: 'Asia/Tokyo' });
    const res = await httpJson('POST', `${auth.url}/auth/register`, {
      body: account,
      headers: { 'x-request-id': 'register-req-1' },
    });
    expect(res.status).toBe(201);
    const events = await eventsOf(res.body.id);
    expect(events).toEqual([
      {
        type: 'auth.user.registered',
        envelope: expect.objectContaining({
          userId: res.body.id,
          aggregateId: res.body.id,
          aggregateVersion: 1,
          correlationId: 'register-req-1',
          payload: {
            email: account.email,
            username: account.username,
            baseCurrency: 'JPY',
            timezone: 'Asia/Tokyo',
            role: 'user',
            sessionVersion: 0,
            isActive: true,
          },
        }),
      },
    ]);
  });

  it('writes no event when the change fails', async () => {
    const { account, accessToken } = await registerAndLogin(auth.url);
    const other = await registerAndLogin(auth.url);
    const before = await outboxCount();
    const dupRegister = await httpJson('POST', `${auth.url}/auth/register`, {
      body: newAccount({ email: account.email }),
    });
    expect(dupRegister.status).toBe(409);
    const dupUpdate = await httpJson('PUT', `${auth.url}/users/me`, {
      token: accessToken,
      body: { username: other.account.username },
    });
    expect(dupUpdate.status).toBe(409);
    expect(dupUpdate.body.errors).toEqual([{ field: 'body.username', message: expect.any(String) }]);
    const wrongDelete = await httpJson('DELETE', `${auth.url}/users/me`, {
      token: accessToken,
      body: { password: 'not-my-password' },
    });
    expect(wrongDelete.status).toBe(403);
    expect(await outboxCount()).toBe(before);
  });

  it('commits the user and its event together: no outbox, no user', async () => {
    const account = newAccount();
    await auth.dataSource.query(`ALTER TABLE outbox RENAME TO outbox_unavailable`);
    try {
      const res = await httpJson('POST', `${auth.url}/auth/register`, { body: account });
      expect(res.status).toBe(500);
      expect(JSON.stringify(res.body)).not.toContain('outbox');
    } finally {
      await auth.dataSource.query(`ALTER TABLE outbox_unavailable RENAME TO outbox`);
    }
    const rows = await auth.dataSource.query(`SELECT id FROM users WHERE email = $1`, [account.email]);
    expect(rows).toEqual([]);
    expect((await httpJson('POST', `${auth.url}/auth/register`, { body: account })).status).toBe(201);
  });

  it('reads and updates the profile, bumping the version and writing auth.user.updated', async () => {
    const { account, user, accessToken } = await registerAndLogin(auth.url);
    const me = await httpJson('GET', `${auth.url}/users/me`, { token: accessToken });
    expect(me.body).toMatchObject({ id: user.id, email: user.email, role: 'user' });

    const updated = await httpJson('PUT', `${auth.url}/users/me`, {
      token: accessToken,
      body: {
        email: `New.${user.email}`,
        base_currency: 'gbp',
        timezone: 'Europe/London',
        current_password: account.password,
      },
    });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({
      email: `new.${user.email}`,
      username: user.username,
      base_currency: 'GBP',
      timezone: 'Europe/London',
    });
    // Setting what is already there changes nothing and emits nothing.
    const same = await httpJson('PUT', `${auth.url}/users/me`, {
      token: accessToken,
      body: { timezone: 'Europe/London' },
    });
    expect(same.status).toBe(200);

    const events = await eventsOf(user.id);
    expect(events.map((e) => [e.type, e.envelope.aggregateVersion])).toEqual([
      ['auth.user.registered', 1],
      ['auth.user.updated', 2],
    ]);
    expect(events[1].envelope.payload).toMatchObject({ email: `new.${user.email}`, baseCurrency: 'GBP' });
    const [row] = await auth.dataSource.query(`SELECT version FROM users WHERE id = $1`, [user.id]);
    expect(row.version).toBe(2);
  });

  it.each([
    [{ role: 'admin' }, 'body.role'],
    [{ id: '00000000-0000-4000-8000-000000000000' }, 'body.id'],
    [{ is_active: false }, 'body.is_active'],
    [{ password: 'sneaky-new-password' }, 'body.password'],
    [{ email: 'bad' }, 'body.email'],
    [{ username: 'NO SPACES' }, 'body.username'],
    [{ username: 'bell\u0007' }, 'body.username'],
    [{ username: 'rtl\u202eevil' }, 'body.username'],
    [{ username: 'carriage_return\r' }, 'body.username'],
    [{ timezone: 'Nowhere/Land' }, 'body.timezone'],
    [{ base_currency: 'ABC' }, 'body.base_currency'],
  ])('PUT /users/me rejects %j with 400 naming %s', async (body, field) => {
    const { accessToken, user } = await registerAndLogin(auth.url);
    const res = await httpJson('PUT', `${auth.url}/users/me`, { token: accessToken, body });
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    const [row] = await auth.dataSource.query(`SELECT role, version FROM users WHERE id = $1`, [user.id]);
    expect(row).toEqual({ role: 'user', version: 1 });
  });

  it('changes the e-mail address only with the current password (a stolen access token is not enough)', async () => {
    const { account, user, accessToken } = await registerAndLogin(auth.url);
    const row = async () =>
      (await auth.dataSource.query(`SELECT email, username, version FROM users WHERE id = $1`, [user.id]))[0];
    const before = await row();
    const eventsBefore = await outboxCount();
    const missing = await httpJson('PUT', `${auth.url}/users/me`, {
      token: accessToken,
      body: { email: `thief.${user.email}`, username: `${user.username}_x` },
    });
    expect(missing.status).toBe(400);
    expect(missing.headers.get('content-type')).toContain('application/problem+json');
    expect(missing.body.errors).toEqual([{ field: 'body.current_password', message: expect.any(String) }]);
    const wrong = await httpJson('PUT', `${auth.url}/users/me`, {
      token: accessToken,
      body: { email: `thief.${user.email}`, current_password: 'not the password' },
    });
    expect(wrong.status).toBe(403);
    expect(wrong.body.errors).toEqual([{ field: 'body.current_password', message: expect.any(String) }]);
    expect(await row()).toEqual(before);
    expect(await outboxCount()).toBe(eventsBefore);
    // The same e-mail in another letter case is no change, so it needs no password.
    const same = await httpJson('PUT', `${auth.url}/users/me`, {
      token: accessToken,
      body: { email: user.email.toUpperCase(), timezone: 'Asia/Kolkata' },
    });
    expect(same.status).toBe(200);
    expect(same.body).toMatchObject({ email: user.email, timezone: 'Asia/Kolkata' });
    const right = await httpJson('PUT', `${auth.url}/users/me`, {
      token: accessToken,
      body: { email: `moved.${user.email}`, current_password: account.password },
    });
    expect(right.status).toBe(200);
    expect(right.body.email).toBe(`moved.${user.email}`);
    // It is documented for clients.
    const doc = (await httpJson('GET', `${auth.url}/openapi.json`)).body;
    expect(doc.paths['/users/me'].put.description).toMatch(/e-mail address needs `current_password`/);
  });

  it('needs a token for /users/me', async () => {
    const res = await httpJson('GET', `${auth.url}/users/me`);
    expect(res.status).toBe(401);
  });

  it('deletes the account with its password: 204, sessions gone, auth.user.deleted written', async () => {
    const { account, user, accessToken, refreshToken } = await registerAndLogin(auth.url);
    const missing = await httpJson('DELETE', `${auth.url}/users/me`, { token: accessToken, body: {} });
    expect(missing.status).toBe(400);
    expect(missing.body.errors[0].field).toBe('body.password');
    const res = await httpJson('DELETE', `${auth.url}/users/me`, {
      token: accessToken,
      body: { password: account.password },
    });
    expect(res.status).toBe(204);
    expect((await httpJson('GET', `${auth.url}/users/me`, { token: accessToken })).status).toBe(401);
    const refresh = await httpJson('POST', `${auth.url}/auth/refresh`, {
      body: { refresh_token: refreshToken },
    });
    expect(refresh.status).toBe(401);
    const login = await httpJson('POST', `${auth.url}/auth/login`, {
      body: { email: account.email, password: account.password },
    });
    expect(login.status).toBe(401);
    const events = await eventsOf(user.id);
    expect(events.map((e) => [e.type, e.envelope.aggregateVersion])).toEqual([
      ['auth.user.registered', 1],
      ['auth.user.deleted', 2],
    ]);
    // auth.user.deleted comes back to auth's own consumer (the shared user directory): the user is
    // a tombstone here too, so the relay's prune erases any event of theirs still unsent at deletion.
    await waitFor(
      async () =>
        (await auth.dataSource.query(`SELECT 1 FROM deleted_users WHERE user_id = $1`, [user.id])).length ===
        1,
      { description: 'auth to record its own auth.user.deleted' },
    );
    // The e-mail is free again.
    expect((await httpJson('POST', `${auth.url}/auth/register`, { body: account })).status).toBe(201);
  });

  describe('admin', () => {
    const admin = { email: 'Root@Example.com', username: 'root', password: 'admin password 1' };
    let adminToken: string;
    let adminId: string;

    beforeAll(async () => {
      const deps = auth.parts;
      expect(await ensureAdmin(admin, deps)).toBe('created');
      // Idempotent: a second run (every start of the service) changes nothing.
      expect(await ensureAdmin({ ...admin, password: 'another password' }, deps)).toBe('unchanged');
      const login = await httpJson('POST', `${auth.url}/auth/login`, {
        body: { email: admin.email, password: admin.password },
      });
      expect(login.status).toBe(200);
      adminToken = login.body.access_token;
      adminId = (await httpJson('GET', `${auth.url}/users/me`, { token: adminToken })).body.id;
    });

    it('bootstraps an admin whose token carries the admin role', async () => {
      const me = await httpJson('GET', `${auth.url}/users/me`, { token: adminToken });
      expect(me.body).toMatchObject({ email: 'root@example.com', username: 'root', role: 'admin' });
      const events = await eventsOf(adminId);
      expect(events.map((e) => e.type)).toEqual(['auth.user.registered']);
      expect(events[0].envelope.payload.role).toBe('admin');
    });

    it('promotes an existing user when bootstrapped with their e-mail', async () => {
      const { account, user } = await registerAndLogin(auth.url);
      expect(await ensureAdmin({ ...account, password: 'whatever password' }, auth.parts)).toBe('promoted');
      const [row] = await auth.dataSource.query(`SELECT role FROM users WHERE id = $1`, [user.id]);
      expect(row.role).toBe('admin');
      const login = await httpJson('POST', `${auth.url}/auth/login`, {
        body: { email: account.email, password: account.password },
      });
      expect(login.status).toBe(200); // the password was kept
    });

    it('refuses admin routes to a normal user with 403', async () => {
      const { accessToken, user } = await registerAndLogin(auth.url);
      expect((await httpJson('GET', `${auth.url}/admin/users`, { token: accessToken })).status).toBe(403);
      const patch = await httpJson('PATCH', `${auth.url}/admin/users/${user.id}`, {
        token: accessToken,
        body: { role: 'admin' },
      });
      expect(patch.status).toBe(403);
      expect((await httpJson('GET', `${auth.url}/admin/users`)).status).toBe(401);
    });

    it('lists users with keyset pagination', async () => {
      const total = (await auth.dataSource.query(`SELECT count(*)::int AS n FROM users`))[0].n as number;
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const query: string = cursor ? `?limit=3&cursor=${cursor}` : '?limit=3';
        const page = await httpJson('GET', `${auth.url}/admin/users${query}`, { token: adminToken });
        expect(page.status).toBe(200);
        expect(page.body.data.length).toBeLessThanOrEqual(3);
        seen.push(...page.body.data.map((u: { id: string }) => u.id));
        cursor = page.body.next_cursor;
      } while (cursor);
      expect(seen.length).toBe(total);
      expect(new Set(seen).size).toBe(total);
      const bad = await httpJson('GET', `${auth.url}/admin/users?cursor=garbage`, { token: adminToken });
      expect(bad.status).toBe(400);
      expect(bad.body.errors[0].field).toBe('query.cursor');
      const tooMany = await httpJson('GET', `${auth.url}/admin/users?limit=201`, { token: adminToken });
      expect(tooMany.status).toBe(400);
    });

    it('deactivates a user (ending their sessions) and changes roles', async () => {
      const { account, user, refreshToken } = await registerAndLogin(auth.url);
      const off = await httpJson('PATCH', `${auth.url}/admin/users/${user.id}`, {
        token: adminToken,
        body: { is_active: false },
      });
      expect(off.status).toBe(200);
      expect(off.body.is_active).toBe(false);
      expect(
        (await httpJson('POST', `${auth.url}/auth/refresh`, { body: { refresh_token: refreshToken } }))
          .status,
      ).toBe(401);
      const login = await httpJson('POST', `${auth.url}/auth/login`, {
        body: { email: account.email, password: account.password },
      });
      expect(login.status).toBe(401);

      const promoted = await httpJson('PATCH', `${auth.url}/admin/users/${user.id}`, {
        token: adminToken,
        body: { is_active: true, role: 'admin' },
      });
      expect(promoted.body).toMatchObject({ is_active: true, role: 'admin' });
      const events = await eventsOf(user.id);
      expect(events.map((e) => [e.type, e.envelope.aggregateVersion])).toEqual([
        ['auth.user.registered', 1],
        ['auth.user.updated', 2],
        ['auth.user.updated', 3],
      ]);
    });

    it('validates admin input and refuses self-demotion', async () => {
      const unknownField = await httpJson('PATCH', `${auth.url}/admin/users/${adminId}`, {
        token: adminToken,
        body: { email: 'x@example.com' },
      });
      expect(unknownField.status).toBe(400);
      expect(unknownField.body.errors[0].field).toBe('body.email');
      const badRole = await httpJson('PATCH', `${auth.url}/admin/users/${adminId}`, {
        token: adminToken,
        body: { role: 'superuser' },
      });
      expect(badRole.body.errors[0].field).toBe('body.role');
      const badId = await httpJson('PATCH', `${auth.url}/admin/users/not-a-uuid`, {
        token: adminToken,
        body: {},
      });
      expect(badId.status).toBe(400);
      expect(badId.body.errors[0].field).toBe('params.id');
      const missing = await httpJson(
        'PATCH',
        `${auth.url}/admin/users/00000000-0000-4000-8000-000000000000`,
        {
          token: adminToken,
          body: { role: 'user' },
        },
      );
      expect(missing.status).toBe(404);
      const self = await httpJson('PATCH', `${auth.url}/admin/users/${adminId}`, {
        token: adminToken,
        body: { role: 'user' },
      });
      expect(self.status).toBe(409);
    });

    it('stops an admin who was demoted, even while their token still says admin (the role change revoked it)', async () => {
      const { account, user } = await registerAndLogin(auth.url);
      await httpJson('PATCH', `${auth.url}/admin/users/${user.id}`, {
        token: adminToken,
        body: { role: 'admin' },
      });
      const login = await httpJson('POST', `${auth.url}/auth/login`, {
        body: { email: account.email, password: account.password },
      });
      await httpJson('PATCH', `${auth.url}/admin/users/${user.id}`, {
        token: adminToken,
        body: { role: 'user' },
      });
      const res = await httpJson('GET', `${auth.url}/admin/users`, { token: login.body.access_token });
      expect(res.status).toBe(401);
    });
  });

  it('relays the outbox to RabbitMQ (the relay startService runs)', async () => {
    const { user } = await registerAndLogin(auth.url);
    await waitFor(
      async () =>
        (
          await auth.dataSource.query(
            `SELECT sent_at FROM outbox WHERE envelope->>'aggregateId' = $1 AND sent_at IS NOT NULL`,
            [user.id],
          )
        ).length === 1,
      { description: 'the registration event to be confirmed by the broker' },
    );
  });

  it('housekeeping forgets dead refresh-token families, spent throttle buckets and old revocations, nothing else', async () => {
    const live = await registerAndLogin(auth.url);
    const dead = await registerAndLogin(auth.url);
    await auth.dataSource.query(
      `UPDATE refresh_tokens SET expires_at = now() - interval '1 day'
        WHERE family_id IN (SELECT id FROM refresh_token_families WHERE user_id = $1)`,
      [dead.user.id],
    );
    await auth.dataSource.query(
      `INSERT INTO login_throttle (kind, account_key, client_ip, attempts, locked_until, last_attempt_at)
       VALUES ('pair', 'login:old', '10.0.0.1', 3, now() - interval '20 minutes', now() - interval '1 hour'),
              ('pair', 'login:locked', '10.0.0.1', 12, now() + interval '5 minutes', now() - interval '1 hour'),
              ('pair', 'login:new', '10.0.0.1', 1, NULL, now())`,
    );
    await auth.dataSource.query(
      `INSERT INTO session_revocations (user_id, session_version, at)
       VALUES ($1, 1, now() - interval '17 minutes'), ($1, 2, now())`,
      [live.user.id],
    );
    // The service's own job (its timer runs every 5 minutes): one round now.
    await auth.parts.housekeeping.runOnce();
    const families = await auth.dataSource.query(
      `SELECT user_id FROM refresh_token_families WHERE user_id = ANY($1)`,
      [[live.user.id, dead.user.id]],
    );
    expect(families.map((f: { user_id: string }) => f.user_id)).toEqual([live.user.id]);
    const buckets = await auth.dataSource.query(
      `SELECT account_key FROM login_throttle WHERE client_ip = '10.0.0.1' ORDER BY account_key`,
    );
    expect(buckets).toEqual([{ account_key: 'login:locked' }, { account_key: 'login:new' }]);
    const revocations = await auth.dataSource.query(
      `SELECT session_version FROM session_revocations WHERE user_id = $1`,
      [live.user.id],
    );
    expect(revocations).toEqual([{ session_version: 2 }]);
    const refresh = await httpJson('POST', `${auth.url}/auth/refresh`, {
      body: { refresh_token: live.refreshToken },
    });
    expect(refresh.status).toBe(200);
  });

  it('documents every route in /openapi.json, with the OAuth2 form on login', async () => {
    const doc = (await httpJson('GET', `${auth.url}/openapi.json`)).body;
    expect(Object.keys(doc.paths).sort()).toEqual(
      [
        '/.well-known/jwks.json',
        '/admin/audit',
        '/admin/users',
        '/admin/users/{id}',
        '/admin/users/{id}/revoke-sessions',
        '/auth/login',
        '/auth/logout',
        '/auth/logout-all',
        '/auth/refresh',
        '/internal/session-revocations',
        '/auth/register',
        '/users/me',
        '/users/me/password',
        '/users/me/security-events',
      ].sort(),
    );
    expect(Object.keys(doc.paths['/auth/login'].post.requestBody.content)).toEqual([
      'application/json',
      'application/x-www-form-urlencoded',
    ]);
    expect(doc.paths['/auth/register'].post.security).toEqual([]);
    expect(JSON.stringify(doc.paths['/users/me'].get.responses['200'])).toContain('User');
  });
});

describe('auth: deleting an account erases its published events', () => {
  let auth: AuthService;
  beforeAll(async () => {
    auth = await startAuth('auth_erase');
    // Auth's own consumer erases them too once auth.user.deleted comes back to it (the shared user
    // directory's handling). Stopped, so that what this test sees is the deletion's own transaction.
    await auth.consumer.stop();
  });
  afterAll(() => auth.close());

  const eventsOf = (userId: string): Promise<Array<OutboxRow & { sent_at: Date | null }>> =>
    auth.dataSource.query(
      `SELECT type, envelope, sent_at FROM outbox WHERE envelope->>'userId' = $1 ORDER BY position`,
      [userId],
    );
  const allSent = async (userId: string, count: number) => {
    const events = await eventsOf(userId);
    return events.length === count && events.every((e) => e.sent_at !== null);
  };

  it('erases the payloads (e-mail, username…) of the user’s already published events with the deletion, and nobody else’s', async () => {
    const { account, user, accessToken } = await registerAndLogin(auth.url);
    const other = await registerAndLogin(auth.url);
    const renamed = `${account.username}_2`;
    const update = await httpJson('PUT', `${auth.url}/users/me`, {
      token: accessToken,
      body: { username: renamed },
    });
    expect(update.status).toBe(200);
    await waitFor(async () => (await allSent(user.id, 2)) && (await allSent(other.user.id, 1)), {
      description: 'the relay to publish the registrations and the update',
    });
    // A deletion refused (wrong password) erases nothing.
    const refused = await httpJson('DELETE', `${auth.url}/users/me`, {
      token: accessToken,
      body: { password: 'not my password' },
    });
    expect(refused.status).toBe(403);
    expect((await eventsOf(user.id)).map((e) => e.envelope.payload.username)).toEqual([
      account.username,
      renamed,
    ]);

    const deleted = await httpJson('DELETE', `${auth.url}/users/me`, {
      token: accessToken,
      body: { password: account.password },
    });
    expect(deleted.status).toBe(204);
    const events = await eventsOf(user.id);
    expect(events.map((e) => [e.type, e.envelope.aggregateVersion, e.envelope.payload])).toEqual([
      ['auth.user.registered', 1, {}],
      ['auth.user.updated', 2, {}],
      ['auth.user.deleted', 3, {}],
    ]);
    const text = JSON.stringify(events);
    for (const personal of [account.email, account.username, renamed]) expect(text).not.toContain(personal);
    // The rest of the envelope stays (the relay's bookkeeping), and so do other users' payloads.
    expect(events[0].envelope).toMatchObject({ userId: user.id, aggregateId: user.id });
    const [others] = await eventsOf(other.user.id);
    expect(others.envelope.payload).toMatchObject({
      email: other.account.email,
      username: other.account.username,
    });
    // The deletion itself is still published.
    await waitFor(() => allSent(user.id, 3), { description: 'auth.user.deleted to be published' });
  });
});
