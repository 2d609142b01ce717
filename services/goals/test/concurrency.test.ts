import { httpJson } from '@finance/shared/testing';
import { GoalsHarness, transactionEvent, userDeleted } from './fixtures';

/**
 * Races, with real parallel requests: contributions to one goal and of one transaction keep
 * current_amount and the over-allocation rule exact (row locks), also against the ledger's events.
 */
describe('concurrent contributions', () => {
  const harness = new GoalsHarness();

  beforeAll(() => harness.start());
  afterAll(() => harness.stop());

  const cents = (amount: string) => BigInt(amount.replace('.', ''));

  it('parallel contributions to one goal lose no update', async () => {
    const { token } = await harness.user();
    const goal = await harness.createGoal(token, { target_amount: '1000000' });
    const amounts = Array.from(
      { length: 24 },
      (_, i) => `${i + 1}.${String((i * 7) % 100).padStart(2, '0')}`,
    );
    const results = await Promise.all(
      amounts.map((amount) => harness.contribute(token, goal.id, { amount })),
    );
    expect(results.map((r) => r.status)).toEqual(amounts.map(() => 201));
    const expected = amounts.reduce((sum, amount) => sum + cents(amount), 0n);
    expect(await harness.amounts(goal.id)).toEqual({ current: String(expected), sum: String(expected) });
    // Every answer saw its own contribution on top of the earlier ones: the versions are all different.
    expect(new Set(results.map((r) => r.body.goal.version)).size).toBe(amounts.length);
  });

  it('parallel contributions of one transaction to many goals never over-allocate it', async () => {
    const { id, token } = await harness.user();
    const transactionId = await harness.transaction(id, { amount: '100.00' });
    const goals = await Promise.all(Array.from({ length: 12 }, () => harness.createGoal(token)));
    const requested = goals.map((_, i) => `${7 + (i % 5) * 4}.00`); // 7, 11, 15, 19, 23, …
    const results = await Promise.all(
      goals.map((goal, i) =>
        harness.contribute(token, goal.id, { transaction_id: transactionId, amount: requested[i] }),
      ),
    );
    const accepted = results.flatMap((r, i) => (r.status === 201 ? [cents(requested[i])] : []));
    const total = accepted.reduce((sum, amount) => sum + amount, 0n);
    expect(total).toBeLessThanOrEqual(10_000n);
    for (const [i, r] of results.entries()) {
      expect([201, 422]).toContain(r.status);
      // A refusal was right when it was made: what was left then is less than what was asked.
      if (r.status === 422) expect(cents(r.body.available)).toBeLessThan(cents(requested[i]));
    }
    // Nothing is lost either: what is left cannot take the smallest refused request.
    const refused = results.flatMap((r, i) => (r.status === 422 ? [cents(requested[i])] : []));
    if (refused.length > 0) expect(10_000n - total).toBeLessThan(refused.reduce((a, b) => (a < b ? a : b)));
    const [row]: Array<{ total: string }> = await harness.service.dataSource.query(
      `SELECT SUM(amount_minor)::text AS total FROM goal_contributions WHERE transaction_id = $1`,
      [transactionId],
    );
    expect(row.total).toBe(String(total));
    for (const goal of goals) {
      const { current, sum } = await harness.amounts(goal.id);
      expect(current).toBe(sum);
    }
  });

  it('the same transaction posted to one goal in parallel is linked once', async () => {
    const { id, token } = await harness.user();
    const transactionId = await harness.transaction(id, { amount: '10.00' });
    const goal = await harness.createGoal(token);
    const results = await Promise.all(
      Array.from({ length: 8 }, () =>
        harness.contribute(token, goal.id, { transaction_id: transactionId, amount: '1' }),
      ),
    );
    expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409, 409, 409, 409]);
    expect((await harness.goal(token, goal.id)).current_amount).toBe('1.00');
  });

  it('parallel withdrawals never take a goal below zero', async () => {
    const { token } = await harness.user();
    const goal = await harness.createGoal(token);
    await harness.contribute(token, goal.id, { amount: '100' });
    const results = await Promise.all(
      Array.from({ length: 10 }, () => harness.contribute(token, goal.id, { amount: '-15' })),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(6);
    expect(results.filter((r) => r.status === 422)).toHaveLength(4);
    expect(await harness.amounts(goal.id)).toEqual({ current: '1000', sum: '1000' });
  });

  it('contributions racing the ledger shrinking their transaction still fit it', async () => {
    const { id, token } = await harness.user();
    for (let round = 0; round < 3; round++) {
      const transactionId = await harness.transaction(id, { amount: '100.00' });
      const goals = await Promise.all(Array.from({ length: 6 }, () => harness.createGoal(token)));
      const shrink = transactionEvent('ledger.transaction.updated', id, transactionId, 2, {
        amount: '35.00',
      });
      const [, ...results] = await Promise.all([
        harness.apply(shrink),
        ...goals.map((goal) =>
          harness.contribute(token, goal.id, { transaction_id: transactionId, amount: '15' }),
        ),
      ]);
      for (const r of results) expect([201, 422]).toContain(r.status);
      const [row]: Array<{ total: string | null }> = await harness.service.dataSource.query(
        `SELECT SUM(amount_minor)::text AS total FROM goal_contributions WHERE transaction_id = $1`,
        [transactionId],
      );
      expect(BigInt(row.total ?? '0')).toBeLessThanOrEqual(3_500n);
      for (const goal of goals) {
        const { current, sum } = await harness.amounts(goal.id);
        expect(current).toBe(sum);
      }
    }
  });

  it('writes racing the user’s deletion leave nothing of the user behind', async () => {
    const { id, token } = await harness.user();
    const goal = await harness.createGoal(token);
    const writes = Array.from({ length: 10 }, (_, i) =>
      i % 2 === 0
        ? harness.contribute(token, goal.id, { amount: '1' })
        : httpJson('POST', `${harness.url}/goals`, { token, body: { name: `G${i}`, target_amount: '5' } }),
    );
    const [results] = await Promise.all([Promise.all(writes), harness.apply(userDeleted(id))]);
    for (const r of results) expect([201, 401, 404]).toContain(r.status);
    for (const table of ['goals', 'goal_contributions']) {
      const rows: unknown[] = await harness.service.dataSource.query(
        `SELECT 1 FROM ${table} WHERE user_id = $1`,
        [id],
      );
      expect([table, rows.length]).toEqual([table, 0]);
    }
  });
});
