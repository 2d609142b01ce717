import { httpJson, waitFor } from '@finance/shared/testing';
import { registerAndLogin as registerAndLoginAt } from './hostile-support';
import { startSystem, type System } from './system';

/**
 * What auth decides holds in every service (issue 12 items 2 and 12): a deleted, logged-out-everywhere
 * or re-passworded user's old token answers 401 everywhere — through the gateway and at each
 * service directly — within seconds; nothing of a deleted user is left in any service's database;
 * and what a client just created in one service can be used at once in another.
 */
describe('users across services', () => {
  let system: System;
  let api: string;

  beforeAll(async () => {
    system = await startSystem('users');
    api = system.gateway;
  });
  afterAll(async () => {
    await system?.stop();
  });

  const registerAndLogin = (username: string) => registerAndLoginAt(api, username, { base_currency: 'EUR' });

  /** One authenticated GET per service, each answered by that service alone. */
  function probes(): Array<{ service: string; path: string }> {
    return [
      { service: 'auth', path: '/users/me' },
      { service: 'ledger', path: '/accounts' },
      { service: 'budgets', path: '/budgets' },
      { service: 'reports', path: '/analytics/spending' },
      { service: 'goals', path: '/goals' },
      { service: 'notifier', path: '/notifications' },
    ].filter((probe) => system.services[probe.service]);
  }

  /** Statuses of every probe, through the gateway and straight at the service. */
  async function statuses(token: string): Promise<string[]> {
    const answers = await Promise.all(
      probes().flatMap(({ service, path }) => [
        httpJson('GET', `${api}${path}`, { token }).then((res) => `gateway ${path} ${res.status}`),
        httpJson('GET', `${system.services[service].url}${path}`, { token }).then(
          (res) => `${service} ${path} ${res.status}`,
        ),
      ]),
    );
    return answers.sort();
  }

  const allAre = (list: string[], status: number) => list.every((line) => line.endsWith(` ${status}`));

  /**
   * Rows of the user in a service's own tables. Bookkeeping aside: the shared tables, and auth's
   * `session_revocations` (only the user id and a version, kept until no token it could stop is valid).
   */
  async function rowsOf(service: string, userId: string): Promise<Record<string, number>> {
    const db = system.services[service].dataSource;
    const tables: Array<{ table_name: string }> = await db.query(
      `SELECT table_name FROM information_schema.columns
       WHERE table_schema = 'public' AND column_name = 'user_id'
         AND table_name NOT IN ('user_directory', 'deleted_users', 'inbox', 'outbox', 'aggregate_versions',
                                'session_revocations')`,
    );
    const counts: Record<string, number> = {};
    for (const { table_name: table } of tables) {
      const [row]: Array<{ count: string }> = await db.query(
        `SELECT count(*) FROM "${table}" WHERE user_id = $1`,
        [userId],
      );
      if (Number(row.count) > 0) counts[table] = Number(row.count);
    }
    return counts;
  }

  it("refuses a deleted user's token everywhere and leaves nothing of theirs in any service", async () => {
    const ada = await registerAndLogin('ada');
    const token = ada.token;
    const account = await httpJson('POST', `${api}/accounts`, {
      token,
      body: { name: 'Giro', type: 'checking', currency: 'EUR', opening_balance: '100.00' },
    });
    expect(account.status).toBe(201);
    const category = await httpJson('POST', `${api}/categories`, {
      token,
      body: { name: 'Food', color: '#00AA00', kind: 'expense' },
    });
    const expense = await httpJson('POST', `${api}/transactions`, {
      token,
      body: {
        account_id: account.body.id,
        amount: '12.50',
        transaction_type: 'expense',
        category_id: category.body.id,
        description: 'Lunch with a secret',
      },
    });
    expect(expense.status).toBe(201);
    const budget = await httpJson('POST', `${api}/budgets`, {
      token,
      body: { category_id: category.body.id, amount: '100', period: 'monthly' },
    });
    expect(budget.status).toBe(201);
    expect(allAre(await statuses(token), 200)).toBe(true);
    // The read models have it before the user goes.
    await waitFor(async () => Object.keys(await rowsOf('reports', ada.userId)).length > 0, {
      description: "reports holds ada's transaction",
    });

    const deleted = await httpJson('DELETE', `${api}/users/me`, { token, body: { password: ada.password } });
    expect(deleted.status).toBe(204);
    await waitFor(async () => allAre(await statuses(token), 401), {
      timeoutMs: 30_000,
      // Every poll is several requests through the gateway: once a second stays under its rate limit
      // (600 a minute), which a tighter poll exhausts on a slow run (then 429s, never 401s).
      intervalMs: 1_000,
      description: "every service refusing the deleted user's token",
    });
    // A write racing the deletion is refused too, and none lands afterwards.
    const late = await httpJson('POST', `${api}/categories`, {
      token,
      body: { name: 'Late', color: '#000000', kind: 'expense' },
    });
    expect(late.status).toBe(401);
    for (const service of Object.keys(system.services)) {
      await waitFor(async () => Object.keys(await rowsOf(service, ada.userId)).length === 0, {
        timeoutMs: 15_000,
        description: `no row of ada's left in ${service}`,
      });
    }
  });

  it('refuses tokens from before a password change or a logout-all everywhere, and keeps new ones', async () => {
    const bob = await registerAndLogin('bob');
    expect(allAre(await statuses(bob.token), 200)).toBe(true);
    const changed = await httpJson('PUT', `${api}/users/me/password`, {
      token: bob.token,
      body: { current_password: bob.password, new_password: 'a new horse battery' },
    });
    expect(changed.status).toBe(204);
    await waitFor(async () => allAre(await statuses(bob.token), 401), {
      timeoutMs: 30_000,
      // Every poll is several requests through the gateway: once a second stays under its rate limit
      // (600 a minute), which a tighter poll exhausts on a slow run (then 429s, never 401s).
      intervalMs: 1_000,
      description: "every service refusing bob's old token",
    });
    const relogin = await httpJson('POST', `${api}/auth/login`, {
      body: { username: 'bob', password: 'a new horse battery' },
    });
    const fresh = relogin.body.access_token as string;
    expect(allAre(await statuses(fresh), 200)).toBe(true);

    const out = await httpJson('POST', `${api}/auth/logout-all`, { token: fresh });
    expect(out.status).toBe(204);
    await waitFor(async () => allAre(await statuses(fresh), 401), {
      timeoutMs: 30_000,
      // Every poll is several requests through the gateway: once a second stays under its rate limit
      // (600 a minute), which a tighter poll exhausts on a slow run (then 429s, never 401s).
      intervalMs: 1_000,
      description: 'every service refusing the token after logout-all',
    });
  });

  it('lets a client use at once what it just created in another service', async () => {
    const cara = await registerAndLogin('cara');
    for (let i = 0; i < 10; i++) {
      const category = await httpJson('POST', `${api}/categories`, {
        token: cara.token,
        body: { name: `Fresh ${i}`, color: '#123456', kind: 'expense' },
      });
      expect(category.status).toBe(201);
      // No pause: budgets learns of the category through an event that may still be on its way.
      const budget = await httpJson('POST', `${api}/budgets`, {
        token: cara.token,
        body: { category_id: category.body.id, amount: '50', period: 'monthly' },
      });
      expect({ i, status: budget.status, currency: budget.body.currency }).toEqual({
        i,
        status: 201,
        currency: 'EUR',
      });
      const account = await httpJson('POST', `${api}/accounts`, {
        token: cara.token,
        body: { name: `Fresh account ${i}`, type: 'cash', currency: 'EUR' },
      });
      const spending = await httpJson('GET', `${api}/analytics/spending?account_id=${account.body.id}`, {
        token: cara.token,
      });
      expect({ i, status: spending.status }).toEqual({ i, status: 200 });
    }
    // An id nobody created (an old one) answers 404 (at once: shared/test/users.test.ts counts the lookups).
    const unknown = '01890a5d-ac96-774b-bcce-b302099a8057';
    const missing = await httpJson('POST', `${api}/budgets`, {
      token: cara.token,
      body: { category_id: unknown, amount: '50', period: 'monthly' },
    });
    expect(missing.status).toBe(404);
  });
});
