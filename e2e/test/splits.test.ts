import { parse } from 'csv-parse/sync';
import { httpJson, waitFor } from '@finance/shared/testing';
import { registerAndLogin } from './hostile-support';
import { startSystem, type System } from './system';

/**
 * A supermarket receipt split through the gateway: groceries 62.10 and household 17.90 in one
 * 80.00 transaction; budgets and reports count each part in its category, the CSV export has a row
 * per part, a PATCH changes the parts, and parts that do not sum are refused.
 */
describe('split transactions through the gateway', () => {
  let system: System;
  let api: string;
  const today = new Date().toISOString().slice(0, 10);
  const monthStart = `${today.slice(0, 7)}-01`;

  beforeAll(async () => {
    system = await startSystem('e2e_splits');
    api = system.gateway;
  });
  afterAll(async () => {
    await system?.stop();
  });

  it('splits a receipt, counts each part in its budget and in spending by category, exports a row per part, and changes the parts', async () => {
    const { token } = await registerAndLogin(api, 'splitter');
    const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
      httpJson(method, `${api}${path}`, { token, body, headers });

    await waitFor(async () => (await call('GET', '/categories')).body?.data?.length > 0, {
      description: 'default categories',
    });
    const groceries = (await call('GET', '/categories?limit=200')).body.data.find(
      (c: { name: string }) => c.name === 'Groceries',
    );
    const household = (
      await call('POST', '/categories', { name: 'Household', color: '#1565C0', kind: 'expense' })
    ).body;
    const budget = async (name: string, categoryId: string) =>
      waitFor(async () => {
        const res = await call('POST', '/budgets', {
          name,
          category_id: categoryId,
          amount: '500.00',
          period: 'monthly',
          start_date: monthStart,
        });
        return res.status === 201 ? res.body : undefined;
      });
    const food = await budget('Food', groceries.id);
    const home = await budget('Home', household.id);

    // Parts that do not sum: refused, nothing recorded.
    const bad = await call('POST', '/transactions', {
      amount: '80.00',
      transaction_type: 'expense',
      description: 'Supermarket',
      date: today,
      splits: [
        { amount: '62.10', category_id: groceries.id },
        { amount: '17.80', category_id: household.id },
      ],
    });
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([
      { field: 'body.splits', message: 'Parts sum to 79.90, must sum to 80.00' },
    ]);

    const created = await call('POST', '/transactions', {
      amount: '80.00',
      transaction_type: 'expense',
      description: 'Supermarket',
      date: today,
      splits: [
        { amount: '62.10', category_id: groceries.id, notes: 'weekly shop' },
        { amount: '17.90', category_id: household.id, tags: ['cleaning'] },
      ],
    });
    expect(created.status).toBe(201);
    const receipt = created.body;
    expect(
      receipt.splits.map((p: { amount: string; base_amount: string }) => [p.amount, p.base_amount]),
    ).toEqual([
      ['62.10', '62.10'],
      ['17.90', '17.90'],
    ]);

    const spentIs = (id: string, spent: string) =>
      waitFor(async () => (await call('GET', `/budgets/${id}`)).body.spent === spent, {
        description: `budget spent ${spent}`,
      });
    await spentIs(food.id, '62.10');
    await spentIs(home.id, '17.90');
    const byCategory = async () => {
      const res = await call('GET', `/analytics/spending?from=${monthStart}&to=${today}`);
      return Object.fromEntries(
        (res.body.categories as Array<{ name: string; total: string }>).map((c) => [c.name, c.total]),
      );
    };
    await waitFor(async () => (await byCategory()).Household === '17.90', {
      description: 'spending by category',
    });
    expect(await byCategory()).toEqual({ Groceries: '62.10', Household: '17.90' });

    const csv = await fetch(`${api}/export/csv?from=${monthStart}&to=${today}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(csv.status).toBe(200);
    const rows = (parse(await csv.text(), { columns: true }) as Array<Record<string, string>>).filter(
      (r) => r.transaction_id === receipt.id,
    );
    expect(rows.map((r) => [r.amount, r.category, r.notes, r.tags, r.split_part, r.description])).toEqual([
      ['62.10', 'Groceries', 'weekly shop', '', '1', 'Supermarket'],
      ['17.90', 'Household', '', '["cleaning"]', '2', 'Supermarket'],
    ]);

    // A new amount alone no longer sums: refused; with new parts it is taken.
    const amountOnly = await call('PATCH', `/transactions/${receipt.id}`, { amount: '90.00' });
    expect([amountOnly.status, amountOnly.body.errors?.[0]?.field]).toEqual([400, 'body.splits']);
    const patched = await call(
      'PATCH',
      `/transactions/${receipt.id}`,
      {
        amount: '90.00',
        splits: [
          { amount: '60.00', category_id: groceries.id },
          { amount: '30.00', category_id: household.id },
        ],
      },
      { 'if-match': '"1"' },
    );
    expect(patched.status).toBe(200);
    expect(patched.body.version).toBe(2);
    await spentIs(food.id, '60.00');
    await spentIs(home.id, '30.00');
    await waitFor(async () => (await byCategory()).Household === '30.00', {
      description: 'new parts in reports',
    });
    expect(await byCategory()).toEqual({ Groceries: '60.00', Household: '30.00' });

    // The list filter finds it under each part's category.
    const listed = await call('GET', `/transactions?category_id=${household.id}`);
    expect(listed.body.data.map((t: { id: string }) => t.id)).toEqual([receipt.id]);

    // Unsplit again: the whole amount in one category.
    const whole = await call('PATCH', `/transactions/${receipt.id}`, {
      splits: null,
      category_id: groceries.id,
    });
    expect(whole.body).toMatchObject({ splits: [], category_id: groceries.id });
    await spentIs(food.id, '90.00');
    await spentIs(home.id, '0.00');
  });
});
