import { httpJson, waitFor } from '@finance/shared/testing';
import { registerAndLogin } from './hostile-support';
import { startSystem, type System } from './system';

/**
 * "Fix a hundred transactions in one request", through the gateway: a hundred expenses filed under
 * the wrong category are recategorised by one bulk patch, and budgets and reports follow; a mixed
 * batch with a bad operation in the default mode (207: the others applied) and atomically (nothing
 * applied); If-Match per operation; an idempotent replay; another user's ids.
 */
describe('bulk operations through the gateway', () => {
  let system: System;
  let api: string;
  const today = new Date().toISOString().slice(0, 10);
  const monthStart = `${today.slice(0, 7)}-01`;

  beforeAll(async () => {
    system = await startSystem('e2e_bulk');
    api = system.gateway;
  });
  afterAll(async () => {
    await system?.stop();
  });

  it('recategorises a hundred transactions in one request, budgets and reports follow; bad operations, atomic, If-Match, replay', async () => {
    const me = await registerAndLogin(api, 'bulkfixer');
    const other = await registerAndLogin(api, 'bulkother');
    const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
      httpJson(method, `${api}${path}`, { token: me.token, body, headers });
    const bulk = (body: unknown, query = '', headers: Record<string, string> = {}) =>
      call('POST', `/transactions/bulk${query}`, body, headers);

    const categories = await waitFor(
      async () => {
        const res = await call('GET', '/categories?limit=200');
        return res.body?.data?.length > 0
          ? (res.body.data as Array<{ id: string; name: string }>)
          : undefined;
      },
      { description: 'default categories' },
    );
    const named = (name: string) => categories.find((c) => c.name === name)!.id;
    const [groceries, dining, salary] = [named('Groceries'), named('Dining'), named('Salary')];
    const account = (await call('POST', '/accounts', { name: 'Checking', type: 'checking' })).body;
    const budget = await waitFor(async () => {
      const res = await call('POST', '/budgets', {
        name: 'Eating out',
        category_id: dining,
        amount: '10000.00',
        period: 'monthly',
        start_date: monthStart,
      });
      return res.status === 201 ? res.body : undefined;
    });

    // A hundred expenses of 1.01 … 2.00, all filed under Groceries: one bulk create.
    const expense = (n: number) => ({
      account_id: account.id,
      amount: `${1 + Math.floor((n + 1) / 100)}.${String((n + 1) % 100).padStart(2, '0')}`,
      transaction_type: 'expense',
      description: `Restaurant ${n}`,
      date: today,
      category_id: groceries,
    });
    const created = await bulk({
      operations: Array.from({ length: 100 }, (_, n) => ({ op: 'create', body: expense(n) })),
    });
    expect(created.status).toBe(207);
    expect(created.body).toMatchObject({ succeeded: 100, failed: 0 });
    const ids: string[] = created.body.results.map((r: { id: string }) => r.id);
    const total = '150.50'; // 101 + 102 + … + 200 cents
    await waitFor(
      async () =>
        (await call('GET', `/analytics/spending?from=${monthStart}&to=${today}`)).body.total === total,
      { timeoutMs: 60_000, description: `reports' spending ${total}` },
    );

    // They were restaurants: one request moves all hundred to Dining.
    const fixed = await bulk({
      operations: ids.map((id) => ({ op: 'patch', id, if_match: '"1"', body: { category_id: dining } })),
    });
    expect(fixed.status).toBe(207);
    expect(fixed.body).toMatchObject({ succeeded: 100, failed: 0 });
    expect(fixed.body.results.every((r: { body: { version: number } }) => r.body.version === 2)).toBe(true);
    await waitFor(async () => (await call('GET', `/budgets/${budget.id}`)).body.spent === total, {
      timeoutMs: 60_000,
      description: `the Dining budget spent ${total}`,
    });
    await waitFor(
      async () => {
        const spending = (await call('GET', `/analytics/spending?from=${monthStart}&to=${today}`)).body;
        const rows = spending.categories as Array<{ category_id: string; total: string; count: number }>;
        return (
          rows.length === 1 &&
          rows[0].category_id === dining &&
          rows[0].total === total &&
          rows[0].count === 100
        );
      },
      { timeoutMs: 60_000, description: 'all of the spending under Dining in reports' },
    );

    // A mixed batch with a bad operation (an expense in the Salary category): the others apply.
    const mixed = (ifMatch: string) => ({
      operations: [
        { op: 'patch', id: ids[0], if_match: ifMatch, body: { notes: 'checked' } },
        { op: 'delete', id: ids[1] },
        { op: 'create', body: { ...expense(100), category_id: salary } },
        { op: 'create', body: { ...expense(101), category_id: dining } },
      ],
    });
    const atomicBefore = (await call('GET', '/transactions?limit=200')).body.data;
    const atomic = await bulk(mixed('"2"'), '?atomic=true');
    expect(atomic.status).toBe(422);
    expect(atomic.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(atomic.body.results.map((r: { status: number }) => r.status)).toEqual([424, 424, 422, 424]);
    expect(atomic.body.errors.map((e: { field: string }) => e.field)).toEqual([
      'body.operations[2].body.category_id',
    ]);
    expect((await call('GET', '/transactions?limit=200')).body.data).toEqual(atomicBefore);

    const partial = await bulk(mixed('"2"'));
    expect(partial.status).toBe(207);
    expect(partial.body.results.map((r: { status: number }) => r.status)).toEqual([200, 204, 422, 201]);
    expect((await call('GET', `/transactions/${ids[0]}`)).body).toMatchObject({
      notes: 'checked',
      version: 3,
    });
    expect((await call('GET', `/transactions/${ids[1]}`)).status).toBe(404);

    // If-Match per operation: the same batch again is stale where it names version 2.
    const stale = await bulk({
      operations: [
        { op: 'patch', id: ids[0], if_match: '"2"', body: { notes: 'again' } },
        { op: 'patch', id: ids[2], if_match: '"2"', body: { notes: 'fresh' } },
      ],
    });
    expect(stale.body.results.map((r: { status: number }) => r.status)).toEqual([412, 200]);
    expect(stale.body.results[0].problem.errors[0].field).toBe('body.operations[0].if_match');
    expect((await call('GET', `/transactions/${ids[0]}`)).body.notes).toBe('checked');

    // An Idempotency-Key makes the batch safe to retry: the stored answer, nothing done twice.
    const key = { 'idempotency-key': 'bulk-e2e-retry' };
    const once = await bulk({ operations: [{ op: 'create', body: expense(102) }] }, '', key);
    expect(once.status).toBe(207);
    const countBefore = (await call('GET', '/transactions?limit=200')).body.data.length;
    const replay = await bulk({ operations: [{ op: 'create', body: expense(102) }] }, '', key);
    expect(replay.status).toBe(207);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.body).toEqual(once.body);
    expect((await call('GET', '/transactions?limit=200')).body.data).toHaveLength(countBefore);
    const reused = await bulk({ operations: [{ op: 'create', body: expense(103) }] }, '', key);
    expect(reused.status).toBe(422);

    // Another user's bulk naming my ids: 404 for each, nothing of mine shown or changed.
    const mine = (await call('GET', '/transactions?limit=200')).body.data;
    const theirs = await httpJson('POST', `${api}/transactions/bulk`, {
      token: other.token,
      body: {
        operations: [
          { op: 'patch', id: ids[2], body: { description: 'taken' } },
          { op: 'delete', id: ids[3] },
        ],
      },
    });
    expect(theirs.status).toBe(207);
    expect(theirs.body.results.map((r: { status: number }) => r.status)).toEqual([404, 404]);
    for (const id of ids) expect(JSON.stringify(theirs.body)).not.toContain(id);
    expect(JSON.stringify(theirs.body)).not.toContain('Restaurant');
    expect((await call('GET', '/transactions?limit=200')).body.data).toEqual(mine);

    // Over the limit: refused whole.
    const tooMany = await bulk({
      operations: Array.from({ length: 501 }, () => ({ op: 'delete', id: ids[4] })),
    });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.errors[0].field).toBe('body.operations');
    expect((await call('GET', `/transactions/${ids[4]}`)).status).toBe(200);
  }, 240_000);
});
