import { addDays, addMonths } from '@finance/shared';
import { httpJson, waitFor } from '@finance/shared/testing';
import { registerAndLogin } from './hostile-support';
import { startSystem, type System } from './system';

/**
 * A savings goal through the gateway, with every service really running: create a goal with a
 * deadline, record transactions in the ledger, link them at once (read-your-writes), see the
 * progress, then change and delete a linked transaction in the ledger and watch the goal follow.
 */
describe('goals through the gateway', () => {
  let system: System;
  let api: string;
  // Users register without a time zone: theirs is UTC, like this.
  const today = new Date().toISOString().slice(0, 10);

  beforeAll(async () => {
    system = await startSystem('e2e_goals');
    api = system.gateway;
  });
  afterAll(async () => {
    await system?.stop();
  });

  async function recordIncome(token: string, amount: string, description: string) {
    const res = await httpJson('POST', `${api}/transactions`, {
      token,
      body: { amount, description, transaction_type: 'income', date: today },
    });
    expect(res.status).toBe(201);
    return res.body as { id: string; base_amount: string; base_currency: string };
  }

  it('links ledger transactions to a goal, tells the progress, and follows the ledger when they change', async () => {
    const token = (await registerAndLogin(api, 'gina')).token;
    const deadline = addDays(addMonths(today, 6), -1);

    // Right after registering: goals waits (bounded) for the user's base currency.
    const created = await httpJson('POST', `${api}/goals`, {
      token,
      body: { name: 'Emergency fund', target_amount: '1000.00', deadline },
    });
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe(`/goals/${created.body.id}`);
    const goal = created.body as { id: string; currency: string };
    expect(goal.currency).toBe('USD');

    // Transactions created a moment ago in the ledger are linked at once (read-your-writes).
    const salary = await recordIncome(token, '400.00', 'salary');
    const bonus = await recordIncome(token, '250.00', 'bonus');
    const linked = await httpJson('POST', `${api}/goals/${goal.id}/contribute`, {
      token,
      body: { transaction_id: salary.id },
    });
    expect(linked.status).toBe(201);
    expect(linked.body).toMatchObject({ kind: 'transaction', amount: '400.00', whole_transaction: true });
    const part = await httpJson('POST', `${api}/goals/${goal.id}/contribute`, {
      token,
      body: { transaction_id: bonus.id, amount: '150.00' },
      headers: { 'idempotency-key': 'gina-bonus' },
    });
    expect(part.status).toBe(201);
    const manual = await httpJson('POST', `${api}/goals/${goal.id}/contribute`, {
      token,
      body: { amount: '50.00', note: 'cash in a jar' },
    });
    expect(manual.body.goal.current_amount).toBe('600.00');

    // The rule on one transaction: 100 of the bonus is left for other goals, no more.
    const other = await httpJson('POST', `${api}/goals`, {
      token,
      body: { name: 'Gift', target_amount: '300' },
    });
    const over = await httpJson('POST', `${api}/goals/${other.body.id}/contribute`, {
      token,
      body: { transaction_id: bonus.id, amount: '100.01' },
    });
    expect(over.status).toBe(422);
    expect(over.body.available).toBe('100.00');

    // How far, whether in time, what to save per month.
    const detail = await httpJson('GET', `${api}/goals/${goal.id}`, { token });
    expect(detail.status).toBe(200);
    expect(detail.body.current_amount).toBe('600.00');
    expect(detail.body.progress).toMatchObject({
      as_of: today,
      percent: '60.00',
      remaining: '400.00',
      deadline_passed: false,
      months_left: 6,
      needed_per_month: '66.67',
      // 600 saved in one day: at that pace the rest comes tomorrow.
      projected_completion_date: addDays(today, 1),
      on_track: true,
    });
    const series = await httpJson('GET', `${api}/goals/${goal.id}/progress`, { token });
    expect(series.status).toBe(200);
    expect(series.body.periods.at(-1)).toMatchObject({ cumulative: '600.00', target: '1000.00' });

    // Another user cannot link gina's transaction.
    const mallory = (await registerAndLogin(api, 'mallory_goals')).token;
    const theirs = await httpJson('POST', `${api}/goals`, {
      token: mallory,
      body: { name: 'Theft', target_amount: '10' },
    });
    const stolen = await httpJson('POST', `${api}/goals/${theirs.body.id}/contribute`, {
      token: mallory,
      body: { transaction_id: salary.id },
    });
    expect(stolen.status).toBe(404);

    const currentOf = async () => (await httpJson('GET', `${api}/goals/${goal.id}`, { token })).body;

    // The salary is corrected to 300 in the ledger: the whole-transaction contribution follows.
    const corrected = await httpJson('PATCH', `${api}/transactions/${salary.id}`, {
      token,
      body: { amount: '300.00' },
    });
    expect(corrected.status).toBe(200);
    await waitFor(async () => (await currentOf()).current_amount === '500.00', {
      description: 'the goal to follow the corrected salary',
    });

    // The bonus shrinks to 100 in the ledger: its 150 is reduced to fit.
    expect(
      (await httpJson('PATCH', `${api}/transactions/${bonus.id}`, { token, body: { amount: '100.00' } }))
        .status,
    ).toBe(200);
    await waitFor(async () => (await currentOf()).current_amount === '450.00', {
      description: 'the bonus contribution reduced to fit',
    });

    // The salary is deleted in the ledger: its contribution goes, the goal is recomputed.
    expect((await httpJson('DELETE', `${api}/transactions/${salary.id}`, { token })).status).toBe(204);
    const after = await waitFor(
      async () => {
        const body = await currentOf();
        return body.current_amount === '150.00' ? body : undefined;
      },
      { description: 'the goal to lose the deleted salary' },
    );
    expect(after.progress).toMatchObject({ percent: '15.00', remaining: '850.00' });
    const contributions = await httpJson('GET', `${api}/goals/${goal.id}/contributions`, { token });
    expect(contributions.body.data.map((c: { kind: string; amount: string }) => [c.kind, c.amount])).toEqual([
      ['transaction', '100.00'],
      ['manual', '50.00'],
    ]);
  });

  it('is in the gateway’s one OpenAPI document', async () => {
    const doc = await httpJson('GET', `${api}/openapi.json`);
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining(['/goals', '/goals/{id}', '/goals/{id}/contribute', '/goals/{id}/progress']),
    );
  });
});
