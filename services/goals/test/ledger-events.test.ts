import { httpJson, startTestBroker, waitFor } from '@finance/shared/testing';
import { GoalsHarness, transactionEvent } from './fixtures';

/**
 * The ledger's changes reach goals through events: a linked transaction deleted or changed in
 * the ledger is reflected in its contributions and their goals, in the transaction that records
 * the event (duplicates and reordered deliveries change nothing more), and milestones are
 * announced through the outbox exactly once per crossing. Events are fed with
 * `service.consumer.apply` (what a delivery does), and once through the real broker.
 */
describe('ledger events', () => {
  const harness = new GoalsHarness();
  let url: string;

  beforeAll(async () => {
    await harness.start();
    url = harness.url;
  });
  afterAll(() => harness.stop());

  const contributionsOf = async (token: string, goalId: string) =>
    (await httpJson('GET', `${url}/goals/${goalId}/contributions`, { token })).body.data.map(
      (c: { kind: string; amount: string; date: string }) => [c.kind, c.amount, c.date],
    );

  it('a linked transaction deleted in the ledger takes its contributions with it; the goal is recomputed, once', async () => {
    const { id, token } = await harness.user();
    const transactionId = await harness.transaction(id, { amount: '600.00' });
    const [a, b] = [
      await harness.createGoal(token),
      await harness.createGoal(token, { target_amount: '500' }),
    ];
    await harness.contribute(token, a.id, { transaction_id: transactionId, amount: '100' });
    await harness.contribute(token, b.id, { transaction_id: transactionId, amount: '500' });
    await harness.contribute(token, b.id, { amount: '20' });
    expect((await harness.goal(token, b.id)).status).toBe('completed');

    const deleted = transactionEvent('ledger.transaction.deleted', id, transactionId, 2, {
      amount: '600.00',
    });
    expect(await harness.apply(deleted)).toBe(true);
    expect(await harness.apply(deleted)).toBe(false); // a duplicate delivery is skipped
    expect(await harness.goal(token, a.id)).toMatchObject({ current_amount: '0.00', status: 'active' });
    expect(await harness.goal(token, b.id)).toMatchObject({ current_amount: '20.00', status: 'active' });
    expect(await contributionsOf(token, b.id)).toEqual([['manual', '20.00', '2026-03-10']]);
    expect(await harness.amounts(b.id)).toEqual({ current: '2000', sum: '2000' });
    // A late update of the deleted transaction (older version) does not bring it back.
    await harness.apply(
      transactionEvent('ledger.transaction.updated', id, transactionId, 1, { amount: '600.00' }),
    );
    expect((await harness.contribute(token, a.id, { transaction_id: transactionId })).status).toBe(404);
  });

  it('a transaction shrunk below what is contributed: the most recent contributions give way first', async () => {
    const { id, token } = await harness.user();
    const transactionId = await harness.transaction(id, { amount: '100.00' });
    const [a, b, c] = [
      await harness.createGoal(token),
      await harness.createGoal(token),
      await harness.createGoal(token),
    ];
    await harness.contribute(token, a.id, { transaction_id: transactionId, amount: '50' });
    await harness.contribute(token, b.id, { transaction_id: transactionId, amount: '30' });
    await harness.contribute(token, c.id, { transaction_id: transactionId, amount: '20' });

    await harness.apply(
      transactionEvent('ledger.transaction.updated', id, transactionId, 2, { amount: '65.00' }),
    );
    const amounts = async () =>
      Promise.all([a, b, c].map(async (goal) => (await harness.goal(token, goal.id)).current_amount));
    // 35 over: c (the newest) gives its 20 and goes, b gives 15.
    expect(await amounts()).toEqual(['50.00', '15.00', '0.00']);
    expect(await contributionsOf(token, c.id)).toEqual([]);
    // Growing again restores nothing (partial amounts stay as they are).
    await harness.apply(
      transactionEvent('ledger.transaction.updated', id, transactionId, 3, { amount: '500.00' }),
    );
    expect(await amounts()).toEqual(['50.00', '15.00', '0.00']);
    // Out of order: version 2 arriving after 3 is ignored.
    await harness.apply(
      transactionEvent('ledger.transaction.updated', id, transactionId, 2, { amount: '1.00' }),
    );
    expect(await amounts()).toEqual(['50.00', '15.00', '0.00']);
    for (const goal of [a, b, c]) {
      const { current, sum } = await harness.amounts(goal.id);
      expect(current).toBe(sum);
    }
  });

  it('a whole-transaction contribution follows the amount and date, up and down', async () => {
    const { id, token } = await harness.user();
    const transactionId = await harness.transaction(id, { amount: '100.00', date: '2026-02-01' });
    const goal = await harness.createGoal(token, { target_amount: '150' });
    await harness.contribute(token, goal.id, { transaction_id: transactionId });
    await harness.apply(
      transactionEvent('ledger.transaction.updated', id, transactionId, 2, {
        amount: '160.00',
        date: '2026-02-03',
      }),
    );
    expect(await harness.goal(token, goal.id)).toMatchObject({
      current_amount: '160.00',
      status: 'completed',
    });
    expect(await contributionsOf(token, goal.id)).toEqual([['transaction', '160.00', '2026-02-03']]);
    await harness.apply(
      transactionEvent('ledger.transaction.updated', id, transactionId, 3, {
        amount: '40.00',
        date: '2026-02-03',
      }),
    );
    const before = await harness.goal(token, goal.id);
    expect(before).toMatchObject({ current_amount: '40.00', status: 'active' });
    // Only the date changes: the contribution moves (its pace and series change: a new version).
    await harness.apply(
      transactionEvent('ledger.transaction.updated', id, transactionId, 4, {
        amount: '40.00',
        date: '2026-03-05',
      }),
    );
    expect(await contributionsOf(token, goal.id)).toEqual([['transaction', '40.00', '2026-03-05']]);
    expect((await harness.goal(token, goal.id)).version).toBe(before.version + 1);
    // A change the goal does not see (the description, say) keeps its version.
    await harness.apply(
      transactionEvent('ledger.transaction.updated', id, transactionId, 5, {
        amount: '40.00',
        date: '2026-03-05',
      }),
    );
    expect((await harness.goal(token, goal.id)).version).toBe(before.version + 1);
  });

  it('a transaction moved to another base currency leaves goals in the old one', async () => {
    const { id, token } = await harness.user();
    const transactionId = await harness.transaction(id, { amount: '100.00' });
    const goal = await harness.createGoal(token);
    await harness.contribute(token, goal.id, { transaction_id: transactionId });
    await harness.apply(
      transactionEvent('ledger.transaction.updated', id, transactionId, 2, {
        amount: '110.00',
        currency: 'USD',
      }),
    );
    expect((await harness.goal(token, goal.id)).current_amount).toBe('0.00');
  });

  it('withdrawals give way (most recent first) when the money they were taken from goes', async () => {
    const { id, token } = await harness.user();
    const transactionId = await harness.transaction(id, { amount: '100.00' });
    const goal = await harness.createGoal(token);
    await harness.contribute(token, goal.id, { transaction_id: transactionId });
    await harness.contribute(token, goal.id, { amount: '10' });
    await harness.contribute(token, goal.id, { amount: '-30' });
    await harness.contribute(token, goal.id, { amount: '-50' });
    // 30 left; the ledger deletes the 100: -70, so -50 goes and -30 becomes -10.
    await harness.apply(
      transactionEvent('ledger.transaction.deleted', id, transactionId, 2, { amount: '100.00' }),
    );
    expect((await harness.goal(token, goal.id)).current_amount).toBe('0.00');
    expect(await contributionsOf(token, goal.id)).toEqual([
      ['manual', '10.00', '2026-03-10'],
      ['withdrawal', '-10.00', '2026-03-10'],
    ]);
    expect(await harness.amounts(goal.id)).toEqual({ current: '0', sum: '0' });
  });

  it('announces each milestone once per crossing, under duplicates and out-of-order events, and again after falling below', async () => {
    const { id, token } = await harness.user();
    const transactionId = await harness.transaction(id, { amount: '30.00' });
    const goal = await harness.createGoal(token, { name: 'Bike', target_amount: '100' });
    const milestones = async () =>
      (await harness.published(id)).map((e) =>
        e.type === 'goals.goal.completed' ? 100 : e.payload.milestone,
      );

    await harness.contribute(token, goal.id, { transaction_id: transactionId }); // 30 %
    expect(await milestones()).toEqual([25]);
    await harness.contribute(token, goal.id, { amount: '10' }); // 40 %: nothing new
    expect(await milestones()).toEqual([25]);

    // The ledger raises the transaction to 70 (80 %): 75 (50 is passed over, only the highest is told).
    const raised = transactionEvent('ledger.transaction.updated', id, transactionId, 3, { amount: '70.00' });
    await harness.apply(raised);
    await harness.apply(raised);
    // An older update arriving late is ignored: no drop, no second announcement.
    await harness.apply(
      transactionEvent('ledger.transaction.updated', id, transactionId, 2, { amount: '5.00' }),
    );
    expect(await milestones()).toEqual([25, 75]);
    expect((await harness.goal(token, goal.id)).current_amount).toBe('80.00');

    // To 100 %: completed, once.
    const full = transactionEvent('ledger.transaction.updated', id, transactionId, 4, { amount: '90.00' });
    await harness.apply(full);
    await harness.apply(full);
    expect(await milestones()).toEqual([25, 75, 100]);
    const [, , completed] = await harness.published(id);
    expect(completed).toMatchObject({
      type: 'goals.goal.completed',
      payload: {
        goalId: goal.id,
        name: 'Bike',
        targetAmount: '100.00',
        currentAmount: '100.00',
        currency: 'EUR',
      },
    });

    // Deleted in the ledger: back to 10 % (re-armed, nothing told); linked again to 100 %: completed again.
    await harness.apply(
      transactionEvent('ledger.transaction.deleted', id, transactionId, 5, { amount: '90.00' }),
    );
    expect(await milestones()).toEqual([25, 75, 100]);
    const other = await harness.transaction(id, { amount: '90.00' });
    await harness.contribute(token, goal.id, { transaction_id: other });
    expect(await milestones()).toEqual([25, 75, 100, 100]);

    // Each announcement carries the goal's version after the change that made it.
    const versions = (await harness.published(id)).map((e) => e.aggregateVersion);
    expect(new Set(versions).size).toBe(versions.length);
  });

  it('a new target can reach or re-arm a milestone; a cancelled goal announces nothing until it is taken up again', async () => {
    const { id, token } = await harness.user();
    const goal = await harness.createGoal(token, { target_amount: '100' });
    await harness.contribute(token, goal.id, { amount: '40' }); // 25
    const patch = (body: object) => httpJson('PATCH', `${url}/goals/${goal.id}`, { token, body });
    await patch({ target_amount: '50' }); // 80 %: 75
    await patch({ status: 'cancelled' });
    await patch({ target_amount: '40' }); // 100 %, but cancelled: nothing
    expect((await harness.published(id)).map((e) => e.payload.milestone ?? e.type)).toEqual([25, 75]);
    const active = await patch({ status: 'active' }); // taken up again at 100 %: completed
    expect(active.body.status).toBe('completed');
    expect((await harness.published(id)).map((e) => e.payload.milestone ?? e.type)).toEqual([
      25,
      75,
      'goals.goal.completed',
    ]);
  });

  it('follows a deletion delivered through the real broker, waiting on the condition', async () => {
    const { id, token } = await harness.user();
    const transactionId = await harness.transaction(id, { amount: '75.00' });
    const goal = await harness.createGoal(token);
    await harness.contribute(token, goal.id, { transaction_id: transactionId });
    const broker = await startTestBroker('goals-ledger');
    try {
      const deleted = transactionEvent('ledger.transaction.deleted', id, transactionId, 2, {
        amount: '75.00',
      });
      await broker.publish(deleted.type, deleted);
      await waitFor(async () => (await harness.goal(token, goal.id)).current_amount === '0.00', {
        description: 'the goal to lose the deleted transaction',
      });
    } finally {
      await broker.stop();
    }
  });
});
