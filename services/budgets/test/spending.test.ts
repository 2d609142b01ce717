import type { FinanceEvent } from '@finance/shared';
import { TestTokenIssuer, httpJson, waitFor } from '@finance/shared/testing';
import {
  categoryDeleted,
  categoryEvent,
  newId,
  startBudgets,
  transactionEvent,
  userDeleted,
  userRegistered,
  type BudgetsService,
} from './fixtures';

/**
 * Spending analysis from the read model, fed by ledger events applied as the consumer applies
 * them (inbox + handler in one transaction). "Today" is 2026-03-10 in Berlin.
 */
describe('spending analysis, thresholds and event handling', () => {
  const issuer = new TestTokenIssuer();
  let service: BudgetsService;
  /** Applies an event exactly as a delivery would (inbox + handler in one transaction). */
  const deliver = (event: FinanceEvent) => service.consumer.apply(event);
  const detail = async (token: string, id: string) => {
    const res = await httpJson('GET', `${service.url}/budgets/${id}`, { token });
    expect(res.status).toBe(200);
    return res.body;
  };
  /** What budgets announced through the outbox for one user (not the budgets' own definitions), oldest first. */
  const outbox = async (userId: string) =>
    (await service.dataSource.query(
      `SELECT type, envelope FROM outbox
       WHERE type LIKE 'budgets.%' AND type NOT IN ('budgets.budget.changed', 'budgets.budget.deleted')
         AND envelope->>'userId' = $1
       ORDER BY position`,
      [userId],
    )) as Array<{ type: string; envelope: FinanceEvent }>;

  beforeAll(async () => {
    await issuer.start();
    service = await startBudgets(issuer, { clock: () => new Date('2026-03-10T11:00:00Z') });
  });

  afterAll(async () => {
    await service?.close();
    await issuer.stop();
  });

  /**
   * A fresh user with two categories and five budgets (groceries from the 25th, overall, rent,
   * one ended, one not started), then the first seven transactions; with `moved`, also the
   * updates that move, retype and delete some of them. Each test builds its own, so no test
   * depends on what another one did.
   */
  async function aliceScenario(options: { moved: boolean }) {
    const alice = newId();
    const token = issuer.token(alice);
    const [groceries, rent] = [newId(), newId()];
    const tx = {
      t1: newId(),
      t2: newId(),
      t3: newId(),
      t4: newId(),
      t5: newId(),
      t6: newId(),
      t7: newId(),
      t8: newId(),
    };
    const delivered: FinanceEvent[] = [];
    const send = async (event: FinanceEvent) => {
      delivered.push(event);
      return deliver(event);
    };
    await send(userRegistered(alice, 'EUR', 'Europe/Berlin'));
    await send(categoryEvent('ledger.category.created', alice, groceries));
    await send(categoryEvent('ledger.category.created', alice, rent));
    const create = async (body: object) => {
      const res = await httpJson('POST', `${service.url}/budgets`, { token, body });
      expect(res.status).toBe(201);
      return res.body.id as string;
    };
    const budgets = {
      groceries: await create({
        name: 'Groceries',
        category_id: groceries,
        amount: '100',
        period: 'monthly',
        start_date: '2026-01-25',
      }),
      overall: await create({
        name: 'Everything',
        amount: '40',
        period: 'monthly',
        start_date: '2026-03-01',
      }),
      rent: await create({
        name: 'Rent',
        category_id: rent,
        amount: '3.50',
        period: 'monthly',
        start_date: '2026-03-01',
      }),
      ended: await create({
        amount: '1',
        period: 'monthly',
        start_date: '2026-01-01',
        end_date: '2026-02-28',
      }),
      future: await create({ amount: '1', period: 'monthly', start_date: '2026-04-01' }),
    };
    const initial: Array<[keyof typeof tx, Parameters<typeof transactionEvent>[4]]> = [
      ['t1', { baseAmount: '30.00', categoryId: groceries, date: '2026-03-01' }],
      ['t2', { baseAmount: '12.34', categoryId: groceries, date: '2026-02-10' }],
      ['t3', { type: 'income', baseAmount: '500', categoryId: groceries, date: '2026-03-02' }],
      ['t4', { type: 'transfer', baseAmount: '70', categoryId: null, date: '2026-03-02' }],
      ['t5', { baseAmount: '5.55', categoryId: rent, date: '2026-03-03' }],
      ['t6', { baseAmount: '9.99', baseCurrency: 'USD', categoryId: groceries, date: '2026-03-03' }],
      ['t7', { baseAmount: '1.00', categoryId: groceries, date: '2026-03-25' }],
    ];
    for (const [t, state] of initial)
      await send(transactionEvent('ledger.transaction.created', alice, tx[t], 1, state));
    if (options.moved) {
      await send(
        transactionEvent('ledger.transaction.updated', alice, tx.t2, 2, {
          baseAmount: '12.34',
          categoryId: groceries,
          date: '2026-03-05',
        }),
      );
      await send(
        transactionEvent('ledger.transaction.updated', alice, tx.t5, 2, {
          baseAmount: '5.55',
          categoryId: groceries,
          date: '2026-03-03',
        }),
      );
      await send(
        transactionEvent('ledger.transaction.updated', alice, tx.t3, 2, {
          type: 'expense',
          baseAmount: '20.00',
          categoryId: groceries,
          date: '2026-03-02',
        }),
      );
      await send(
        transactionEvent('ledger.transaction.deleted', alice, tx.t1, 2, {
          baseAmount: '30.00',
          categoryId: groceries,
          date: '2026-03-01',
        }),
      );
      await send(
        transactionEvent('ledger.transaction.created', alice, tx.t8, 1, {
          baseAmount: '3.00',
          categoryId: rent,
          date: '2026-03-10',
        }),
      );
    }
    return { alice, token, groceries, rent, tx, budgets, delivered };
  }

  it('counts only expenses in the budget currency, category and window', async () => {
    const { token, budgets } = await aliceScenario({ moved: false });
    const g = await detail(token, budgets.groceries);
    expect(g).toMatchObject({
      window_start: '2026-02-25',
      window_end: '2026-03-24',
      limit: '100.00',
      spent: '30.00',
    });
    expect(g.history).toEqual([
      {
        window_start: '2026-01-25',
        window_end: '2026-02-24',
        limit: '100.00',
        carried_over: '0.00',
        spent: '12.34',
        remaining: '87.66',
        percent_used: '12.34',
        status: 'under',
        complete: true,
        uncounted_expenses: 0,
      },
    ]);
    // t6's USD expense is in the current window: left out of spent, and said so.
    expect(g).toMatchObject({ complete: false, uncounted_expenses: 1, in_base_currency: true });
    expect(g.problem).toMatch(/1 expense\(s\) of this window are recorded in another base currency/);
    const all = await detail(token, budgets.overall);
    // 30.00 + 5.55 + 1.00 (the 25th is still March); income, the transfer and USD spending never count.
    expect(all).toMatchObject({
      window_start: '2026-03-01',
      window_end: '2026-03-31',
      spent: '36.55',
      status: 'near',
      complete: false,
      uncounted_expenses: 1,
    });
  });

  it('follows a transaction moving date across windows, category, type, and being deleted', async () => {
    const { token, budgets } = await aliceScenario({ moved: true });
    const g = await detail(token, budgets.groceries);
    // 12.34 + 5.55 + 20.00 in 2026-02-25..03-24; day 14 of 28, 15 days left including today.
    expect(g).toMatchObject({
      limit: '100.00',
      carried_over: '0.00',
      spent: '37.89',
      remaining: '62.11',
      percent_used: '37.89',
      status: 'under',
      days_left: 15,
      daily_allowance: '4.14',
      projected_spend: '75.78',
    });
    expect(g.history[0].spent).toBe('0.00');

    const status = await httpJson('GET', `${service.url}/analytics/budget-status`, { token });
    expect(status.status).toBe(200);
    expect(status.body.as_of).toBe('2026-03-10');
    const byId = Object.fromEntries(status.body.budgets.map((b: { budget_id: string }) => [b.budget_id, b]));
    expect(Object.keys(byId).sort()).toEqual([budgets.groceries, budgets.overall, budgets.rent].sort());
    // 12.34 + 5.55 + 20.00 + 1.00 + 3.00 = 41.89 of 40: over by 1.89, 31-day window, day 10.
    expect(byId[budgets.overall]).toMatchObject({
      spent: '41.89',
      remaining: '-1.89',
      percent_used: '104.72', // 104.725 → half-even
      status: 'over',
      days_left: 22,
      daily_allowance: '0.00',
      projected_spend: '129.86',
    });
    expect(byId[budgets.rent]).toMatchObject({
      spent: '3.00',
      remaining: '0.50',
      percent_used: '85.71',
      status: 'near',
    });
    expect(status.body.summary).toEqual({ over: 1, near: 1, under: 1, unavailable: 0, total: 3 });
  });

  it('publishes each threshold once per window through the outbox', async () => {
    const { alice, budgets } = await aliceScenario({ moved: true });
    const events = await outbox(alice);
    const summary = events.map((e) => [
      e.type,
      e.envelope.aggregateId,
      (e.envelope.payload as { threshold: number }).threshold,
    ]);
    expect(summary).toEqual([
      // The ended budget (1.00, Jan–Feb, everything) was exceeded in February by t2's 12.34.
      ['budgets.budget.exceeded', budgets.ended, 100],
      // The overall budget passed 80 % at 35.55 of 40 (t5), then 100 % when t2 moved into March.
      ['budgets.budget.threshold-reached', budgets.overall, 80],
      // Rent jumped from 0 to 5.55 of 3.50: both thresholds recorded, only `exceeded` announced.
      ['budgets.budget.exceeded', budgets.rent, 100],
      // The overall budget's 100 % (48.89 of 40 once t2 moved into March) is not announced: t6's
      // USD expense is in that window, so its figures are incomplete and nothing is judged on them.
    ]);
    expect(events[2].envelope).toMatchObject({
      userId: alice,
      payload: {
        budgetId: budgets.rent,
        windowStart: '2026-03-01',
        windowEnd: '2026-03-31',
        limit: '3.50',
        spent: '5.55',
        percentUsed: '158.57',
        currency: 'EUR',
        name: 'Rent',
      },
    });
    const alerts = await service.dataSource.query(
      `SELECT budget_id, window_start::text, threshold FROM budget_alerts WHERE budget_id = ANY($1::uuid[])`,
      [Object.values(budgets)],
    );
    expect(alerts).toHaveLength(5);
  });

  it('ignores duplicates, stale and out-of-order events: replaying everything twice changes nothing', async () => {
    const { alice, token, groceries, tx, budgets, delivered } = await aliceScenario({ moved: true });
    const snapshot = () =>
      Promise.all([budgets.groceries, budgets.overall, budgets.rent].map((id) => detail(token, id)));
    const before = await snapshot();
    const outboxBefore = (await outbox(alice)).length;
    // Same envelopes again: the inbox skips them.
    for (const event of [...delivered]) expect(await deliver(event)).toBe(false);
    // Re-published copies with fresh ids, in reverse order: the version guard skips them.
    for (const event of [...delivered].reverse()) await deliver({ ...event, id: newId() } as FinanceEvent);
    // A late update older than the delete must not revive t1.
    await deliver(
      transactionEvent('ledger.transaction.updated', alice, tx.t1, 1, {
        baseAmount: '999',
        categoryId: groceries,
        date: '2026-03-01',
      }),
    );
    expect(await snapshot()).toEqual(before);
    expect((await outbox(alice)).length).toBe(outboxBefore);
  });

  it('applies an update that arrives before its create, and a delete racing its update', async () => {
    const { alice, token, groceries, budgets } = await aliceScenario({ moved: true });
    const t = newId();
    await deliver(
      transactionEvent('ledger.transaction.updated', alice, t, 2, {
        baseAmount: '2.00',
        categoryId: groceries,
        date: '2026-03-06',
      }),
    );
    await deliver(
      transactionEvent('ledger.transaction.created', alice, t, 1, {
        baseAmount: '50.00',
        categoryId: groceries,
        date: '2026-03-06',
      }),
    );
    expect((await detail(token, budgets.groceries)).spent).toBe('39.89');
    await deliver(
      transactionEvent('ledger.transaction.deleted', alice, t, 3, {
        baseAmount: '2.00',
        categoryId: groceries,
        date: '2026-03-06',
      }),
    );
    expect((await detail(token, budgets.groceries)).spent).toBe('37.89');
  });

  it('chains rollover from start_date: unspent added, overspend subtracted', async () => {
    const rolf = newId();
    const rolfToken = issuer.token(rolf);
    await deliver(userRegistered(rolf, 'EUR', 'Europe/Berlin'));
    const res = await httpJson('POST', `${service.url}/budgets`, {
      token: rolfToken,
      body: { amount: '50', period: 'monthly', start_date: '2026-01-01', rollover: true },
    });
    const items: Array<[string, string, 'expense' | 'income' | 'transfer']> = [
      ['2026-01-10', '20.00', 'expense'],
      ['2026-01-15', '100.00', 'transfer'],
      ['2026-02-01', '1000.00', 'income'],
      ['2026-02-05', '90.00', 'expense'],
      ['2026-03-02', '10.00', 'expense'],
    ];
    for (const [date, baseAmount, type] of items)
      await deliver(
        transactionEvent('ledger.transaction.created', rolf, newId(), 1, {
          type,
          baseAmount,
          categoryId: null,
          date,
        }),
      );
    const got = await httpJson('GET', `${service.url}/budgets/${res.body.id}`, { token: rolfToken });
    // Jan: 30 unspent → Feb has 80, spends 90 → March carries 2×50 − 110 = −10: 40 available, 10 spent.
    expect(got.body).toMatchObject({
      window_start: '2026-03-01',
      limit: '50.00',
      carried_over: '-10.00',
      spent: '10.00',
      remaining: '30.00',
      percent_used: '25.00',
      status: 'under',
      days_left: 22,
      daily_allowance: '1.36',
      projected_spend: '31.00',
    });
    expect(got.body.history).toEqual([
      {
        window_start: '2026-01-01',
        window_end: '2026-01-31',
        limit: '50.00',
        carried_over: '0.00',
        spent: '20.00',
        remaining: '30.00',
        percent_used: '40.00',
        status: 'under',
        complete: true,
        uncounted_expenses: 0,
      },
      {
        window_start: '2026-02-01',
        window_end: '2026-02-28',
        limit: '50.00',
        carried_over: '30.00',
        spent: '90.00',
        remaining: '-10.00',
        percent_used: '112.50',
        status: 'over',
        complete: true,
        uncounted_expenses: 0,
      },
    ]);
  });

  it('moves budgets to the reassigned category, or removes them and tells the user', async () => {
    const bea = newId();
    const beaToken = issuer.token(bea);
    const [food, snacks, hobby] = [newId(), newId(), newId()];
    await deliver(userRegistered(bea));
    for (const c of [food, snacks, hobby]) await deliver(categoryEvent('ledger.category.created', bea, c));
    const create = async (category_id: string) =>
      (
        await httpJson('POST', `${service.url}/budgets`, {
          token: beaToken,
          body: { name: 'B', category_id, amount: '10', period: 'weekly' },
        })
      ).body.id as string;
    const snackBudget = await create(snacks);
    const hobbyBudget = await create(hobby);
    // A stale "updated" after the delete must not bring the category back.
    await deliver(categoryDeleted(bea, snacks, food, 2));
    await deliver(categoryEvent('ledger.category.updated', bea, snacks, 1));
    await deliver(categoryDeleted(bea, hobby, null, 3));

    const moved = await httpJson('GET', `${service.url}/budgets/${snackBudget}`, { token: beaToken });
    expect(moved.body).toMatchObject({ category_id: food, version: 2 });
    expect((await httpJson('GET', `${service.url}/budgets/${hobbyBudget}`, { token: beaToken })).status).toBe(
      404,
    );
    const again = await httpJson('POST', `${service.url}/budgets`, {
      token: beaToken,
      body: { category_id: snacks, amount: '1', period: 'daily' },
    });
    expect(again.status).toBe(422);
    const removed = (await outbox(bea)).filter((e) => e.type === 'budgets.budget.removed');
    expect(removed.map((e) => e.envelope.payload)).toEqual([
      { budgetId: hobbyBudget, name: 'B', reason: 'category-deleted', categoryId: hobby },
    ]);
    expect(removed[0].envelope.userId).toBe(bea);
  });

  it('forgets everything about a deleted user, and refuses their token', async () => {
    const gone = newId();
    await deliver(userRegistered(gone));
    await deliver(
      transactionEvent('ledger.transaction.created', gone, newId(), 1, {
        baseAmount: '1',
        categoryId: null,
        date: '2026-03-01',
      }),
    );
    const token = issuer.token(gone);
    const created = await httpJson('POST', `${service.url}/budgets`, {
      token,
      body: { amount: '5', period: 'daily' },
    });
    expect(created.status).toBe(201);
    await deliver(userRegistered(gone, 'EUR', 'UTC', 2));
    const countRows = async () => {
      const [row] = await service.dataSource.query(
        `SELECT (SELECT count(*) FROM budgets WHERE user_id = $1) + (SELECT count(*) FROM spending_transactions WHERE user_id = $1)
              + (SELECT count(*) FROM user_directory WHERE user_id = $1 AND base_currency IS NOT NULL) AS n`,
        [gone],
      );
      return Number(row.n);
    };
    expect(await countRows()).toBe(3);
    expect(await deliver(userDeleted(gone, 3))).toBe(true);
    expect(await countRows()).toBe(0);
    // What stays is the tombstone, so a late update cannot bring the user back.
    expect(await deliver(userRegistered(gone, 'EUR', 'UTC', 4))).toBe(false);
    expect(await countRows()).toBe(0);
    await waitFor(async () => (await httpJson('GET', `${service.url}/budgets`, { token })).status === 401, {
      description: "the deleted user's token to be refused",
    });
  });

  it('announces a threshold that only the sum of concurrently applied expenses crosses', async () => {
    const cy = newId();
    const food = newId();
    await deliver(userRegistered(cy, 'EUR', 'UTC'));
    await deliver(categoryEvent('ledger.category.created', cy, food));
    const created = await httpJson('POST', `${service.url}/budgets`, {
      token: issuer.token(cy),
      body: { category_id: food, amount: '100', period: 'monthly', start_date: '2026-03-01' },
    });
    expect(created.status).toBe(201);
    // 45 + 45 = 90 %: neither expense alone reaches 80 %; applied at once, one must see the other.
    for (let round = 0; round < 5; round++) {
      const day = `2026-0${4 + round}-15`;
      await Promise.all(
        [0, 1].map(() =>
          deliver(
            transactionEvent('ledger.transaction.created', cy, newId(), 1, {
              baseAmount: '45',
              categoryId: food,
              date: day,
            }),
          ),
        ),
      );
    }
    const reached = await outbox(cy);
    expect(reached.map((e) => [e.type, (e.envelope.payload as { windowStart: string }).windowStart])).toEqual(
      [4, 5, 6, 7, 8].map((month) => ['budgets.budget.threshold-reached', `2026-0${month}-01`]),
    );
  });
});
