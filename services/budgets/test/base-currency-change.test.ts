import type { FinanceEvent } from '@finance/shared';
import { TestTokenIssuer, httpJson } from '@finance/shared/testing';
import {
  categoryEvent,
  newId,
  startBudgets,
  transactionEvent,
  userRegistered,
  userUpdated,
  type BudgetsService,
} from './fixtures';

/**
 * A user changes base currency (EUR → USD): budgets set in EUR are flagged, not converted — their
 * figures are unavailable and they alert no one until their amount is set again, in USD — and a
 * budget in the new base currency counts only what the ledger has re-booked in it, is shown
 * incomplete meanwhile, and alerts only once every expense of its window is counted.
 * "Today" is 2026-03-10 in Berlin.
 */
describe('budgets after a base-currency change', () => {
  const issuer = new TestTokenIssuer();
  let service: BudgetsService;
  const deliver = (event: FinanceEvent) => service.consumer.apply(event);

  beforeAll(async () => {
    await issuer.start();
    service = await startBudgets(issuer, { clock: () => new Date('2026-03-10T11:00:00Z') });
  });

  afterAll(async () => {
    await service?.close();
    await issuer.stop();
  });

  const alertsOf = async (userId: string) =>
    (
      (await service.dataSource.query(
        `SELECT envelope FROM outbox
         WHERE type IN ('budgets.budget.threshold-reached', 'budgets.budget.exceeded') AND envelope->>'userId' = $1
         ORDER BY position`,
        [userId],
      )) as Array<{ envelope: FinanceEvent }>
    ).map((row) => row.envelope);

  it('flags budgets in the old base currency, judges new ones only on complete figures, and re-denominates on a new amount', async () => {
    const user = newId();
    const token = issuer.token(user);
    const groceries = newId();
    await deliver(userRegistered(user, 'EUR', 'Europe/Berlin'));
    await deliver(categoryEvent('ledger.category.created', user, groceries));
    const created = await httpJson('POST', `${service.url}/budgets`, {
      token,
      body: {
        name: 'Food',
        category_id: groceries,
        amount: '100',
        period: 'monthly',
        start_date: '2026-03-01',
      },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ currency: 'EUR', in_base_currency: true, base_currency: 'EUR' });
    const food = created.body.id as string;
    const [t1, t2] = [newId(), newId()];
    await deliver(
      transactionEvent('ledger.transaction.created', user, t1, 1, {
        baseAmount: '30.00',
        categoryId: groceries,
        date: '2026-03-02',
      }),
    );
    await deliver(
      transactionEvent('ledger.transaction.created', user, t2, 1, {
        baseAmount: '50.00',
        categoryId: groceries,
        date: '2026-03-05',
      }),
    );
    const get = async (id: string) => {
      const res = await httpJson('GET', `${service.url}/budgets/${id}`, { token });
      expect(res.status).toBe(200);
      return res.body;
    };
    expect(await get(food)).toMatchObject({ spent: '80.00', status: 'near', complete: true, problem: null });
    expect(await alertsOf(user)).toHaveLength(1); // 80 % of 100 EUR

    // The base currency changes; the ledger has re-booked nothing yet.
    await deliver(userUpdated(user, 2, { baseCurrency: 'USD', timezone: 'Europe/Berlin' }));
    const flagged = await get(food);
    expect(flagged).toMatchObject({
      amount: '100.00',
      currency: 'EUR',
      in_base_currency: false,
      base_currency: 'USD',
      limit: '100.00',
      carried_over: null,
      spent: null,
      remaining: null,
      percent_used: null,
      status: 'unavailable',
      complete: false,
      daily_allowance: null,
      projected_spend: null,
    });
    expect(flagged.problem).toBe(
      "This budget's amount is in EUR and your base currency is now USD: its spending is not judged until " +
        'you set its amount again (PUT, or PATCH amount), in USD',
    );
    expect(flagged.history.every((w: { status: string }) => w.status === 'unavailable')).toBe(true);

    // A new budget is in USD; the ledger has re-booked one of the two expenses so far.
    const usd = await httpJson('POST', `${service.url}/budgets`, {
      token,
      body: {
        name: 'Food USD',
        category_id: groceries,
        amount: '40',
        period: 'monthly',
        start_date: '2026-03-01',
      },
    });
    expect(usd.body).toMatchObject({ currency: 'USD', in_base_currency: true });
    await deliver(
      transactionEvent('ledger.transaction.updated', user, t1, 2, {
        baseAmount: '33.00',
        baseCurrency: 'USD',
        categoryId: groceries,
        date: '2026-03-02',
      }),
    );
    const halfway = await get(usd.body.id);
    // 33.00 of 40.00 would be "near": t2 is still in EUR, so the figures say they are incomplete and no alert goes out.
    expect(halfway).toMatchObject({ spent: '33.00', complete: false, uncounted_expenses: 1 });
    expect(halfway.problem).toMatch(/^1 expense\(s\) of this window are recorded in another base currency/);
    // A late expense in the old base currency judges nothing either (the flagged budget above all).
    await deliver(
      transactionEvent('ledger.transaction.created', user, newId(), 1, {
        baseAmount: '500.00',
        baseCurrency: 'EUR',
        categoryId: groceries,
        date: '2026-03-06',
      }),
    );
    expect(await alertsOf(user)).toHaveLength(1);

    const status = await httpJson('GET', `${service.url}/analytics/budget-status`, { token });
    expect(status.body.base_currency).toBe('USD');
    expect(status.body.summary).toEqual({ over: 0, near: 1, under: 0, unavailable: 1, total: 2 });
    expect(status.body.budgets.find((b: { budget_id: string }) => b.budget_id === food)).toMatchObject({
      in_base_currency: false,
      status: 'unavailable',
      spent: null,
    });

    // The rest is re-booked, the late EUR expense last: then complete, and the excess is announced once.
    await deliver(
      transactionEvent('ledger.transaction.updated', user, t2, 2, {
        baseAmount: '55.00',
        baseCurrency: 'USD',
        categoryId: groceries,
        date: '2026-03-05',
      }),
    );
    // Over by what is counted, but the late expense is still in EUR: no alert yet.
    expect(await get(usd.body.id)).toMatchObject({ spent: '88.00', complete: false, uncounted_expenses: 1 });
    expect(await alertsOf(user)).toHaveLength(1);
    const late = await service.dataSource.query(
      `SELECT id FROM spending_transactions WHERE user_id = $1 AND base_currency = 'EUR'`,
      [user],
    );
    await deliver(
      transactionEvent('ledger.transaction.updated', user, late[0].id, 2, {
        baseAmount: '550.00',
        baseCurrency: 'USD',
        categoryId: groceries,
        date: '2026-03-06',
      }),
    );
    const alerts = await alertsOf(user);
    expect(alerts.map((a) => [a.type, a.aggregateId])).toEqual([
      ['budgets.budget.threshold-reached', food],
      ['budgets.budget.exceeded', usd.body.id],
    ]);
    expect(alerts[1].payload).toMatchObject({ spent: '638.00', limit: '40.00', currency: 'USD' });
    expect(await get(usd.body.id)).toMatchObject({ spent: '638.00', status: 'over', complete: true });

    // Renaming keeps the flag; setting the amount re-denominates the budget in USD.
    const renamed = await httpJson('PATCH', `${service.url}/budgets/${food}`, {
      token,
      body: { name: 'Groceries' },
    });
    expect(renamed.body).toMatchObject({ currency: 'EUR', in_base_currency: false, version: 2 });
    const patched = await httpJson('PATCH', `${service.url}/budgets/${food}`, {
      token,
      body: { amount: '100' },
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      amount: '100.00',
      currency: 'USD',
      in_base_currency: true,
      version: 3,
    });
    expect(await get(food)).toMatchObject({
      spent: '638.00',
      status: 'over',
      complete: true,
      problem: null,
    });
    const [changed] = await service.dataSource.query(
      `SELECT envelope FROM outbox WHERE type = 'budgets.budget.changed' AND envelope->>'aggregateId' = $1
       ORDER BY position DESC LIMIT 1`,
      [food],
    );
    expect(changed.envelope.payload).toMatchObject({ amount: '100.00', currency: 'USD' });
  });

  it('takes a re-denominated amount in the new currency’s minor units (PUT)', async () => {
    const user = newId();
    const token = issuer.token(user);
    await deliver(userRegistered(user, 'USD', 'UTC'));
    const created = await httpJson('POST', `${service.url}/budgets`, {
      token,
      body: { amount: '12.50', period: 'monthly' },
    });
    await deliver(userUpdated(user, 2, { baseCurrency: 'JPY', timezone: 'UTC' }));
    const put = (amount: string) =>
      httpJson('PUT', `${service.url}/budgets/${created.body.id}`, {
        token,
        body: { amount, period: 'monthly', start_date: created.body.start_date },
      });
    const fractional = await put('1800.5');
    expect(fractional.status).toBe(400);
    expect(fractional.body.errors[0].field).toBe('body.amount');
    const whole = await put('1800');
    expect(whole.status).toBe(200);
    expect(whole.body).toMatchObject({ amount: '1800', currency: 'JPY', in_base_currency: true });
  });
});
