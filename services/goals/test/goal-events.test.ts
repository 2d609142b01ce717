import { httpJson } from '@finance/shared/testing';
import { GoalsHarness, transactionEvent, userDeleted } from './fixtures';

/**
 * goals.goal.changed / deleted: every new version of a goal — an edit, a contribution, a removal,
 * the ledger changing a linked transaction — is published once through the outbox with the goal's
 * state, in the transaction of the change; its deletion with its last state.
 */
describe('goal state events', () => {
  const harness = new GoalsHarness('2026-03-10T12:00:00Z');

  beforeAll(() => harness.start());
  afterAll(() => harness.stop());

  const states = async (goalId: string) =>
    (await harness.goalStates(goalId)).map((e) => [
      e.type,
      e.aggregateVersion,
      e.payload.currentAmount,
      e.payload.status,
    ]);

  it('publishes the state of each version once, whoever changed the goal', async () => {
    const { id, token } = await harness.user();
    const transactionId = await harness.transaction(id, { amount: '400.00', date: '2026-03-02' });
    const goal = await harness.createGoal(token, {
      name: 'Holiday',
      target_amount: '1000.5',
      deadline: '2026-12-31',
    });

    harness.now = new Date('2026-03-11T08:00:00Z');
    expect((await harness.contribute(token, goal.id, { transaction_id: transactionId })).status).toBe(201);
    const manual = await harness.contribute(token, goal.id, { amount: '100.25' });
    expect(manual.status).toBe(201);
    // The ledger shrinks the linked transaction: the goal follows, and says so.
    const shrunk = transactionEvent('ledger.transaction.updated', id, transactionId, 2, {
      amount: '300.00',
      date: '2026-03-02',
    });
    await harness.apply(shrunk);
    await harness.apply(shrunk); // a duplicate delivery publishes nothing more
    const removed = await httpJson(
      'DELETE',
      `${harness.url}/goals/${goal.id}/contributions/${manual.body.id}`,
      {
        token,
      },
    );
    expect(removed.status).toBe(204);
    const patched = await httpJson('PATCH', `${harness.url}/goals/${goal.id}`, {
      token,
      body: { status: 'cancelled' },
    });
    expect(patched.status).toBe(200);
    // A change that changes nothing keeps the version and publishes nothing.
    expect(
      (await httpJson('PATCH', `${harness.url}/goals/${goal.id}`, { token, body: { status: 'cancelled' } }))
        .status,
    ).toBe(200);
    harness.now = new Date('2026-03-12T09:30:00Z');
    expect((await httpJson('DELETE', `${harness.url}/goals/${goal.id}`, { token })).status).toBe(204);

    expect(await states(goal.id)).toEqual([
      ['goals.goal.changed', 1, '0.00', 'active'],
      ['goals.goal.changed', 2, '400.00', 'active'],
      ['goals.goal.changed', 3, '500.25', 'active'],
      ['goals.goal.changed', 4, '400.25', 'active'],
      ['goals.goal.changed', 5, '300.00', 'active'],
      ['goals.goal.changed', 6, '300.00', 'cancelled'],
      ['goals.goal.deleted', 7, '300.00', 'cancelled'],
    ]);
    const events = await harness.goalStates(goal.id);
    expect(events[0]).toMatchObject({
      userId: id,
      occurredAt: '2026-03-10T12:00:00.000Z',
      payload: {
        name: 'Holiday',
        targetAmount: '1000.50',
        currentAmount: '0.00',
        currency: 'EUR',
        status: 'active',
        deadline: '2026-12-31',
      },
    });
    // Stamped with the service's clock: reports dates the change by it.
    expect(events[2].occurredAt).toBe('2026-03-11T08:00:00.000Z');
    expect(events[6].occurredAt).toBe('2026-03-12T09:30:00.000Z');
  });

  it('publishes the completion as a state too (status completed)', async () => {
    const { token } = await harness.user();
    const goal = await harness.createGoal(token, { target_amount: '50' });
    await harness.contribute(token, goal.id, { amount: '50' });
    expect((await states(goal.id)).at(-1)).toEqual(['goals.goal.changed', 2, '50.00', 'completed']);
  });

  it('publishes nothing per goal when the user is purged', async () => {
    const { id, token } = await harness.user();
    const goal = await harness.createGoal(token);
    await harness.apply(userDeleted(id));
    expect((await states(goal.id)).map(([type]) => type)).toEqual(['goals.goal.changed']);
  });
});
