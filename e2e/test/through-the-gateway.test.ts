import { httpJson, waitFor } from '@finance/shared/testing';
import { startSystem, type System } from './system';

/** A seed-V1/V2 client's day, entirely through the gateway, with every service really running. */
describe('the system through the gateway', () => {
  let system: System;
  let api: string;
  const today = new Date().toISOString().slice(0, 10);
  const monthStart = `${today.slice(0, 7)}-01`;

  beforeAll(async () => {
    system = await startSystem('e2e');
    api = system.gateway;
  });
  afterAll(async () => {
    await system?.stop();
  });

  async function registerAndLogin(username: string) {
    const registered = await httpJson('POST', `${api}/auth/register`, {
      body: { email: `${username}@example.com`, username, password: 'correct horse battery' },
    });
    expect(registered.status).toBe(201);
    const login = await httpJson('POST', `${api}/auth/login`, {
      body: { username, password: 'correct horse battery' },
    });
    expect(login.status).toBe(200);
    return {
      userId: registered.body.id as string,
      token: login.body.access_token as string,
      refresh: login.body.refresh_token as string,
    };
  }

  it('registers, logs in, reads the profile, refreshes and logs out', async () => {
    const { token, refresh } = await registerAndLogin('alice');
    const me = await httpJson('GET', `${api}/users/me`, { token });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ username: 'alice', email: 'alice@example.com' });
    expect(me.body).not.toHaveProperty('password_hash');

    const refreshed = await httpJson('POST', `${api}/auth/refresh`, { body: { refresh_token: refresh } });
    expect(refreshed.status).toBe(200);
    const loggedOut = await httpJson('POST', `${api}/auth/logout`, {
      body: { refresh_token: refreshed.body.refresh_token },
    });
    expect(loggedOut.status).toBe(204);
    const reused = await httpJson('POST', `${api}/auth/refresh`, {
      body: { refresh_token: refreshed.body.refresh_token },
    });
    expect(reused.status).toBe(401);
  });

  it('rejects a request without a token at the gateway', async () => {
    const res = await httpJson('GET', `${api}/transactions`);
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
  });

  it('keeps transactions, budgets and analytics in step as the ledger changes', async () => {
    const { token } = await registerAndLogin('bob');

    // auth.user.registered reaches the ledger, which creates the default categories.
    const categories = await waitFor(async () => {
      const res = await httpJson('GET', `${api}/categories`, { token });
      return res.status === 200 && res.body.data.length > 0 ? res.body.data : undefined;
    });
    const groceries = categories.find((c: { name: string }) => c.name === 'Groceries');
    const dining = categories.find((c: { name: string }) => c.name === 'Dining');
    expect(groceries && dining).toBeTruthy();

    // The budget service learns the user's settings and the categories from events too.
    const budget = await waitFor(async () => {
      const res = await httpJson('POST', `${api}/budgets`, {
        token,
        body: {
          name: 'Food',
          category_id: groceries.id,
          amount: '100.00',
          period: 'monthly',
          start_date: monthStart,
        },
      });
      return res.status === 201 ? res.body : undefined;
    });

    // A seed-V1 client: no account_id, amounts as numbers.
    const created = [];
    for (const [amount, category] of [
      [30.1, groceries.id],
      [20.2, groceries.id],
      [15, dining.id],
    ] as const) {
      const res = await httpJson('POST', `${api}/transactions`, {
        token,
        body: {
          amount,
          description: 'shop',
          transaction_type: 'expense',
          date: today,
          category_id: category,
        },
      });
      expect(res.status).toBe(201);
      created.push(res.body);
    }
    const salary = await httpJson('POST', `${api}/transactions`, {
      token,
      body: { amount: '1000', description: 'salary', transaction_type: 'income', date: today },
    });
    expect(salary.status).toBe(201);

    // Pagination through the gateway: two pages of two, no row lost or repeated.
    const page1 = await httpJson('GET', `${api}/transactions?limit=2`, { token });
    const page2 = await httpJson('GET', `${api}/transactions?limit=2&cursor=${page1.body.next_cursor}`, {
      token,
    });
    const ids = [...page1.body.data, ...page2.body.data].map((t: { id: string }) => t.id);
    expect(new Set(ids).size).toBe(4);
    expect(page2.body.next_cursor).toBeNull();

    const spentOf = async () => (await httpJson('GET', `${api}/budgets/${budget.id}`, { token })).body.spent;
    await waitFor(async () => (await spentOf()) === '50.30', { description: 'budget spent 50.30' });

    const spending = await waitFor(async () => {
      const res = await httpJson('GET', `${api}/analytics/spending?from=${monthStart}&to=${today}`, {
        token,
      });
      return res.body.total === '65.30' ? res.body : undefined;
    });
    expect(spending.categories.map((c: { name: string; total: string }) => [c.name, c.total])).toEqual([
      ['Groceries', '50.30'],
      ['Dining', '15.00'],
    ]);

    // Moving a transaction to another category, then deleting one, corrects both read models.
    const move = await httpJson('PATCH', `${api}/transactions/${created[1].id}`, {
      token,
      body: { category_id: dining.id },
    });
    expect(move.status).toBe(200);
    await waitFor(async () => (await spentOf()) === '30.10', {
      description: 'budget spent 30.10 after the move',
    });
    const removed = await httpJson('DELETE', `${api}/transactions/${created[0].id}`, { token });
    expect(removed.status).toBe(204);
    await waitFor(async () => (await spentOf()) === '0.00', {
      description: 'budget spent 0.00 after the delete',
    });
    await waitFor(async () => {
      const res = await httpJson('GET', `${api}/analytics/spending?from=${monthStart}&to=${today}`, {
        token,
      });
      return res.body.total === '35.20';
    });

    const status = await httpJson('GET', `${api}/analytics/budget-status`, { token });
    expect(status.status).toBe(200);
    expect(status.body.summary).toMatchObject({ total: 1, under: 1 });

    const csv = await fetch(`${api}/export/csv?from=${monthStart}&to=${today}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(csv.status).toBe(200);
    const lines = (await csv.text()).trim().split('\n');
    expect(lines).toHaveLength(1 + 3);
  });

  it('keeps each user to their own data across services', async () => {
    const alice = await registerAndLogin('carol');
    const mallory = await registerAndLogin('mallory');
    const tx = await httpJson('POST', `${api}/transactions`, {
      token: alice.token,
      body: { amount: '12.00', description: 'private', transaction_type: 'expense', date: today },
    });
    expect(tx.status).toBe(201);
    expect(
      (await httpJson('GET', `${api}/transactions/${tx.body.id}`, { token: mallory.token })).status,
    ).toBe(404);
    expect(
      (await httpJson('DELETE', `${api}/transactions/${tx.body.id}`, { token: mallory.token })).status,
    ).toBe(404);
  });

  it('serves one OpenAPI document for every service at /docs', async () => {
    const doc = await httpJson('GET', `${api}/openapi.json`);
    expect(doc.status).toBe(200);
    for (const path of [
      '/auth/register',
      '/transactions',
      '/budgets',
      '/analytics/spending',
      '/export/pdf',
    ]) {
      expect(Object.keys(doc.body.paths)).toContain(path);
    }
    const html = await fetch(`${api}/docs/`);
    expect(html.status).toBe(200);
    expect(await html.text()).toContain('swagger');
  });
});
