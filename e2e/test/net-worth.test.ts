import { httpJson, waitFor } from '@finance/shared/testing';
import { registerAndLogin } from './hostile-support';
import { startSystem, type System } from './system';

/**
 * Net worth and balance history through the gateway, every service running: accounts (one a credit
 * card, a liability; one in EUR whose opening balance cannot be converted), transactions over three
 * months booked in the ledger, reports' figures following through the events — month by month
 * exact, a card payment (a transfer) leaving net worth as it was, a delete flowing through, and
 * `/accounts/{id}/balance-history` answered by reports although `/accounts` is the ledger's.
 */
describe('net worth through the gateway', () => {
  let system: System;
  let api: string;

  beforeAll(async () => {
    system = await startSystem('e2e_net_worth');
    api = system.gateway;
  });
  afterAll(async () => {
    await system?.stop();
  });

  it('watches net worth month by month, exact, with a credit card; a transfer changes nothing', async () => {
    const { token } = await registerAndLogin(api, 'worthy', { base_currency: 'USD' });
    const call = (method: string, path: string, body?: unknown) =>
      httpJson(method, `${api}${path}`, { token, body });
    const account = async (body: Record<string, unknown>) => {
      const res = await call('POST', '/accounts', body);
      expect(res.status).toBe(201);
      return res.body.id as string;
    };
    const checking = await account({
      name: 'Checking',
      type: 'checking',
      currency: 'USD',
      opening_balance: '1000.00',
    });
    const card = await account({ name: 'Visa', type: 'credit_card', currency: 'USD', opening_balance: '0' });
    const euros = await account({
      name: 'Sparbuch',
      type: 'savings',
      currency: 'EUR',
      opening_balance: '250.00',
    });
    const book = async (body: Record<string, unknown>) => {
      const res = await call('POST', '/transactions', { description: 'net worth', ...body });
      expect(res.status).toBe(201);
      return res.body.id as string;
    };
    await book({ account_id: checking, transaction_type: 'income', amount: '2500.00', date: '2026-01-05' });
    await book({ account_id: card, transaction_type: 'expense', amount: '80.40', date: '2026-01-12' });
    await book({ account_id: card, transaction_type: 'expense', amount: '19.99', date: '2026-02-03' });
    // Paying the card off from checking.
    await book({
      account_id: checking,
      to_account_id: card,
      transaction_type: 'transfer',
      amount: '100.40',
      date: '2026-02-25',
    });
    const rent = await book({
      account_id: checking,
      transaction_type: 'expense',
      amount: '1200.00',
      date: '2026-03-15',
    });

    const netWorth = (query: string) => call('GET', `/analytics/net-worth?${query}`);
    const months = (march: string) => [
      // checking 1000 + 2500; the card owes 80.40
      {
        period_start: '2026-01-01',
        period_end: '2026-01-31',
        assets: '3500.00',
        liabilities: '80.40',
        net_worth: '3419.60',
      },
      // checking - 100.40; the card: -80.40 - 19.99 + 100.40 = +0.01, overpaid (owes -0.01)
      {
        period_start: '2026-02-01',
        period_end: '2026-02-28',
        assets: '3399.60',
        liabilities: '-0.01',
        net_worth: '3399.61',
      },
      march === 'rent'
        ? {
            period_start: '2026-03-01',
            period_end: '2026-03-31',
            assets: '2199.60',
            liabilities: '-0.01',
            net_worth: '2199.61',
          }
        : {
            period_start: '2026-03-01',
            period_end: '2026-03-31',
            assets: '3399.60',
            liabilities: '-0.01',
            net_worth: '3399.61',
          },
    ];
    const first = await waitFor(
      async () => {
        const res = await netWorth('from=2026-01-01&to=2026-03-31&granularity=month');
        return res.status === 200 && JSON.stringify(res.body.periods) === JSON.stringify(months('rent'))
          ? res
          : undefined;
      },
      { timeoutMs: 20_000, description: "reports' net worth after the ledger's events" },
    );
    expect(first.body).toEqual({
      from: '2026-01-01',
      to: '2026-03-31',
      granularity: 'month',
      currency: 'USD',
      complete: false,
      other_currencies: [],
      unconverted_accounts: [
        { account_id: euros, name: 'Sparbuch', currency: 'EUR', opening_balance: '250.00' },
      ],
      periods: months('rent'),
    });

    // Around the card payment, day by day: net worth does not move; the card's balance does.
    const days = await netWorth('from=2026-02-24&to=2026-02-26&granularity=day');
    expect(days.body.periods.map((p: { net_worth: string }) => p.net_worth)).toEqual([
      '3399.61',
      '3399.61',
      '3399.61',
    ]);
    expect(days.body.periods.map((p: { liabilities: string }) => p.liabilities)).toEqual([
      '100.39',
      '-0.01',
      '-0.01',
    ]);

    const history = (id: string, query: string) => call('GET', `/accounts/${id}/balance-history?${query}`);
    const cardHistory = await history(card, 'from=2026-01-01&to=2026-03-31');
    expect(cardHistory.status).toBe(200);
    expect(cardHistory.body).toMatchObject({
      account_id: card,
      type: 'credit_card',
      currency: 'USD',
      opening_balance: '0.00',
    });
    expect(
      cardHistory.body.periods.map((p: { change: string; balance: string }) => [p.change, p.balance]),
    ).toEqual([
      ['-80.40', '-80.40'],
      ['80.41', '0.01'],
      ['0.00', '0.01'],
    ]);
    const euroHistory = await history(euros, 'from=2026-01-01&to=2026-02-28');
    expect(euroHistory.body.periods.map((p: { balance: string }) => p.balance)).toEqual(['250.00', '250.00']);
    expect(euroHistory.body.currency).toBe('EUR');

    // A delete in the ledger flows through to reports.
    expect((await call('DELETE', `/transactions/${rent}`)).status).toBe(204);
    await waitFor(
      async () => {
        const res = await netWorth('from=2026-01-01&to=2026-03-31&granularity=month');
        return JSON.stringify(res.body.periods) === JSON.stringify(months('no rent')) ? res : undefined;
      },
      { timeoutMs: 20_000, description: 'net worth after the delete' },
    );
    const checkingHistory = await history(checking, 'from=2026-01-01&to=2026-12-31&granularity=year');
    expect(checkingHistory.body.periods).toEqual([
      { period_start: '2026-01-01', period_end: '2026-12-31', change: '2399.60', balance: '3399.60' },
    ]);

    // Another user's account is a 404 through the gateway, like an unknown one; a bad series a 400.
    const other = await registerAndLogin(api, 'unworthy');
    const theirs = await httpJson('GET', `${api}/accounts/${card}/balance-history`, { token: other.token });
    expect(theirs.status).toBe(404);
    expect(theirs.headers.get('content-type')).toMatch(/problem\+json/);
    expect((await history('0190a000-0000-7000-8000-000000000000', '')).status).toBe(404);
    const tooLong = await netWorth('from=2021-01-01&to=2025-12-31&granularity=day');
    expect(tooLong.status).toBe(400);
    // The ledger still answers its own /accounts paths.
    expect((await call('GET', `/accounts/${card}`)).body).toMatchObject({ id: card, type: 'credit_card' });

    const doc = await httpJson('GET', `${api}/openapi.json`);
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining(['/analytics/net-worth', '/accounts/{id}/balance-history']),
    );
  });
});
