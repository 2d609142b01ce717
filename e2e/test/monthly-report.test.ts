import { endOfMonth } from '@finance/shared';
import { httpJson, waitFor } from '@finance/shared/testing';
import { shortDate } from '../../services/reports/src/domain/display';
import { pdfText } from '../../services/reports/test/support';
import { startSystem, type System } from './system';

/**
 * The monthly report's Budgets and Goals through the gateway, every service really running: budgets
 * and a goal made in their own services reach reports only as events (budgets' and goals' outboxes,
 * the broker, reports' read model), and the PDF prints each line with its exact amounts.
 */
describe('the monthly report’s budgets and goals through the gateway', () => {
  let system: System;
  let api: string;
  // Users register without a time zone: theirs is UTC, like this.
  const today = new Date().toISOString().slice(0, 10);
  const monthStart = `${today.slice(0, 7)}-01`;

  beforeAll(async () => {
    system = await startSystem('e2e_monthly');
    api = system.gateway;
  });
  afterAll(async () => {
    await system?.stop();
  });

  it('prints each budget’s limit, spent and status and each goal’s progress and change', async () => {
    const username = 'mona';
    const registered = await httpJson('POST', `${api}/auth/register`, {
      body: { email: `${username}@example.com`, username, password: 'correct horse battery' },
    });
    expect(registered.status).toBe(201);
    const userId: string = registered.body.id;
    const login = await httpJson('POST', `${api}/auth/login`, {
      body: { username, password: 'correct horse battery' },
    });
    const token: string = login.body.access_token;

    const categories = await waitFor(async () => {
      const res = await httpJson('GET', `${api}/categories`, { token });
      return res.status === 200 && res.body.data.length > 0 ? res.body.data : undefined;
    });
    const groceries = categories.find((c: { name: string }) => c.name === 'Groceries');
    const dining = categories.find((c: { name: string }) => c.name === 'Dining');

    const createBudget = (body: Record<string, unknown>) =>
      waitFor(async () => {
        const res = await httpJson('POST', `${api}/budgets`, {
          token,
          body: { period: 'monthly', start_date: monthStart, ...body },
        });
        return res.status === 201 ? (res.body as { id: string }) : undefined;
      });
    const food = await createBudget({ name: 'Food', category_id: groceries.id, amount: '100.00' });
    await createBudget({ name: 'Everything', amount: '50.00' });
    const temporary = await createBudget({ name: 'Temporary', amount: '10.00' });
    // Changed and deleted: the report shows the new limit, and not the deleted budget.
    expect(
      (await httpJson('PATCH', `${api}/budgets/${food.id}`, { token, body: { amount: '80.00' } })).status,
    ).toBe(200);
    expect((await httpJson('DELETE', `${api}/budgets/${temporary.id}`, { token })).status).toBe(204);

    for (const [amount, categoryId] of [
      ['30.10', groceries.id],
      ['20.20', groceries.id],
      ['15.00', dining.id],
    ])
      expect(
        (
          await httpJson('POST', `${api}/transactions`, {
            token,
            body: {
              amount,
              description: 'shop',
              transaction_type: 'expense',
              date: today,
              category_id: categoryId,
            },
          })
        ).status,
      ).toBe(201);
    const salary = await httpJson('POST', `${api}/transactions`, {
      token,
      body: { amount: '1000.00', description: 'salary', transaction_type: 'income', date: today },
    });
    expect(salary.status).toBe(201);

    const goal = await httpJson('POST', `${api}/goals`, {
      token,
      body: { name: 'Bike', target_amount: '500.00' },
    });
    expect(goal.status).toBe(201);
    const contributed = await httpJson('POST', `${api}/goals/${goal.body.id}/contribute`, {
      token,
      body: { transaction_id: salary.body.id, amount: '120.00' },
    });
    expect(contributed.status).toBe(201);
    const goalVersion: number = contributed.body.goal.version;

    // Reports learns all of it from events only: wait until its read model holds the last versions.
    const reports = system.services.reports.dataSource;
    await waitFor(
      async () => {
        const [row] = await reports.query(
          `SELECT (SELECT count(*) FROM report_transactions WHERE user_id = $1)::int AS transactions,
                  (SELECT count(*) FROM report_budget_versions WHERE user_id = $1)::int AS budgets,
                  (SELECT max(version) FROM report_goal_versions WHERE goal_id = $2) AS goal`,
          [userId, goal.body.id],
        );
        // Food v1, v2; Everything v1; Temporary v1 and its deletion.
        return row.transactions === 4 && row.budgets === 5 && row.goal === goalVersion;
      },
      { description: 'reports to apply the ledger’s, budgets’ and goals’ events' },
    );

    const res = await fetch(`${api}/export/pdf`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    const text = (await pdfText(Buffer.from(await res.arrayBuffer()), 'e2e-monthly')).replace(/\s+/g, ' ');
    const window = `${shortDate(monthStart)} – ${shortDate(endOfMonth(today))}`;
    // 50.30 of 80.00 = 62.875 % → 62.88 (half-even); 65.30 of 50.00 = 130.60 %.
    expect(text).toContain(`Food Groceries ${window} 80.00 50.30 29.70 62.88 % On track`);
    expect(text).toContain(`Everything All expenses ${window} 50.00 65.30 −15.30 130.60 % Over`);
    expect(text).not.toContain('Temporary');
    expect(text).toContain('Bike 120.00 500.00 24.00 % +120.00 Active');
  }, 120_000);
});
