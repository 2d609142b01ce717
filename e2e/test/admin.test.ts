import { httpJson, waitFor } from '@finance/shared/testing';
import { login, registerAndLogin } from './hostile-support';
import { startSystem, type System } from './system';

const ADMIN = { email: 'root@example.com', username: 'root', password: 'an admin password' };

/**
 * The admin's side of issue 19 across the whole system: an admin finds an account through the
 * gateway and deactivates it, demotes it or ends its sessions, and every request with its tokens
 * fails at every service — through the gateway and at each service directly — within seconds;
 * `GET /admin/stats` gathers every service's numbers; the audit log names who did it.
 */
describe('admin across services', () => {
  let system: System;
  let api: string;
  let adminToken: string;
  /** One authenticated GET per service, taken from the service's own OpenAPI document, so a new service is covered. */
  let probes: Array<{ service: string; path: string }>;

  beforeAll(async () => {
    system = await startSystem('admin', {
      auth: { ADMIN_EMAIL: ADMIN.email, ADMIN_USERNAME: ADMIN.username, ADMIN_PASSWORD: ADMIN.password },
    });
    api = system.gateway;
    const login = await httpJson('POST', `${api}/auth/login`, {
      body: { username: ADMIN.username, password: ADMIN.password },
    });
    expect(login.status).toBe(200);
    adminToken = login.body.access_token;
    probes = [];
    for (const [service, running] of Object.entries(system.services)) {
      const doc = (await httpJson('GET', `${running.url}/openapi.json`)).body as {
        paths: Record<
          string,
          Record<string, { security?: unknown[]; parameters?: Array<{ required?: boolean }> }>
        >;
      };
      const path = Object.entries(doc.paths).find(
        ([template, item]) =>
          !template.includes('{') &&
          !template.startsWith('/admin') &&
          !template.startsWith('/internal') &&
          item.get !== undefined &&
          (item.get.security === undefined || item.get.security.length > 0) &&
          !(item.get.parameters ?? []).some((parameter) => parameter.required),
      )?.[0];
      if (!path) throw new Error(`${service} documents no authenticated GET without parameters to probe`);
      probes.push({ service, path });
    }
  });
  afterAll(async () => {
    await system?.stop();
  });

  /** Statuses of every probe, through the gateway and straight at the service. */
  async function statuses(token: string): Promise<string[]> {
    const answers = await Promise.all(
      probes.flatMap(({ service, path }) => [
        httpJson('GET', `${api}${path}`, { token }).then((res) => `gateway ${path} ${res.status}`),
        httpJson('GET', `${system.services[service].url}${path}`, { token }).then(
          (res) => `${service} ${path} ${res.status}`,
        ),
      ]),
    );
    return answers.sort();
  }
  const allAre = (list: string[], status: number) => list.every((line) => line.endsWith(` ${status}`));

  it('probes every registered service', () => {
    expect(probes.map((probe) => probe.service).sort()).toEqual(Object.keys(system.services).sort());
  });

  it('finds a compromised account and deactivates it: its token fails everywhere within seconds', async () => {
    const eve = await registerAndLogin(api, 'eve_compromised', { base_currency: 'EUR' });
    expect(allAre(await statuses(eve.token), 200)).toBe(true);

    const found = await httpJson('GET', `${api}/admin/users?q=COMPROMISED&is_active=true`, {
      token: adminToken,
    });
    expect(found.status).toBe(200);
    expect(found.body.data.map((user: { id: string }) => user.id)).toEqual([eve.userId]);

    const off = await httpJson('PATCH', `${api}/admin/users/${eve.userId}`, {
      token: adminToken,
      body: { is_active: false },
      headers: { 'user-agent': 'AdminConsole/1' },
    });
    expect(off.status).toBe(200);
    await waitFor(async () => allAre(await statuses(eve.token), 401), {
      timeoutMs: 10_000,
      description: "every service refusing the deactivated user's token",
    });
    const relogin = await httpJson('POST', `${api}/auth/login`, {
      body: { username: 'eve_compromised', password: eve.password },
    });
    expect(relogin.status).toBe(401);

    // The audit log says who did it, when and from where.
    const audit = await httpJson('GET', `${api}/admin/audit?user_id=${eve.userId}&action=user.deactivated`, {
      token: adminToken,
    });
    expect(audit.status).toBe(200);
    const adminId = (await httpJson('GET', `${api}/users/me`, { token: adminToken })).body.id;
    expect(audit.body.data).toEqual([
      expect.objectContaining({ actor_id: adminId, user_id: eve.userId, user_agent: 'AdminConsole/1' }),
    ]);
    expect(audit.body.data[0].client_ip).toEqual(expect.any(String));
  });

  it('ends every session of a user on an admin’s word; the user may log in again', async () => {
    const fay = await registerAndLogin(api, 'fay_sessions', { base_currency: 'EUR' });
    expect(allAre(await statuses(fay.token), 200)).toBe(true);
    const revoked = await httpJson('POST', `${api}/admin/users/${fay.userId}/revoke-sessions`, {
      token: adminToken,
    });
    expect(revoked.status).toBe(204);
    await waitFor(async () => allAre(await statuses(fay.token), 401), {
      timeoutMs: 10_000,
      description: "every service refusing the revoked user's token",
    });
    expect(allAre(await statuses(await login(api, 'fay_sessions', fay.password)), 200)).toBe(true);
  });

  it('stops a demoted admin at once: the admin token fails everywhere, admin routes included', async () => {
    const gus = await registerAndLogin(api, 'gus_promoted', { base_currency: 'EUR' });
    const promoted = await httpJson('PATCH', `${api}/admin/users/${gus.userId}`, {
      token: adminToken,
      body: { role: 'admin' },
    });
    expect(promoted.status).toBe(200);
    const gusAdmin = await login(api, 'gus_promoted', gus.password);
    expect((await httpJson('GET', `${api}/admin/stats`, { token: gusAdmin })).status).toBe(200);
    const demoted = await httpJson('PATCH', `${api}/admin/users/${gus.userId}`, {
      token: adminToken,
      body: { role: 'user' },
    });
    expect(demoted.status).toBe(200);
    // The gateway's own GET /admin/stats learns of it from auth's revocation feed (polled every
    // second), the services from their directories: each within seconds.
    await waitFor(
      async () =>
        allAre(await statuses(gusAdmin), 401) &&
        (await httpJson('GET', `${api}/admin/stats`, { token: gusAdmin })).status === 401,
      { timeoutMs: 10_000, description: "every service and the gateway refusing the demoted admin's token" },
    );
    // Logged in again, gus is a user: 403 on every admin route, at the gateway and at auth.
    const gusUser = await login(api, 'gus_promoted', gus.password);
    for (const path of ['/admin/stats', '/admin/users', '/admin/audit', `/admin/users/${gus.userId}`]) {
      const res = await httpJson('GET', `${api}${path}`, { token: gusUser });
      expect({ path, status: res.status }).toEqual({ path, status: 403 });
      expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
    }
    for (const path of ['/admin/users', '/admin/audit', `/admin/users/${gus.userId}`]) {
      const res = await httpJson('GET', `${system.services.auth.url}${path}`, { token: gusUser });
      expect({ path, status: res.status }).toEqual({ path, status: 403 });
    }
  });

  it('answers GET /admin/stats from every service: users, transactions, outboxes, dead letters', async () => {
    const hal = await registerAndLogin(api, 'hal_stats', { base_currency: 'EUR' });
    const account = await httpJson('POST', `${api}/accounts`, {
      token: hal.token,
      body: { name: 'Giro', type: 'checking', currency: 'EUR', opening_balance: '100.00' },
    });
    expect(account.status).toBe(201);
    const expense = await httpJson('POST', `${api}/transactions`, {
      token: hal.token,
      body: {
        account_id: account.body.id,
        amount: '12.50',
        transaction_type: 'expense',
        description: 'Lunch',
      },
    });
    expect(expense.status).toBe(201);

    const stats = await httpJson('GET', `${api}/admin/stats`, { token: adminToken });
    expect(stats.status).toBe(200);
    const [{ users }] = await system.services.auth.dataSource.query(
      `SELECT count(*)::int AS users FROM users`,
    );
    const [{ transactions }] = await system.services.ledger.dataSource.query(
      `SELECT count(*)::int AS transactions FROM transactions`,
    );
    expect(stats.body).toMatchObject({ users, transactions, complete: true });
    expect(transactions).toBeGreaterThanOrEqual(1);
    expect(stats.body.outbox_pending).toEqual(expect.any(Number));
    expect(stats.body.dead_letters).toEqual(expect.any(Number));
    expect(stats.body.services.map((entry: { service: string }) => entry.service).sort()).toEqual(
      Object.keys(system.services).sort(),
    );
    for (const entry of stats.body.services)
      expect(entry).toMatchObject({ status: 'up', dead_letters: expect.any(Number) });
    // Not through the gateway: /internal/* is not routed.
    expect((await httpJson('GET', `${api}/internal/stats`, { token: adminToken })).status).toBe(404);
  });
});
