import { transactionEvent, GoalsHarness } from './fixtures';

/**
 * After a base-currency change the ledger re-publishes every transaction with base figures in the
 * new currency. A goal stays in the currency it was made in and goes on counting what is worth
 * something in that currency without a rate: a transaction made in it (its own amount). One made in
 * another currency has no value there any more and its contribution falls to zero.
 */
describe('goals after a base-currency change', () => {
  const harness = new GoalsHarness();
  beforeAll(() => harness.start());
  afterAll(() => harness.stop());

  it('keeps a contribution of a transaction made in the goal’s currency, drops one made in another', async () => {
    const { id, token } = await harness.user({ baseCurrency: 'EUR' });
    const goal = await harness.createGoal(token); // EUR, the base currency at creation
    const inEuros = await harness.transaction(id, { amount: '300.00', currency: 'EUR' });
    const inDollars = await harness.transaction(id, {
      amount: '110.00',
      currency: 'USD',
      baseAmount: '100.00',
      baseCurrency: 'EUR',
    });
    for (const transaction_id of [inEuros, inDollars])
      expect((await harness.contribute(token, goal.id, { transaction_id })).status).toBe(201);
    expect((await harness.goal(token, goal.id)).current_amount).toBe('400.00');

    // The ledger re-books both in USD.
    await harness.apply(
      transactionEvent('ledger.transaction.updated', id, inEuros, 2, {
        amount: '300.00',
        currency: 'EUR',
        baseAmount: '327.00',
        baseCurrency: 'USD',
      }),
    );
    await harness.apply(
      transactionEvent('ledger.transaction.updated', id, inDollars, 2, {
        amount: '110.00',
        currency: 'USD',
      }),
    );
    const after = await harness.goal(token, goal.id);
    expect(after).toMatchObject({ currency: 'EUR', current_amount: '300.00' });
    expect(await harness.amounts(goal.id)).toEqual({ current: '30000', sum: '30000' });

    // The EUR transaction shrinks in its own currency: its contribution shrinks with it.
    await harness.apply(
      transactionEvent('ledger.transaction.updated', id, inEuros, 3, {
        amount: '250.00',
        currency: 'EUR',
        baseAmount: '272.50',
        baseCurrency: 'USD',
      }),
    );
    expect((await harness.goal(token, goal.id)).current_amount).toBe('250.00');
  });

  it('links a transaction by its own currency when its base is another, refusing one worth nothing in the goal’s', async () => {
    const { id, token } = await harness.user({ baseCurrency: 'EUR' });
    const goal = await harness.createGoal(token);
    const madeInEuros = await harness.transaction(id, {
      amount: '50.00',
      currency: 'EUR',
      baseAmount: '54.50',
      baseCurrency: 'USD',
    });
    const madeInYen = await harness.transaction(id, {
      amount: '8000',
      currency: 'JPY',
      baseAmount: '54.00',
      baseCurrency: 'USD',
    });
    const linked = await harness.contribute(token, goal.id, { transaction_id: madeInEuros });
    expect(linked.status).toBe(201);
    expect(linked.body).toMatchObject({ amount: '50.00', goal: { current_amount: '50.00' } });
    const over = await harness.contribute(token, (await harness.createGoal(token)).id, {
      transaction_id: madeInEuros,
      amount: '0.01',
    });
    expect(over.status).toBe(422); // all 50.00 EUR of it is given already
    const refused = await harness.contribute(token, goal.id, { transaction_id: madeInYen });
    expect(refused.status).toBe(422);
    expect(refused.body.errors).toEqual([
      { field: 'body.transaction_id', message: 'Recorded in JPY; the goal is in EUR' },
    ]);
  });
});
