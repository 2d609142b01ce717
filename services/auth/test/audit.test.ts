import { httpJson } from '@finance/shared/testing';
import { ensureAdmin } from '../src/data/admin-bootstrap';
import { newAccount, registerAndLogin, startAuth, testClock, type AuthService } from './fixtures';

const PROXY_SECRET = 'a proxy secret of the test';
const GATEWAY_SAW = '203.0.113.7';

interface AuditRow {
  action: string;
  actor_id: string | null;
  user_id: string | null;
  client_ip: string | null;
  user_agent: string | null;
  details: Record<string, unknown>;
}

describe('auth: the audit log', () => {
  let auth: AuthService;
  const clock = testClock();
  let adminToken: string;
  let adminId: string;

  /** As the gateway sends it: the client's address in X-Forwarded-For, the proxy secret, the client's user agent. */
  const viaGateway = (agent: string) => ({
    'x-forwarded-for': GATEWAY_SAW,
    'x-proxy-secret': PROXY_SECRET,
    'user-agent': agent,
  });

  /** Every page of the admin's audit query, newest first. */
  const auditOf = async (filters: string): Promise<AuditRow[]> => {
    const rows: AuditRow[] = [];
    let cursor: string | null = null;
    do {
      const query: string = `?limit=3${filters}${cursor ? `&cursor=${cursor}` : ''}`;
      const page = await httpJson('GET', `${auth.url}/admin/audit${query}`, { token: adminToken });
      expect(page.status).toBe(200);
      rows.push(...page.body.data);
      cursor = page.body.next_cursor;
    } while (cursor);
    return rows;
  };

  beforeAll(async () => {
    auth = await startAuth('auth_audit', {
      clock: clock.now,
      env: {
        PROXY_SECRET,
        LOGIN_MAX_FAILURES: '3',
        REFRESH_REUSE_GRACE_SECONDS: '0',
        AUDIT_RETENTION_DAYS: '30',
      },
    });
    const admin = { email: 'auditor@example.com', username: 'auditor', password: 'admin password 1' };
    await ensureAdmin(admin, auth.parts);
    const login = await httpJson('POST', `${auth.url}/auth/login`, {
      body: { email: admin.email, password: admin.password },
    });
    adminToken = login.body.access_token;
    adminId = (await httpJson('GET', `${auth.url}/users/me`, { token: adminToken })).body.id;
  });
  afterAll(() => auth.close());

  it('records a user’s own security actions with the client address the gateway saw and the user agent', async () => {
    const account = newAccount();
    const headers = viaGateway('AuditTest/1.0');
    const registered = await httpJson('POST', `${auth.url}/auth/register`, { body: account, headers });
    const id = registered.body.id as string;
    const wrong = await httpJson('POST', `${auth.url}/auth/login`, {
      body: { email: account.email, password: 'not the password' },
      headers,
    });
    expect(wrong.status).toBe(401);
    const login = await httpJson('POST', `${auth.url}/auth/login`, {
      body: { email: account.email, password: account.password },
      headers,
    });
    const token = login.body.access_token as string;
    // The refresh token used twice (no grace in this test): reuse detected, family revoked.
    const first = login.body.refresh_token as string;
    await httpJson('POST', `${auth.url}/auth/refresh`, { body: { refresh_token: first }, headers });
    expect(
      (await httpJson('POST', `${auth.url}/auth/refresh`, { body: { refresh_token: first }, headers }))
        .status,
    ).toBe(401);
    const newEmail = `changed.${account.email}`;
    const changed = await httpJson('PUT', `${auth.url}/users/me`, {
      token,
      body: { email: newEmail, current_password: account.password },
      headers,
    });
    expect(changed.status).toBe(200);
    const password = await httpJson('PUT', `${auth.url}/users/me/password`, {
      token,
      body: { current_password: account.password, new_password: 'a brand new password' },
      headers,
    });
    expect(password.status).toBe(204);
    const again = await httpJson('POST', `${auth.url}/auth/login`, {
      body: { email: newEmail, password: 'a brand new password' },
      headers,
    });
    await httpJson('POST', `${auth.url}/auth/logout-all`, { token: again.body.access_token, headers });

    const rows = await auditOf(`&user_id=${id}`);
    expect(rows.map((row) => row.action).reverse()).toEqual([
      'user.registered',
      'login.failed',
      'login.succeeded',
      'refresh-token.reuse-detected',
      'email.changed',
      'password.changed',
      'login.succeeded',
      'sessions.ended',
    ]);
    for (const row of rows) {
      expect(row).toMatchObject({ user_id: id, client_ip: GATEWAY_SAW, user_agent: 'AuditTest/1.0' });
      // Nobody known acts in a failed login or a reuse; the user does the rest.
      expect(row.actor_id).toBe(
        ['login.failed', 'refresh-token.reuse-detected'].includes(row.action) ? null : id,
      );
    }
    expect(rows.find((row) => row.action === 'login.failed')?.details).toEqual({ reason: 'password' });
    // Nothing secret in the log: no password, token or e-mail address.
    const text = JSON.stringify(rows);
    for (const secret of [account.password, 'a brand new password', first, token, account.email])
      expect(text).not.toContain(secret);

    // The user sees the same, with who initiated it instead of ids.
    const own = await httpJson('GET', `${auth.url}/users/me/security-events?limit=200`, {
      token: again.body.access_token,
    });
    expect(own.status).toBe(401); // logout-all ended that session
    const fresh = await httpJson('POST', `${auth.url}/auth/login`, {
      body: { email: newEmail, password: 'a brand new password' },
    });
    const mine = await httpJson('GET', `${auth.url}/users/me/security-events?limit=200`, {
      token: fresh.body.access_token,
    });
    expect(mine.status).toBe(200);
    expect(mine.body.data[0]).toMatchObject({ action: 'login.succeeded', initiated_by: 'self' });
    expect(mine.body.data).toHaveLength(rows.length + 1);
    expect(mine.body.data[0]).not.toHaveProperty('actor_id');
    const failed = await httpJson('GET', `${auth.url}/users/me/security-events?action=login.failed`, {
      token: fresh.body.access_token,
    });
    expect(failed.body.data.map((e: { initiated_by: string }) => e.initiated_by)).toEqual(['system']);
  });

  it('believes the forwarded address only from the gateway (with the proxy secret)', async () => {
    const account = newAccount();
    const registered = await httpJson('POST', `${auth.url}/auth/register`, {
      body: account,
      headers: { 'x-forwarded-for': GATEWAY_SAW, 'user-agent': 'Forger/1' },
    });
    const [row] = await auditOf(`&user_id=${registered.body.id}`);
    expect(row.client_ip).not.toBe(GATEWAY_SAW);
    expect(row.client_ip).toMatch(/127\.0\.0\.1/);
  });

  it('records failed logins of unknown accounts and lock-outs without naming the identifier', async () => {
    const { account, user } = await registerAndLogin(auth.url);
    const headers = viaGateway('Guesser/2');
    const unknownLogin = 'nobody-at-all@example.com';
    await httpJson('POST', `${auth.url}/auth/login`, {
      body: { email: unknownLogin, password: 'whatever it is' },
      headers,
    });
    for (let i = 0; i < 3; i += 1)
      await httpJson('POST', `${auth.url}/auth/login`, {
        body: { email: account.email, password: `wrong ${i}` },
        headers,
      });
    const locked = await auditOf(`&user_id=${user.id}&action=login.locked-out`);
    expect(locked).toEqual([
      expect.objectContaining({
        actor_id: null,
        client_ip: GATEWAY_SAW,
        user_agent: 'Guesser/2',
        details: { scope: 'pair', attempts: 3, locked_for_seconds: 60 },
      }),
    ]);
    expect(await auditOf(`&user_id=${user.id}&action=login.failed`)).toHaveLength(3);
    const anonymous = (await auditOf('&action=login.failed')).filter((row) => row.user_id === null);
    expect(anonymous.length).toBeGreaterThanOrEqual(1);
    expect(anonymous[0].details).toEqual({ reason: 'unknown' });
    expect(JSON.stringify(await auditOf('&action=login.failed'))).not.toContain(unknownLogin);
  });

  it('records admin actions with the admin as actor; filters by actor, action and period', async () => {
    const since = clock.now();
    const { user } = await registerAndLogin(auth.url);
    const headers = viaGateway('AdminConsole/3');
    const patch = (body: object) =>
      httpJson('PATCH', `${auth.url}/admin/users/${user.id}`, { token: adminToken, body, headers });
    expect((await patch({ role: 'admin' })).status).toBe(200);
    expect((await patch({ role: 'user', is_active: false })).status).toBe(200);
    expect((await patch({ is_active: true })).status).toBe(200);
    expect(
      (
        await httpJson('POST', `${auth.url}/admin/users/${user.id}/revoke-sessions`, {
          token: adminToken,
          headers,
        })
      ).status,
    ).toBe(204);

    const byAdmin = await auditOf(`&actor_id=${adminId}&user_id=${user.id}`);
    expect(byAdmin.map((row) => [row.action, row.details]).reverse()).toEqual([
      ['user.role-changed', { from: 'user', to: 'admin' }],
      ['user.role-changed', { from: 'admin', to: 'user' }],
      ['user.deactivated', {}],
      ['user.reactivated', {}],
      ['sessions.revoked-by-admin', {}],
    ]);
    for (const row of byAdmin)
      expect(row).toMatchObject({ client_ip: GATEWAY_SAW, user_agent: 'AdminConsole/3' });
    expect((await auditOf(`&action=user.deactivated&user_id=${user.id}`)).length).toBe(1);
    const period = `&from=${encodeURIComponent(since.toISOString())}&to=${encodeURIComponent(clock.now().toISOString())}`;
    expect((await auditOf(`&user_id=${user.id}${period}`)).length).toBeGreaterThanOrEqual(byAdmin.length);
    expect(await auditOf(`&user_id=${user.id}&to=${encodeURIComponent(since.toISOString())}`)).toEqual([]);
    // The bootstrap acted as the system: no actor.
    const [bootstrap] = await auditOf(`&user_id=${adminId}&action=user.registered`);
    expect(bootstrap.actor_id).toBeNull();
  });

  it('refuses bad filters (400 naming them) and non-admins (403)', async () => {
    for (const [query, field] of [
      ['action=login.exploded', 'query.action'],
      ['actor_id=me', 'query.actor_id'],
      ['from=yesterday', 'query.from'],
      ['cursor=garbage', 'query.cursor'],
      ['limit=201', 'query.limit'],
    ]) {
      const res = await httpJson('GET', `${auth.url}/admin/audit?${query}`, { token: adminToken });
      expect(res.status).toBe(400);
      expect(res.body.errors[0].field).toBe(field);
    }
    const { accessToken } = await registerAndLogin(auth.url);
    const refused = await httpJson('GET', `${auth.url}/admin/audit`, { token: accessToken });
    expect(refused.status).toBe(403);
    expect(refused.headers.get('content-type')).toMatch(/application\/problem\+json/);
  });

  it('is append-only: UPDATE, DELETE and TRUNCATE are refused by the database', async () => {
    const before = (await auth.dataSource.query(`SELECT count(*)::int AS n FROM audit_events`))[0].n;
    await expect(auth.dataSource.query(`UPDATE audit_events SET action = 'login.succeeded'`)).rejects.toThrow(
      /append-only/,
    );
    await expect(auth.dataSource.query(`DELETE FROM audit_events`)).rejects.toThrow(/append-only/);
    await expect(auth.dataSource.query(`TRUNCATE audit_events`)).rejects.toThrow(/append-only/);
    expect((await auth.dataSource.query(`SELECT count(*)::int AS n FROM audit_events`))[0].n).toBe(before);
  });

  it('forgets events older than AUDIT_RETENTION_DAYS with its scheduled job, on the service’s clock', async () => {
    const { user } = await registerAndLogin(auth.url);
    const countOf = async (id: string) =>
      (
        await auth.dataSource.query(`SELECT count(*)::int AS n FROM audit_events WHERE subject_id = $1`, [id])
      )[0].n as number;
    expect(await countOf(user.id)).toBe(2); // registered, logged in
    clock.advance(29 * 86_400_000);
    const later = await registerAndLogin(auth.url);
    await auth.parts.auditRetention.runOnce();
    expect(await countOf(user.id)).toBe(2); // 29 days old: kept
    clock.advance(2 * 86_400_000);
    await auth.parts.auditRetention.runOnce();
    expect(await countOf(user.id)).toBe(0); // 31 days old: gone
    expect(await countOf(later.user.id)).toBe(2); // 2 days old: kept
  });
});
