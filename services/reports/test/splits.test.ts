import { randomUUID } from 'node:crypto';
import { parse } from 'csv-parse/sync';
import { TestTokenIssuer, httpJson } from '@finance/shared/testing';
import { rebuildRollups } from '../src/data/rollups';
import {
  account,
  apply,
  category,
  event,
  profile,
  startReports,
  transaction,
  type ReportsService,
} from './support';

/** A split transaction counts each part in its own category: roll-ups, spending, the CSV export. */
describe('reports and split transactions', () => {
  const issuer = new TestTokenIssuer();
  let service: ReportsService;
  const me = randomUUID();
  const checking = randomUUID();
  const [groceries, household] = [randomUUID(), randomUUID()];
  const receipt = randomUUID();
  const parts = (a: string, b: string, c: string | null = household) => [
    { amount: a, baseAmount: a, categoryId: groceries, notes: 'food', tags: ['weekly'] },
    { amount: b, baseAmount: b, categoryId: c, notes: null, tags: [] },
  ];

  beforeAll(async () => {
    await issuer.start();
    service = await startReports('reports_splits', {
      issuer,
      clock: () => new Date('2026-04-15T10:00:00Z'),
      browser: false,
    });
    await apply(
      service,
      event('auth.user.registered', me, me, 1, profile('EUR', 'Europe/Paris')),
      event('ledger.account.created', me, checking, 1, account('Main', 'EUR', '0')),
      event('ledger.category.created', me, groceries, 1, category('Groceries', '#2E7D32')),
      event('ledger.category.created', me, household, 1, category('Household', '#1565C0')),
      event(
        'ledger.transaction.created',
        me,
        randomUUID(),
        1,
        transaction({
          accountId: checking,
          currency: 'EUR',
          amount: '5.00',
          categoryId: groceries,
          date: '2026-04-01',
        }),
      ),
    );
  });
  afterAll(async () => {
    await service?.close();
    await issuer.stop();
  });

  const get = (path: string) => httpJson('GET', `${service.url}${path}`, { token: issuer.token(me) });
  const spending = async () => {
    const res = await get('/analytics/spending?from=2026-04-01&to=2026-04-30');
    expect(res.status).toBe(200);
    return {
      total: res.body.total,
      categories: Object.fromEntries(
        (res.body.categories as Array<{ name: string; total: string }>).map((c) => [c.name, c.total]),
      ),
    };
  };
  const split = (
    version: number,
    type: 'created' | 'updated' | 'deleted',
    a: string,
    b: string,
    c?: string | null,
  ) =>
    event(
      `ledger.transaction.${type}`,
      me,
      receipt,
      version,
      transaction({
        accountId: checking,
        currency: 'EUR',
        amount:
          Number(a) * 100 + Number(b) * 100 === 0
            ? '0'
            : ((Number(a) * 100 + Number(b) * 100) / 100).toFixed(2),
        date: '2026-04-03',
        description: 'Supermarket',
        splits: parts(a, b, c),
      }),
    );

  it('counts each part in its category, follows new parts, and the repair path agrees', async () => {
    await apply(service, split(1, 'created', '62.10', '17.90'));
    expect(await spending()).toEqual({
      total: '85.00',
      categories: { Groceries: '67.10', Household: '17.90' },
    });

    await apply(service, split(2, 'updated', '70.00', '10.00', null));
    expect(await spending()).toEqual({
      total: '85.00',
      categories: { Groceries: '75.00', Uncategorised: '10.00' },
    });

    const snapshot = () =>
      service.dataSource.query(
        `SELECT 'd' AS t, NULL AS account_id, date::text, category_key, type, total_minor::text, count FROM daily_rollups WHERE user_id = $1
         UNION ALL SELECT 'a', account_id::text, date::text, category_key, type, total_minor::text, count FROM daily_account_rollups WHERE user_id = $1
         ORDER BY 1, 2, 3, 4, 5`,
        [me],
      );
    const incremental = await snapshot();
    await rebuildRollups(service.dataSource, me);
    expect(await snapshot()).toEqual(incremental);
  });

  it('exports one CSV row per part, sharing the transaction id', async () => {
    const res = await fetch(`${service.url}/export/csv?from=2026-04-01&to=2026-04-30`, {
      headers: { authorization: `Bearer ${issuer.token(me)}` },
    });
    expect(res.status).toBe(200);
    const rows = parse(await res.text(), { columns: true }) as Array<Record<string, string>>;
    const mine = rows.filter((r) => r.transaction_id === receipt);
    expect(
      mine.map((r) => [r.amount, r.base_amount, r.category, r.notes, r.tags, r.split_part, r.description]),
    ).toEqual([
      ['70.00', '70.00', 'Groceries', 'food', '["weekly"]', '1', 'Supermarket'],
      ['10.00', '10.00', '', '', '', '2', 'Supermarket'],
    ]);
    const whole = rows.filter((r) => r.transaction_id !== receipt);
    expect(whole.map((r) => [r.amount, r.category, r.split_part])).toEqual([['5.00', 'Groceries', '']]);
    // The category filter finds a split transaction by any part.
    const filtered = await fetch(
      `${service.url}/export/csv?from=2026-04-01&to=2026-04-30&category_id=${groceries}`,
      {
        headers: { authorization: `Bearer ${issuer.token(me)}` },
      },
    );
    const byCategory = parse(await filtered.text(), { columns: true }) as Array<Record<string, string>>;
    expect(byCategory).toHaveLength(3);
  });

  it('takes a deleted split transaction out of every category', async () => {
    await apply(service, split(3, 'deleted', '70.00', '10.00', null));
    expect(await spending()).toEqual({ total: '5.00', categories: { Groceries: '5.00' } });
  });
});
