import { httpJson, waitFor } from '@finance/shared/testing';
import { parse } from 'csv-parse/sync';
import { registerAndLogin } from './hostile-support';
import { startSystem, type System } from './system';

const ADMIN = { email: 'fx-admin@example.com', username: 'fxadmin', password: 'an admin password' };

/**
 * Issue 17 through the gateway, every service really running: an admin enters the day's rates (no
 * provider: an offline installation), a user with EUR, USD and JPY accounts sees balances, a budget,
 * a goal, reports and the CSV export in their base currency, exact to the minor unit; then changes
 * base currency to USD, and the ledger's recomputation (its job every second here) flows through
 * the events: reports' totals and the balances follow, the EUR budget is flagged until its amount is
 * set again in USD. Every "follows" is a wait on a condition, never a sleep.
 *
 * Rates of today: 1 EUR = 1.0850 USD = 162.37 JPY (USD↔JPY is the cross rate through EUR, exact).
 */
describe('multi-currency through the gateway', () => {
  let system: System;
  let api: string;
  // Users register without a time zone: theirs is UTC, like this.
  const today = new Date().toISOString().slice(0, 10);

  beforeAll(async () => {
    system = await startSystem('e2e_fx', {
      auth: { ADMIN_EMAIL: ADMIN.email, ADMIN_USERNAME: ADMIN.username, ADMIN_PASSWORD: ADMIN.password },
      ledger: { FX_BASE_CHANGE_SCHEDULE: '* * * * * *' },
    });
    api = system.gateway;
  });
  afterAll(async () => {
    await system?.stop();
  });

  it('shows everything in the base currency, exactly, and follows a change of base currency', async () => {
    const admin = await httpJson('POST', `${api}/auth/login`, {
      body: { username: ADMIN.username, password: ADMIN.password },
    });
    expect(admin.status).toBe(200);
    const rates = await httpJson('PUT', `${api}/exchange-rates`, {
      token: admin.body.access_token,
      body: {
        rates: [
          { base: 'EUR', quote: 'USD', date: today, rate: '1.0850' },
          { base: 'EUR', quote: 'JPY', date: today, rate: '162.37' },
        ],
      },
    });
    expect(rates.status).toBe(200);
    expect(rates.body).toEqual({ stored: 2 });

    const { token } = await registerAndLogin(api, 'yuki', { base_currency: 'EUR' });
    const call = (method: string, path: string, body?: unknown) =>
      httpJson(method, `${api}${path}`, { token, body });

    const account = async (name: string, currency: string, opening_balance: string) => {
      const res = await call('POST', '/accounts', { name, type: 'checking', currency, opening_balance });
      expect(res.status).toBe(201);
      return res.body.id as string;
    };
    const eur = await account('Giro', 'EUR', '1000.00');
    const usd = await account('Chase', 'USD', '500.00');
    const jpy = await account('Yucho', 'JPY', '100000');
    const categories = await waitFor(async () => {
      const res = await call('GET', '/categories');
      return res.status === 200 && res.body.data.length > 0 ? res.body.data : undefined;
    });
    const groceries = categories.find((c: { name: string }) => c.name === 'Groceries').id as string;

    const book = async (body: Record<string, unknown>) => {
      const res = await call('POST', '/transactions', { date: today, ...body });
      expect(res.status).toBe(201);
      return res.body;
    };
    const spend = (account_id: string, amount: string, description: string) =>
      book({ account_id, amount, description, transaction_type: 'expense', category_id: groceries });
    // Converted at today's rate, rounded half-even once: 10.85 USD = 10.00 EUR, 1625 JPY = 10.0080… → 10.01 EUR.
    expect(await spend(eur, '12.34', 'Markt')).toMatchObject({ base_amount: '12.34', base_currency: 'EUR' });
    expect(await spend(usd, '10.85', 'Deli')).toMatchObject({
      amount: '10.85',
      currency: 'USD',
      base_amount: '10.00',
      base_currency: 'EUR',
      fx_rate: expect.stringMatching(/^0\.921658986175/),
      fx_rate_date: today,
    });
    expect(await spend(jpy, '1625', 'Konbini')).toMatchObject({ base_amount: '10.01', base_currency: 'EUR' });
    const salary = await book({
      account_id: usd,
      amount: '108.50',
      description: 'Refund',
      transaction_type: 'income',
    });
    expect(salary).toMatchObject({ base_amount: '100.00', base_currency: 'EUR' });

    // Balances: each account in its own currency and in EUR at today's rate, and the total.
    const balances = async () => {
      const res = await call('GET', '/accounts/balances');
      expect(res.status).toBe(200);
      const byId = Object.fromEntries(
        res.body.accounts.map((a: { account_id: string }) => [a.account_id, a]),
      ) as Record<string, { currency: string; balance: string; base_balance: string }>;
      return {
        base: res.body.base_currency as string,
        total: res.body.total as string,
        complete: res.body.complete as boolean,
        accounts: [eur, usd, jpy].map((id) => {
          const a = byId[id];
          return [a.currency, a.balance, a.base_balance];
        }),
      };
    };
    expect(await balances()).toEqual({
      base: 'EUR',
      total: '2144.36',
      complete: true,
      accounts: [
        ['EUR', '987.66', '987.66'],
        ['USD', '597.65', '550.83'],
        ['JPY', '98375', '605.87'],
      ],
    });

    // A budget and a goal in EUR, fed by the ledger's events.
    const budget = await waitFor(async () => {
      const res = await call('POST', '/budgets', {
        name: 'Food',
        category_id: groceries,
        amount: '50',
        period: 'monthly',
        start_date: today,
      });
      return res.status === 201 ? (res.body as { id: string; currency: string }) : undefined;
    });
    expect(budget.currency).toBe('EUR');
    const budgetNow = async () => (await call('GET', `/budgets/${budget.id}`)).body;
    await waitFor(async () => (await budgetNow()).spent === '32.35', {
      description: 'budgets to count 32.35 EUR',
    });
    expect(await budgetNow()).toMatchObject({
      in_base_currency: true,
      limit: '50.00',
      spent: '32.35',
      percent_used: '64.70',
      status: 'under',
      complete: true,
      problem: null,
    });
    const goal = await call('POST', '/goals', { name: 'Trip', target_amount: '500' });
    expect(goal.status).toBe(201);
    expect(goal.body.currency).toBe('EUR');
    const contribution = await call('POST', `/goals/${goal.body.id}/contribute`, {
      transaction_id: salary.id,
    });
    expect(contribution.status).toBe(201);
    expect((await call('GET', `/goals/${goal.body.id}`)).body).toMatchObject({
      current_amount: '100.00',
      currency: 'EUR',
    });

    // Reports: the day's spending in EUR, nothing left out; the export has both currencies.
    const spending = async () => (await call('GET', `/analytics/spending?from=${today}&to=${today}`)).body;
    await waitFor(async () => (await spending()).count === 3, {
      description: 'reports to hold the 3 expenses',
    });
    expect(await spending()).toMatchObject({ currency: 'EUR', total: '32.35', other_currencies: [] });
    const exported = async () => {
      const res = await fetch(`${api}/export/csv?from=${today}&to=${today}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(res.status).toBe(200);
      const rows = parse(await res.text(), { columns: true }) as Array<Record<string, string>>;
      return rows
        .map((r) => [r.description, r.amount, r.currency, r.base_amount, r.base_currency].join(' '))
        .sort();
    };
    expect(await exported()).toEqual([
      'Deli 10.85 USD 10.00 EUR',
      'Konbini 1625 JPY 10.01 EUR',
      'Markt 12.34 EUR 12.34 EUR',
      'Refund 108.50 USD 100.00 EUR',
    ]);

    // The user's base currency becomes USD (at auth); the ledger re-books every transaction.
    const changed = await call('PUT', '/users/me', { base_currency: 'USD' });
    expect(changed.status).toBe(200);
    expect(changed.body.base_currency).toBe('USD');
    await waitFor(
      async () => {
        const res = await call('GET', '/currencies/base-change');
        return res.status === 200 && res.body.base_currency === 'USD' && res.body.status === 'done'
          ? res.body
          : undefined;
      },
      { timeoutMs: 30_000, description: "the ledger's recomputation to finish" },
    );
    expect((await call('GET', '/currencies/base-change')).body).toMatchObject({
      total: 4,
      done: 4,
      failed: 0,
    });

    // Balances in USD: EUR at 1.0850, JPY at the cross rate 1.0850 / 162.37.
    expect(await balances()).toEqual({
      base: 'USD',
      total: '2326.63',
      complete: true,
      accounts: [
        ['EUR', '987.66', '1071.61'],
        ['USD', '597.65', '597.65'],
        ['JPY', '98375', '657.37'],
      ],
    });

    // Reports converge on USD as the re-booked transactions arrive: 13.39 + 10.85 + 10.86.
    await waitFor(
      async () => {
        const s = await spending();
        return s.currency === 'USD' && s.other_currencies.length === 0 && s.total === '35.10' ? s : undefined;
      },
      { timeoutMs: 30_000, description: 'reports to show 35.10 USD with nothing left out' },
    );
    await waitFor(
      async () =>
        JSON.stringify(await exported()) ===
        JSON.stringify([
          'Deli 10.85 USD 10.85 USD',
          'Konbini 1625 JPY 10.86 USD',
          'Markt 12.34 EUR 13.39 USD',
          'Refund 108.50 USD 108.50 USD',
        ]),
      { timeoutMs: 30_000, description: 'the export to show the USD base amounts' },
    );

    // The EUR budget is flagged (not converted): no figures, no alerts, until its amount is set in USD.
    await waitFor(async () => (await budgetNow()).in_base_currency === false, {
      description: 'budgets to learn the new base currency',
    });
    expect(await budgetNow()).toMatchObject({
      amount: '50.00',
      currency: 'EUR',
      base_currency: 'USD',
      spent: null,
      status: 'unavailable',
      complete: false,
      problem: expect.stringContaining('your base currency is now USD'),
    });
    const status = await call('GET', '/analytics/budget-status');
    expect(status.body.summary).toMatchObject({ unavailable: 1, total: 1 });
    const redenominated = await call('PATCH', `/budgets/${budget.id}`, { amount: '40' });
    expect(redenominated.status).toBe(200);
    expect(redenominated.body).toMatchObject({ amount: '40.00', currency: 'USD', in_base_currency: true });
    // Every expense has been re-booked in USD by now: the window is complete.
    await waitFor(async () => (await budgetNow()).spent === '35.10', {
      description: 'budgets to count 35.10 USD',
    });
    expect(await budgetNow()).toMatchObject({
      spent: '35.10',
      percent_used: '87.75',
      status: 'near',
      complete: true,
      uncounted_expenses: 0,
      problem: null,
    });

    // Goals keeps a goal in the currency it was set in and never converts: the linked refund was
    // made in USD and is now booked in USD, so nothing says what it is worth in EUR any more and it
    // no longer counts towards the EUR goal (one made in EUR would: goals' rule, its README).
    await waitFor(async () => (await call('GET', `/goals/${goal.body.id}`)).body.current_amount === '0.00', {
      timeoutMs: 30_000,
      description: 'goals to drop the contribution re-booked in another currency',
    });
  });
});
