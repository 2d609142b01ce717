import { newId } from '@finance/shared';
import { httpJson, lookupsParkedOn } from '@finance/shared/testing';
import { GoalsHarness, transactionEvent } from './fixtures';

/**
 * The contribution rules over HTTP: ownership, the remainder of a transaction, duplicates, a
 * cancelled goal, withdrawals, removal, automatic status, Idempotency-Key, read-your-writes.
 */
describe('contributions', () => {
  const harness = new GoalsHarness();
  let url: string;

  beforeAll(async () => {
    await harness.start();
    url = harness.url;
  });
  afterAll(() => harness.stop());

  it('links a whole transaction by default, dated by it, and counts it in current_amount', async () => {
    const { id, token } = await harness.user();
    const transactionId = await harness.transaction(id, { amount: '400.00', date: '2026-02-14' });
    const goal = await harness.createGoal(token);
    const res = await harness.contribute(token, goal.id, { transaction_id: transactionId, note: 'bonus' });
    expect(res.status).toBe(201);
    expect(res.headers.get('location')).toBe(`/goals/${goal.id}/contributions/${res.body.id}`);
    expect(res.body).toMatchObject({
      goal_id: goal.id,
      kind: 'transaction',
      transaction_id: transactionId,
      whole_transaction: true,
      amount: '400.00',
      date: '2026-02-14',
      note: 'bonus',
    });
    expect(res.body.goal).toMatchObject({ current_amount: '400.00', status: 'active', version: 2 });
    const one = await httpJson('GET', `${url}/goals/${goal.id}/contributions/${res.body.id}`, { token });
    expect(one.body).toEqual(Object.fromEntries(Object.entries(res.body).filter(([key]) => key !== 'goal')));
    expect(await harness.amounts(goal.id)).toEqual({ current: '40000', sum: '40000' });
  });

  it('answers 404 naming transaction_id for another user’s transaction, an unknown one and a deleted one, storing nothing', async () => {
    const ada = await harness.user();
    const bob = await harness.user();
    const bobs = await harness.transaction(bob.id, { amount: '10.00' });
    const deleted = await harness.transaction(ada.id, { amount: '10.00' });
    await harness.apply(
      transactionEvent('ledger.transaction.deleted', ada.id, deleted, 2, { amount: '10.00' }),
    );
    const goal = await harness.createGoal(ada.token);
    for (const transactionId of [bobs, deleted, '00000000-0000-4000-8000-0000000000ff']) {
      const res = await harness.contribute(ada.token, goal.id, { transaction_id: transactionId });
      expect(res.status).toBe(404);
      expect(res.body.errors).toEqual([
        { field: 'body.transaction_id', message: 'No such transaction of yours' },
      ]);
    }
    expect(await harness.amounts(goal.id)).toEqual({ current: '0', sum: '0' });
    // A missing goal is a 404 too, before any transaction is looked at.
    const missing = await harness.contribute(ada.token, newId(), { amount: '1' });
    expect(missing.status).toBe(404);
  });

  it('finds a transaction created in the ledger a moment ago (its event applied while the request waits)', async () => {
    const { id, token } = await harness.user();
    const goal = await harness.createGoal(token);
    const transactionId = newId();
    const parked = lookupsParkedOn(harness.service.consumer);
    const pending = harness.contribute(token, goal.id, { transaction_id: transactionId });
    await parked();
    await harness.apply(
      transactionEvent('ledger.transaction.created', id, transactionId, 1, { amount: '12.50' }),
    );
    const res = await pending;
    expect(res.status).toBe(201);
    expect(res.body.goal.current_amount).toBe('12.50');
  });

  it('never gives more of a transaction than it holds, across goals: 422 with the remainder available', async () => {
    const { id, token } = await harness.user();
    const transactionId = await harness.transaction(id, { amount: '100.00' });
    const [a, b, c] = [
      await harness.createGoal(token),
      await harness.createGoal(token),
      await harness.createGoal(token),
    ];
    expect(
      (await harness.contribute(token, a.id, { transaction_id: transactionId, amount: '60' })).status,
    ).toBe(201);
    const over = await harness.contribute(token, b.id, { transaction_id: transactionId, amount: '40.01' });
    expect(over.status).toBe(422);
    expect(over.body).toMatchObject({ available: '40.00', currency: 'EUR' });
    expect(over.body.errors).toEqual([{ field: 'body.amount', message: 'At most 40.00 is available' }]);
    // Without an amount, the whole transaction is asked for: 422 naming the transaction.
    const whole = await harness.contribute(token, b.id, { transaction_id: transactionId });
    expect(whole.status).toBe(422);
    expect(whole.body.errors[0].field).toBe('body.transaction_id');
    expect(
      (await harness.contribute(token, b.id, { transaction_id: transactionId, amount: '40' })).status,
    ).toBe(201);
    const none = await harness.contribute(token, c.id, { transaction_id: transactionId, amount: '0.01' });
    expect(none.status).toBe(422);
    expect(none.body.available).toBe('0.00');
    expect((await harness.goal(token, c.id)).current_amount).toBe('0.00');
  });

  it('links one transaction to a goal once: 409 naming transaction_id', async () => {
    const { id, token } = await harness.user();
    const transactionId = await harness.transaction(id, { amount: '100.00' });
    const goal = await harness.createGoal(token);
    expect(
      (await harness.contribute(token, goal.id, { transaction_id: transactionId, amount: '10' })).status,
    ).toBe(201);
    const again = await harness.contribute(token, goal.id, { transaction_id: transactionId, amount: '10' });
    expect(again.status).toBe(409);
    expect(again.body.errors[0].field).toBe('body.transaction_id');
    expect((await harness.goal(token, goal.id)).current_amount).toBe('10.00');
  });

  it('refuses a transaction recorded in another currency than the goal (422)', async () => {
    const { id, token } = await harness.user();
    const transactionId = await harness.transaction(id, { amount: '100.00', currency: 'USD' });
    const goal = await harness.createGoal(token);
    const res = await harness.contribute(token, goal.id, { transaction_id: transactionId });
    expect(res.status).toBe(422);
    expect(res.body.errors[0]).toEqual({
      field: 'body.transaction_id',
      message: 'Recorded in USD; the goal is in EUR',
    });
  });

  it.each([
    [{}, 'body.amount'],
    [{ amount: '0' }, 'body.amount'],
    [{ amount: '1.001' }, 'body.amount'],
    [{ amount: 'abc' }, 'body.amount'],
    [{ transaction_id: 'x' }, 'body.transaction_id'],
    [{ transaction_id: '00000000-0000-4000-8000-000000000001', amount: '-5' }, 'body.amount'],
    [{ transaction_id: '00000000-0000-4000-8000-000000000001', date: '2026-01-01' }, 'body.date'],
    [{ amount: '5', date: '1899-12-31' }, 'body.date'],
    [{ amount: '5', note: 'bell\u0007' }, 'body.note'],
    [{ amount: '5', goal_id: 'x' }, 'body.goal_id'],
  ])('refuses %j with a 400 naming %s', async (body, field) => {
    const { token } = await harness.user();
    const goal = await harness.createGoal(token);
    const res = await harness.contribute(token, goal.id, body);
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    expect(await harness.amounts(goal.id)).toEqual({ current: '0', sum: '0' });
  });

  it('takes manual contributions and withdrawals, never below zero, both shown in the list', async () => {
    const { token } = await harness.user();
    const goal = await harness.createGoal(token, { target_amount: '100' });
    const manual = await harness.contribute(token, goal.id, {
      amount: '30',
      date: '2026-03-01',
      note: 'cash\njar',
    });
    expect(manual.body).toMatchObject({
      kind: 'manual',
      amount: '30.00',
      date: '2026-03-01',
      transaction_id: null,
    });
    const today = await harness.contribute(token, goal.id, { amount: '20' });
    expect(today.body.date).toBe('2026-03-10');
    const future = await harness.contribute(token, goal.id, { amount: '5', date: '2026-03-11' });
    expect(future.status).toBe(422);
    expect(future.body.errors[0].field).toBe('body.date');
    const tooMuch = await harness.contribute(token, goal.id, { amount: '-50.01' });
    expect(tooMuch.status).toBe(422);
    expect(tooMuch.body).toMatchObject({ available: '50.00' });
    const withdrawal = await harness.contribute(token, goal.id, { amount: '-50' });
    expect(withdrawal.body).toMatchObject({ kind: 'withdrawal', amount: '-50.00' });
    expect(withdrawal.body.goal.current_amount).toBe('0.00');
    const list = await httpJson('GET', `${url}/goals/${goal.id}/contributions`, { token });
    expect(list.body.data.map((c: { kind: string; amount: string }) => [c.kind, c.amount])).toEqual([
      ['manual', '30.00'],
      ['manual', '20.00'],
      ['withdrawal', '-50.00'],
    ]);
  });

  it('pages through contributions with a keyset cursor', async () => {
    const { token } = await harness.user();
    const goal = await harness.createGoal(token);
    const ids: string[] = [];
    for (let i = 1; i <= 5; i++)
      ids.push((await harness.contribute(token, goal.id, { amount: String(i) })).body.id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { data: Array<{ id: string }>; next_cursor: string | null } } = await httpJson(
        'GET',
        `${url}/goals/${goal.id}/contributions?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        { token },
      );
      seen.push(...page.body.data.map((c) => c.id));
      cursor = page.body.next_cursor;
    } while (cursor);
    expect(seen).toEqual(ids);
  });

  it('completes a goal by itself at its target, reopens it when a contribution goes, and refuses removals below zero', async () => {
    const { id, token } = await harness.user();
    const transactionId = await harness.transaction(id, { amount: '80.00' });
    const goal = await harness.createGoal(token, { target_amount: '100' });
    const linked = await harness.contribute(token, goal.id, { transaction_id: transactionId });
    const manual = await harness.contribute(token, goal.id, { amount: '20' });
    expect(manual.body.goal.status).toBe('completed');
    const withdrawal = await harness.contribute(token, goal.id, { amount: '-90' });
    expect(withdrawal.body.goal).toMatchObject({ status: 'active', current_amount: '10.00' });
    // Without the 80 the goal would hold -70.
    const refused = await httpJson('DELETE', `${url}/goals/${goal.id}/contributions/${linked.body.id}`, {
      token,
    });
    expect(refused.status).toBe(409);
    expect(
      (await httpJson('DELETE', `${url}/goals/${goal.id}/contributions/${withdrawal.body.id}`, { token }))
        .status,
    ).toBe(204);
    expect(await harness.goal(token, goal.id)).toMatchObject({
      status: 'completed',
      current_amount: '100.00',
    });
    expect(
      (await httpJson('DELETE', `${url}/goals/${goal.id}/contributions/${linked.body.id}`, { token })).status,
    ).toBe(204);
    expect(await harness.goal(token, goal.id)).toMatchObject({ status: 'active', current_amount: '20.00' });
    const gone = await httpJson('DELETE', `${url}/goals/${goal.id}/contributions/${linked.body.id}`, {
      token,
    });
    expect(gone.status).toBe(404);
    // The transaction is free again for any goal.
    expect((await harness.contribute(token, goal.id, { transaction_id: transactionId })).status).toBe(201);
    expect(await harness.amounts(goal.id)).toEqual({ current: '10000', sum: '10000' });
  });

  it('a cancelled goal takes no new money (409) but may be withdrawn from, and takes money again once active', async () => {
    const { id, token } = await harness.user();
    const transactionId = await harness.transaction(id, { amount: '50.00' });
    const goal = await harness.createGoal(token, { target_amount: '100' });
    await harness.contribute(token, goal.id, { amount: '40' });
    const cancelled = await httpJson('PATCH', `${url}/goals/${goal.id}`, {
      token,
      body: { status: 'cancelled' },
    });
    expect(cancelled.body.status).toBe('cancelled');
    for (const body of [{ amount: '10' }, { transaction_id: transactionId }]) {
      const res = await harness.contribute(token, goal.id, body);
      expect(res.status).toBe(409);
    }
    expect((await harness.contribute(token, goal.id, { amount: '-15' })).body.goal.current_amount).toBe(
      '25.00',
    );
    await httpJson('PATCH', `${url}/goals/${goal.id}`, { token, body: { status: 'active' } });
    expect((await harness.contribute(token, goal.id, { transaction_id: transactionId })).status).toBe(201);
  });

  it('deleting a goal deletes its contributions and frees its transactions', async () => {
    const { id, token } = await harness.user();
    const transactionId = await harness.transaction(id, { amount: '50.00' });
    const first = await harness.createGoal(token);
    await harness.contribute(token, first.id, { transaction_id: transactionId });
    expect((await httpJson('DELETE', `${url}/goals/${first.id}`, { token })).status).toBe(204);
    const rows: unknown[] = await harness.service.dataSource.query(
      `SELECT 1 FROM goal_contributions WHERE goal_id = $1`,
      [first.id],
    );
    expect(rows).toHaveLength(0);
    const second = await harness.createGoal(token);
    expect((await harness.contribute(token, second.id, { transaction_id: transactionId })).status).toBe(201);
  });

  it('honours Idempotency-Key: a retry gets the first answer and contributes once; another body is a 422', async () => {
    const { token } = await harness.user();
    const goal = await harness.createGoal(token);
    const key = { 'idempotency-key': `k-${newId()}` };
    const first = await harness.contribute(token, goal.id, { amount: '25' }, key);
    const retries = await Promise.all(
      [1, 2, 3].map(() => harness.contribute(token, goal.id, { amount: '25' }, key)),
    );
    for (const retry of retries) {
      expect(retry.status).toBe(201);
      expect(retry.headers.get('idempotent-replayed')).toBe('true');
      expect(retry.body.id).toBe(first.body.id);
    }
    expect((await harness.goal(token, goal.id)).current_amount).toBe('25.00');
    const other = await harness.contribute(token, goal.id, { amount: '26' }, key);
    expect(other.status).toBe(422);
    expect(other.body.errors[0].field).toBe('header.Idempotency-Key');
    // The same key on another goal is another request.
    const elsewhere = await harness.createGoal(token);
    const there = await harness.contribute(token, elsewhere.id, { amount: '25' }, key);
    expect(there.status).toBe(201);
    expect(there.body.goal_id).toBe(elsewhere.id);
  });

  it('replays an answered Idempotency-Key even after its transaction was deleted in the ledger', async () => {
    const { id, token } = await harness.user();
    const transactionId = await harness.transaction(id, { amount: '30.00' });
    const goal = await harness.createGoal(token);
    const key = { 'idempotency-key': `k-${newId()}` };
    const first = await harness.contribute(token, goal.id, { transaction_id: transactionId }, key);
    expect(first.status).toBe(201);
    await harness.apply(
      transactionEvent('ledger.transaction.deleted', id, transactionId, 2, { amount: '30.00' }),
    );
    const retry = await harness.contribute(token, goal.id, { transaction_id: transactionId }, key);
    expect(retry.status).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.body.id).toBe(first.body.id);
    // Without the key, the same request now finds no such transaction.
    expect((await harness.contribute(token, goal.id, { transaction_id: transactionId })).status).toBe(404);
    expect((await harness.goal(token, goal.id)).current_amount).toBe('0.00');
  });

  it('refuses more contributions than MAX_CONTRIBUTIONS_PER_GOAL (409)', async () => {
    const limited = new GoalsHarness();
    await limited.start({ MAX_CONTRIBUTIONS_PER_GOAL: '2' });
    try {
      const { token } = await limited.user();
      const goal = await limited.createGoal(token);
      expect((await limited.contribute(token, goal.id, { amount: '1' })).status).toBe(201);
      expect((await limited.contribute(token, goal.id, { amount: '1' })).status).toBe(201);
      expect((await limited.contribute(token, goal.id, { amount: '1' })).status).toBe(409);
    } finally {
      await limited.stop();
    }
  });
});
