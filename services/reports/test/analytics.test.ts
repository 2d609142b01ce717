import { randomUUID } from 'node:crypto';
import { TestTokenIssuer, httpJson } from '@finance/shared/testing';
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

/**
 * A hand-computed fixture. User A lives in Pacific/Auckland (NZD), user B in
 * America/Los_Angeles (USD). At 2026-02-28T12:00Z it is already 1 March in Auckland and still
 * 28 February in Los Angeles, so "the current month" differs between them.
 */
describe('analytics over the roll-ups', () => {
  const issuer = new TestTokenIssuer();
  let service: ReportsService;
  let now = new Date('2026-02-28T12:00:00Z');
  const A = randomUUID();
  const B = randomUUID();
  const ids = {
    checking: randomUUID(),
    savings: randomUUID(),
    bAccount: randomUUID(),
    groceries: randomUUID(),
    rent: randomUUID(),
    fun: randomUUID(),
    coffee: randomUUID(),
    salary: randomUUID(),
  };
  const coffeeTx = randomUUID();

  beforeAll(async () => {
    await issuer.start();
    service = await startReports('reports_analytics', { issuer, clock: () => now, browser: false });
    const tx = (overrides: Parameters<typeof transaction>[0]) =>
      event('ledger.transaction.created', A, randomUUID(), 1, transaction(overrides));
    await apply(
      service,
      event('auth.user.registered', A, A, 1, profile('NZD', 'Pacific/Auckland')),
      event('auth.user.registered', B, B, 1, profile('USD', 'America/Los_Angeles')),
      event('ledger.account.created', A, ids.checking, 1, account('Checking', 'NZD', '1000.00')),
      event('ledger.account.created', A, ids.savings, 1, account('Savings', 'NZD', '500.00')),
      event('ledger.account.created', B, ids.bAccount, 1, account('Wallet', 'USD', '0')),
      event('ledger.category.created', A, ids.groceries, 1, category('Groceries', '#2E7D32')),
      event('ledger.category.created', A, ids.rent, 1, category('Rent', '#C62828')),
      event('ledger.category.created', A, ids.fun, 1, category('Fun', '#6A1B9A')),
      event('ledger.category.created', A, ids.coffee, 1, category('Coffee', '#795548')),
      event('ledger.category.created', A, ids.salary, 1, category('Salary', '#1565C0', 'income')),
      tx({ accountId: ids.checking, amount: '45.10', categoryId: ids.groceries, date: '2026-01-31' }),
      tx({ accountId: ids.checking, amount: '1200.00', categoryId: ids.rent, date: '2026-02-01' }),
      tx({
        accountId: ids.checking,
        amount: '5000.00',
        type: 'income',
        categoryId: ids.salary,
        date: '2026-02-01',
      }),
      tx({ accountId: ids.checking, amount: '30.25', categoryId: ids.fun, date: '2026-02-14' }),
      tx({ accountId: ids.savings, amount: '19.99', date: '2026-02-15' }),
      tx({
        accountId: ids.checking,
        toAccountId: ids.savings,
        type: 'transfer',
        amount: '300.00',
        date: '2026-02-20',
      }),
      tx({ accountId: ids.checking, amount: '54.90', categoryId: ids.groceries, date: '2026-02-28' }),
      tx({ accountId: ids.checking, amount: '99.00', categoryId: ids.groceries, date: '2026-03-01' }),
      event(
        'ledger.transaction.created',
        A,
        coffeeTx,
        1,
        transaction({ accountId: ids.checking, amount: '4.50', categoryId: ids.coffee, date: '2026-02-10' }),
      ),
      // After the fact: Fun renamed; Coffee deleted with its transactions moved to Groceries.
      event('ledger.category.updated', A, ids.fun, 2, category('Going out', '#6A1B9A')),
      event('ledger.category.deleted', A, ids.coffee, 2, {
        ...category('Coffee', '#795548'),
        reassignedTo: ids.groceries,
      }),
      event(
        'ledger.transaction.updated',
        A,
        coffeeTx,
        2,
        transaction({
          accountId: ids.checking,
          amount: '4.50',
          categoryId: ids.groceries,
          date: '2026-02-10',
        }),
      ),
      event(
        'ledger.transaction.created',
        B,
        randomUUID(),
        1,
        transaction({ accountId: ids.bAccount, currency: 'USD', amount: '10.00', date: '2026-02-28' }),
      ),
      event(
        'ledger.transaction.created',
        B,
        randomUUID(),
        1,
        transaction({ accountId: ids.bAccount, currency: 'USD', amount: '20.00', date: '2026-03-01' }),
      ),
    );
  });

  afterAll(async () => {
    await service?.close();
    await issuer.stop();
  });

  const get = (path: string, userId = A) =>
    httpJson('GET', `${service.url}${path}`, { token: issuer.token(userId) });

  it('spending by category: renamed and reassigned categories, uncategorised row, shares, transfers excluded', async () => {
    const res = await get('/analytics/spending?from=2026-02-01&to=2026-02-28');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      from: '2026-02-01',
      to: '2026-02-28',
      currency: 'NZD',
      other_currencies: [],
      total: '1309.64',
      count: 5,
      categories: [
        { category_id: ids.rent, name: 'Rent', color: '#C62828', total: '1200.00', share: '91.63', count: 1 },
        {
          category_id: ids.groceries,
          name: 'Groceries',
          color: '#2E7D32',
          total: '59.40',
          share: '4.54',
          count: 2,
        },
        {
          category_id: ids.fun,
          name: 'Going out',
          color: '#6A1B9A',
          total: '30.25',
          share: '2.31',
          count: 1,
        },
        {
          category_id: null,
          name: 'Uncategorised',
          color: '#9AA0A6',
          total: '19.99',
          share: '1.53',
          count: 1,
        },
      ],
    });
  });

  it('spending filtered by account and by category', async () => {
    const savings = await get(`/analytics/spending?from=2026-02-01&to=2026-02-28&account_id=${ids.savings}`);
    expect(savings.body.total).toBe('19.99');
    expect(savings.body.categories).toHaveLength(1);
    const groceries = await get(
      `/analytics/spending?from=2026-01-01&to=2026-03-31&category_id=${ids.groceries}`,
    );
    expect(groceries.body.total).toBe('203.50');
    expect(groceries.body.count).toBe(4);
  });

  it('defaults to the current month in the user’s own timezone', async () => {
    now = new Date('2026-02-28T12:00:00Z');
    const auckland = await get('/analytics/spending');
    expect(auckland.body).toMatchObject({ from: '2026-03-01', to: '2026-03-31', total: '99.00' });
    const losAngeles = await get('/analytics/spending', B);
    expect(losAngeles.body).toMatchObject({
      from: '2026-02-01',
      to: '2026-02-28',
      total: '10.00',
      currency: 'USD',
    });
    // One end given: the other completes that end's month.
    expect((await get('/analytics/spending?from=2026-01-10')).body).toMatchObject({
      from: '2026-01-10',
      to: '2026-01-31',
      total: '45.10',
    });
    expect((await get('/analytics/spending?to=2026-02-14')).body).toMatchObject({
      from: '2026-02-01',
      to: '2026-02-14',
      total: '1234.75',
    });
  });

  it('income vs expense per month, zero-filled, with savings rate', async () => {
    const res = await get('/analytics/income-vs-expense?from=2026-01-01&to=2026-04-30&granularity=month');
    expect(res.status).toBe(200);
    expect(res.body.periods).toEqual([
      { period_start: '2026-01-01', income: '0.00', expense: '45.10', net: '-45.10', savings_rate: null },
      {
        period_start: '2026-02-01',
        income: '5000.00',
        expense: '1309.64',
        net: '3690.36',
        savings_rate: '73.81',
      },
      { period_start: '2026-03-01', income: '0.00', expense: '99.00', net: '-99.00', savings_rate: null },
      { period_start: '2026-04-01', income: '0.00', expense: '0.00', net: '0.00', savings_rate: null },
    ]);
    expect(res.body.totals).toEqual({
      income: '5000.00',
      expense: '1453.74',
      net: '3546.26',
      savings_rate: '70.93',
    });
  });

  it('weeks start on Monday and only days inside the range count', async () => {
    const res = await get('/analytics/income-vs-expense?from=2026-02-01&to=2026-02-08&granularity=week');
    expect(res.body.periods).toEqual([
      {
        period_start: '2026-01-26',
        income: '5000.00',
        expense: '1200.00',
        net: '3800.00',
        savings_rate: '76.00',
      },
      { period_start: '2026-02-02', income: '0.00', expense: '0.00', net: '0.00', savings_rate: null },
    ]);
  });

  it('cash flow: total excludes transfers, per account includes them, from opening balances', async () => {
    const total = await get('/analytics/cashflow?from=2026-02-01&to=2026-02-28&granularity=month');
    expect(total.body).toMatchObject({
      opening_balance: '1454.90',
      closing_balance: '5145.26',
      periods: [
        {
          period_start: '2026-02-01',
          inflow: '5000.00',
          outflow: '1309.64',
          net: '3690.36',
          balance: '5145.26',
        },
      ],
    });
    const savings = await get(
      `/analytics/cashflow?from=2026-02-01&to=2026-02-28&granularity=month&account_id=${ids.savings}`,
    );
    expect(savings.body).toMatchObject({
      opening_balance: '500.00',
      periods: [{ inflow: '300.00', outflow: '19.99', balance: '780.01' }],
    });
    const checking = await get(
      `/analytics/cashflow?from=2026-02-01&to=2026-02-28&granularity=month&account_id=${ids.checking}`,
    );
    // 1000 − 45.10 (January) + 5000 − 1200 − 30.25 − 300 − 54.90 − 4.50
    expect(checking.body.closing_balance).toBe('4365.25');
  });

  it('trends: this month vs last and vs the average of the months before', async () => {
    now = new Date('2026-03-15T00:00:00Z');
    const res = await get('/analytics/trends?period=month&periods=2');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      current_period_start: '2026-03-01',
      previous_period_start: '2026-02-01',
      currency: 'NZD',
    });
    const groceries = res.body.categories.find(
      (c: { category_id: string }) => c.category_id === ids.groceries,
    );
    expect(groceries).toEqual({
      category_id: ids.groceries,
      name: 'Groceries',
      color: '#2E7D32',
      current: '99.00',
      previous: '59.40',
      change: '39.60',
      change_percent: '66.67',
      average: '52.25',
      change_vs_average: '46.75',
      change_vs_average_percent: '89.47',
    });
    const rent = res.body.categories.find((c: { category_id: string }) => c.category_id === ids.rent);
    expect(rent).toMatchObject({
      current: '0.00',
      previous: '1200.00',
      change: '-1200.00',
      change_percent: '-100.00',
      average: '600.00',
    });
    expect(res.body.categories[0].category_id).toBe(ids.groceries);
  });

  it('is scoped to the caller: another user sees none of it, and another user’s account is 404', async () => {
    const res = await get('/analytics/spending?from=2026-02-01&to=2026-02-28', B);
    expect(res.body.total).toBe('10.00');
    const foreign = await get(`/analytics/cashflow?account_id=${ids.checking}`, B);
    expect(foreign.status).toBe(404);
  });

  it.each([
    ['/analytics/spending?from=2026-03-01&to=2026-02-01', 'query.from'],
    ['/analytics/spending?from=2020-01-01&to=2026-01-01', 'query.to'],
    ['/analytics/spending?from=2026-02-30', 'query.from'],
    ['/analytics/spending?from=yesterday', 'query.from'],
    ['/analytics/spending?account_id=nope', 'query.account_id'],
    ['/analytics/income-vs-expense?granularity=fortnight', 'query.granularity'],
    ['/analytics/trends?periods=0', 'query.periods'],
    ['/analytics/spending?colour=red', 'query.colour'],
    ['/analytics/spending?category_id=nope', 'query.category_id'],
    // Dates outside the date domain (1900-01-01..2999-12-31), on every date-taking route.
    ['/analytics/income-vs-expense?from=9999-12-01&to=9999-12-31&granularity=year', 'query.from'],
    ['/analytics/income-vs-expense?from=9999-12-01&to=9999-12-31&granularity=year', 'query.to'],
    ['/analytics/cashflow?from=9999-12-01&to=9999-12-31&granularity=day', 'query.from'],
    ['/analytics/income-vs-expense?to=9999-12-31&granularity=month', 'query.to'],
    ['/analytics/cashflow?to=9999-12-31&granularity=week', 'query.to'],
    ['/analytics/spending?from=0050-06-15', 'query.from'],
    ['/analytics/spending?to=1899-12-31', 'query.to'],
    ['/analytics/spending?from=3000-01-01', 'query.from'],
    // A series longer than MAX_PERIODS (1000) is refused before it is built.
    ['/analytics/income-vs-expense?from=2020-01-01&to=2023-12-31&granularity=day', 'query.granularity'],
    ['/analytics/cashflow?from=2020-01-01&to=2023-12-31&granularity=day', 'query.granularity'],
  ])('bad input %s → 400 naming %s', async (path, field) => {
    const res = await get(path);
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
  });

  it('a series of more than MAX_PERIODS periods is a 400 naming granularity, from and to, with the numbers', async () => {
    for (const path of ['/analytics/income-vs-expense', '/analytics/cashflow']) {
      const res = await get(`${path}?from=2021-01-01&to=2025-12-31&granularity=day`);
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(res.body.detail).toBe(
        'From 2021-01-01 to 2025-12-31 by day is 1826 periods; at most 1000 are answered at once: choose a coarser granularity or a shorter range',
      );
      expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual([
        'query.granularity',
        'query.from',
        'query.to',
      ]);
      // The same range by week fits.
      expect((await get(`${path}?from=2021-01-01&to=2025-12-31&granularity=week`)).body.periods).toHaveLength(
        262,
      );
    }
  });

  describe('ids in filters must be the caller’s own (404 otherwise, as the ledger answers)', () => {
    const unknown = randomUUID();
    it.each([
      ['/analytics/spending?account_id=', 'checking', 'query.account_id'],
      ['/analytics/spending?category_id=', 'groceries', 'query.category_id'],
      ['/analytics/cashflow?account_id=', 'checking', 'query.account_id'],
    ] as const)(
      '%s<id>: another user’s id and an unknown id are 404 naming %s',
      async (prefix, own, field) => {
        // A's own id works for A…
        expect((await get(`${prefix}${ids[own]}`)).status).toBe(200);
        // …and is a 404 for B, like an id nobody has.
        for (const res of [await get(`${prefix}${ids[own]}`, B), await get(`${prefix}${unknown}`)]) {
          expect(res.status).toBe(404);
          expect(res.headers.get('content-type')).toContain('application/problem+json');
          expect(res.body.errors).toEqual([{ field, message: expect.any(String) }]);
        }
      },
    );

    it('a deleted category is not yours any more', async () => {
      const res = await get(`/analytics/spending?category_id=${ids.coffee}`);
      expect(res.status).toBe(404);
      expect(res.body.errors[0].field).toBe('query.category_id');
    });
  });

  it('category_id=uncategorized filters to uncategorised spending, as the ledger’s list does', async () => {
    const res = await get('/analytics/spending?from=2026-02-01&to=2026-02-28&category_id=uncategorized');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ total: '19.99', count: 1 });
    expect(res.body.categories).toEqual([
      {
        category_id: null,
        name: 'Uncategorised',
        color: '#9AA0A6',
        total: '19.99',
        share: '100.00',
        count: 1,
      },
    ]);
    const onChecking = await get(
      `/analytics/spending?from=2026-02-01&to=2026-02-28&category_id=uncategorized&account_id=${ids.checking}`,
    );
    expect(onChecking.body).toMatchObject({ total: '0.00', count: 0, categories: [] });
  });

  it('after a base-currency change, figures are in the current base currency and older ones are counted apart', async () => {
    const C = randomUUID();
    const usd = randomUUID();
    const eur = randomUUID();
    const food = randomUUID();
    const expense = (accountId: string, currency: string, amount: string, date: string) =>
      event(
        'ledger.transaction.created',
        C,
        randomUUID(),
        1,
        transaction({ accountId, currency, amount, baseCurrency: currency, categoryId: food, date }),
      );
    await apply(
      service,
      event('auth.user.registered', C, C, 1, profile('USD', 'UTC')),
      event('ledger.account.created', C, usd, 1, account('Dollars', 'USD', '100.00')),
      event('ledger.category.created', C, food, 1, category('Food', '#2E7D32')),
      expense(usd, 'USD', '10.00', '2026-02-03'),
      expense(usd, 'USD', '5.00', '2026-02-04'),
      event('auth.user.updated', C, C, 2, profile('EUR', 'UTC')),
      event('ledger.account.created', C, eur, 1, account('Euros', 'EUR', '50.00')),
      expense(eur, 'EUR', '7.00', '2026-02-10'),
    );
    const usdLeftOut = [{ currency: 'USD', count: 2 }];
    const spending = await get('/analytics/spending?from=2026-02-01&to=2026-02-28', C);
    expect(spending.body).toMatchObject({
      currency: 'EUR',
      total: '7.00',
      count: 1,
      other_currencies: usdLeftOut,
    });
    expect(spending.body.categories).toEqual([
      expect.objectContaining({ category_id: food, total: '7.00', share: '100.00', count: 1 }),
    ]);
    const incomeExpense = await get('/analytics/income-vs-expense?from=2026-02-01&to=2026-02-28', C);
    expect(incomeExpense.body).toMatchObject({
      currency: 'EUR',
      totals: { income: '0.00', expense: '7.00' },
      other_currencies: usdLeftOut,
    });
    const cashflow = await get('/analytics/cashflow?from=2026-02-01&to=2026-02-28', C);
    expect(cashflow.body).toMatchObject({
      currency: 'EUR',
      opening_balance: '50.00',
      closing_balance: '43.00',
      other_currencies: usdLeftOut,
    });
    const dollars = await get(`/analytics/cashflow?from=2026-02-01&to=2026-02-28&account_id=${usd}`, C);
    expect(dollars.body).toMatchObject({
      currency: 'EUR',
      opening_balance: '0.00',
      closing_balance: '0.00',
      other_currencies: usdLeftOut,
    });
    now = new Date('2026-02-20T12:00:00Z');
    const trends = await get('/analytics/trends?period=month&periods=1', C);
    expect(trends.body).toMatchObject({ currency: 'EUR', other_currencies: usdLeftOut });
    expect(trends.body.categories).toEqual([expect.objectContaining({ category_id: food, current: '7.00' })]);
    // A range holding only euro money has nothing left out.
    expect((await get('/analytics/spending?from=2026-02-10&to=2026-02-28', C)).body.other_currencies).toEqual(
      [],
    );
  });

  it('sums beyond 64 bits stay exact: ten BHD 999,999,999,999,999.000 expenses on one day', async () => {
    const D = randomUUID();
    const wallet = randomUUID();
    const huge = '999999999999999.000';
    await apply(
      service,
      event('auth.user.registered', D, D, 1, profile('BHD', 'Asia/Bahrain')),
      event('ledger.account.created', D, wallet, 1, account('Wallet', 'BHD', '0')),
      ...Array.from({ length: 10 }, () =>
        event(
          'ledger.transaction.created',
          D,
          randomUUID(),
          1,
          transaction({ accountId: wallet, currency: 'BHD', amount: huge, date: '2026-02-10' }),
        ),
      ),
    );
    const total = '9999999999999990.000';
    const spending = await get('/analytics/spending?from=2026-02-01&to=2026-02-28', D);
    expect(spending.body).toMatchObject({ currency: 'BHD', total, count: 10 });
    expect(spending.body.categories).toEqual([
      expect.objectContaining({ total, share: '100.00', count: 10 }),
    ]);
    const incomeExpense = await get('/analytics/income-vs-expense?from=2026-02-01&to=2026-02-28', D);
    expect(incomeExpense.body.totals).toEqual({
      income: '0.000',
      expense: total,
      net: `-${total}`,
      savings_rate: null,
    });
    const cashflow = await get(`/analytics/cashflow?from=2026-02-01&to=2026-02-28&account_id=${wallet}`, D);
    expect(cashflow.body).toMatchObject({ opening_balance: '0.000', closing_balance: `-${total}` });
    const byDay = await get('/analytics/income-vs-expense?from=2026-02-10&to=2026-02-10&granularity=day', D);
    expect(byDay.body.periods).toEqual([
      { period_start: '2026-02-10', income: '0.000', expense: total, net: `-${total}`, savings_rate: null },
    ]);
  });

  it('reads an unknown timezone (as auth may send it) as UTC rather than failing', async () => {
    const E = randomUUID();
    await apply(service, event('auth.user.registered', E, E, 1, profile('EUR', 'Mars/Olympus_Mons')));
    // Still February in UTC; already March east of it.
    now = new Date('2026-02-28T23:30:00Z');
    const res = await get('/analytics/spending', E);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ from: '2026-02-01', to: '2026-02-28', currency: 'EUR' });
  });

  it('documents every endpoint in /openapi.json', async () => {
    const res = await httpJson('GET', `${service.url}/openapi.json`);
    expect(Object.keys(res.body.paths)).toEqual(
      expect.arrayContaining([
        '/analytics/spending',
        '/analytics/income-vs-expense',
        '/analytics/cashflow',
        '/analytics/trends',
        '/export/csv',
        '/export/pdf',
        '/reports',
        '/reports/{id}/pdf',
      ]),
    );
  });

  it('needs a token', async () => {
    const res = await httpJson('GET', `${service.url}/analytics/spending`);
    expect(res.status).toBe(401);
  });
});
