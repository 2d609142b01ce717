import { CSV_COLUMNS } from '@finance/shared';
import { httpJson, waitFor } from '@finance/shared/testing';
import { registerAndLogin } from './hostile-support';
import { startSystem, type System } from './system';

/**
 * A bank statement's journey through the gateway: preview, import, the same file again (all
 * duplicates), a large file as a background job to completion with the user notified, budgets and
 * reports reflecting the imported spending, and undo.
 */
describe('importing a statement through the gateway', () => {
  let system: System;
  let api: string;
  const today = new Date().toISOString().slice(0, 10);
  const monthStart = `${today.slice(0, 7)}-01`;

  beforeAll(async () => {
    system = await startSystem('e2e_import', {
      ledger: { IMPORT_BACKGROUND_ROWS: '100', IMPORT_JOB_POLL_MS: '200' },
    });
    api = system.gateway;
  });
  afterAll(async () => {
    await system?.stop();
  });

  /** Our own export's CSV: expenses of today in Checking, filed under Groceries. */
  const statement = (amounts: string[], from = 0) =>
    [
      CSV_COLUMNS.join(','),
      ...amounts.map((amount, i) =>
        [
          today,
          'expense',
          amount,
          'USD',
          'Checking',
          '',
          'Groceries',
          `Shop ${from + i}`,
          'Market',
          '',
          '',
        ].join(','),
      ),
    ].join('\r\n') + '\r\n';

  it('previews, imports, skips duplicates, runs a large file in the background, shows it in budgets and reports, and undoes', async () => {
    const { token } = await registerAndLogin(api, 'importer');
    const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
      httpJson(method, `${api}${path}`, { token, body, headers });
    const upload = (csv: string, query = '') =>
      httpJson('POST', `${api}/import/csv${query}`, {
        token,
        body: csv,
        headers: { 'content-type': 'text/csv' },
      });

    await waitFor(async () => (await call('GET', '/categories')).body?.data?.length > 0, {
      description: 'default categories',
    });
    expect((await call('POST', '/accounts', { name: 'Checking', type: 'checking' })).status).toBe(201);
    const groceries = (await call('GET', '/categories?limit=200')).body.data.find(
      (c: { name: string }) => c.name === 'Groceries',
    );
    const budget = await waitFor(async () => {
      const res = await call('POST', '/budgets', {
        name: 'Food',
        category_id: groceries.id,
        amount: '100000.00',
        period: 'monthly',
        start_date: monthStart,
      });
      return res.status === 201 ? res.body : undefined;
    });

    const small = statement(['12.50', '7.25', '30.00']);
    const preview = await upload(small, '?dry_run=true');
    expect(preview.status).toBe(200);
    expect(preview.body).toMatchObject({ dry_run: true, imported: 3, duplicates: 0, would_import: true });
    expect((await call('GET', '/transactions')).body.data).toEqual([]);

    const first = await upload(small);
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ status: 'completed', imported: 3 });
    const again = await upload(small);
    expect(again.body).toMatchObject({ imported: 0, duplicates: 3 });

    // 400 rows: over IMPORT_BACKGROUND_ROWS, so a background job.
    const large = statement(
      Array.from({ length: 400 }, (_, i) => `${1 + (i % 50)}.${String(i % 100).padStart(2, '0')}`),
      1_000,
    );
    const largeTotal = Array.from({ length: 400 }, (_, i) => (1 + (i % 50)) * 100 + (i % 100)).reduce(
      (a, b) => a + b,
      0,
    );
    const job = await upload(large);
    expect(job.status).toBe(202);
    expect(job.headers.get('location')).toBe(`/import/${job.body.id}`);
    const done = await waitFor(
      async () => {
        const res = await call('GET', `/import/${job.body.id}`);
        return res.body.status === 'completed' ? res.body : undefined;
      },
      { timeoutMs: 60_000, description: 'the background import completed' },
    );
    expect(done).toMatchObject({ imported: 400, rows_total: 400, duplicates: 0 });
    const listed = (await call('GET', '/import')).body.data.map((i: { id: string }) => i.id);
    expect(listed).toEqual([job.body.id, again.body.id, first.body.id]);

    // The notifier tells the user.
    const notification = await waitFor(
      async () => {
        const res = await call('GET', '/notifications?limit=200');
        return (res.body?.data ?? []).find(
          (n: { kind: string; data?: { import_id?: string } }) =>
            n.kind === 'import_completed' && n.data?.import_id === job.body.id,
        );
      },
      { timeoutMs: 30_000, description: 'the import notification' },
    );
    expect(notification.body).toContain('400 imported');

    // Budgets and reports consume the imported spending.
    const cents = 1250 + 725 + 3000 + largeTotal;
    const expected = `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;
    await waitFor(async () => (await call('GET', `/budgets/${budget.id}`)).body.spent === expected, {
      timeoutMs: 60_000,
      description: `budget spent ${expected}`,
    });
    await waitFor(
      async () =>
        (await call('GET', `/analytics/spending?from=${monthStart}&to=${today}`)).body.total === expected,
      { timeoutMs: 60_000, description: `reports' spending ${expected}` },
    );

    // Undo the large import: its 400 transactions go, and the read models follow.
    const undone = await call('DELETE', `/import/${job.body.id}`);
    expect(undone.status).toBe(200);
    expect(undone.body.status).toBe('undone');
    await waitFor(async () => (await call('GET', `/budgets/${budget.id}`)).body.spent === '49.75', {
      timeoutMs: 60_000,
      description: 'budget spent 49.75 after the undo',
    });
  }, 240_000);
});
