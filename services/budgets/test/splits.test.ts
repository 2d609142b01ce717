import type { FinanceEvent } from '@finance/shared';
import { TestTokenIssuer, httpJson } from '@finance/shared/testing';
import {
  categoryDeleted,
  categoryEvent,
  newId,
  startBudgets,
  transactionEvent,
  userRegistered,
  type BudgetsService,
} from './fixtures';

/** A split transaction counts each part in its own category's budget, and whole in one on all expenses. */
describe('budgets and split transactions', () => {
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

  async function scenario() {
    const userId = newId();
    const token = issuer.token(userId);
    const [groceries, household, other] = [newId(), newId(), newId()];
    await deliver(userRegistered(userId, 'EUR', 'Europe/Berlin'));
    for (const c of [groceries, household, other])
      await deliver(categoryEvent('ledger.category.created', userId, c));
    const create = async (body: object) => {
      const res = await httpJson('POST', `${service.url}/budgets`, { token, body });
      expect(res.status).toBe(201);
      return res.body.id as string;
    };
    const monthly = { period: 'monthly', start_date: '2026-03-01' };
    const budgets = {
      groceries: await create({ name: 'Groceries', category_id: groceries, amount: '70', ...monthly }),
      household: await create({ name: 'Household', category_id: household, amount: '20', ...monthly }),
      other: await create({ name: 'Other', category_id: other, amount: '20', ...monthly }),
      overall: await create({ name: 'Everything', amount: '1000', ...monthly }),
    };
    const spent = async () => {
      const out: Record<string, string> = {};
      for (const [name, id] of Object.entries(budgets)) {
        const res = await httpJson('GET', `${service.url}/budgets/${id}`, { token });
        expect(res.status).toBe(200);
        out[name] = res.body.spent;
      }
      return out;
    };
    const announced = async () =>
      (
        (await service.dataSource.query(
          `SELECT type, envelope->'payload'->>'name' AS name FROM outbox
           WHERE type IN ('budgets.budget.threshold-reached', 'budgets.budget.exceeded') AND envelope->>'userId' = $1
           ORDER BY position`,
          [userId],
        )) as Array<{ type: string; name: string }>
      ).map((r) => `${r.type} ${r.name}`);
    return { userId, groceries, household, other, spent, announced };
  }

  it('counts each part in its category on create, update and delete, exactly', async () => {
    const s = await scenario();
    const receipt = newId();
    const state = {
      baseAmount: '80.00',
      categoryId: null,
      date: '2026-03-05',
      splits: [
        { baseAmount: '62.10', categoryId: s.groceries },
        { baseAmount: '17.90', categoryId: s.household },
      ],
    };
    expect(await deliver(transactionEvent('ledger.transaction.created', s.userId, receipt, 1, state))).toBe(
      true,
    );
    expect(await s.spent()).toEqual({
      groceries: '62.10',
      household: '17.90',
      other: '0.00',
      overall: '80.00',
    });
    // 62.10 of 70 is 88.7 % (80 % reached); 17.90 of 20 is 89.5 %: each part judged in its budget.
    expect(await s.announced()).toEqual([
      'budgets.budget.threshold-reached Groceries',
      'budgets.budget.threshold-reached Household',
    ]);

    // The parts change: 50 + 10 + 25 (a part in Other, over its 20).
    await deliver(
      transactionEvent('ledger.transaction.updated', s.userId, receipt, 2, {
        ...state,
        baseAmount: '85.00',
        splits: [
          { baseAmount: '50.00', categoryId: s.groceries },
          { baseAmount: '10.00', categoryId: s.household },
          { baseAmount: '25.00', categoryId: s.other },
        ],
      }),
    );
    expect(await s.spent()).toEqual({
      groceries: '50.00',
      household: '10.00',
      other: '25.00',
      overall: '85.00',
    });
    expect((await s.announced()).at(-1)).toBe('budgets.budget.exceeded Other');

    // An older version arriving late changes nothing, its parts included.
    expect(await deliver(transactionEvent('ledger.transaction.updated', s.userId, receipt, 1, state))).toBe(
      true,
    );
    expect((await s.spent()).groceries).toBe('50.00');

    // No longer split: the whole amount in one category.
    await deliver(
      transactionEvent('ledger.transaction.updated', s.userId, receipt, 3, {
        baseAmount: '85.00',
        categoryId: s.household,
        date: '2026-03-05',
      }),
    );
    expect(await s.spent()).toEqual({
      groceries: '0.00',
      household: '85.00',
      other: '0.00',
      overall: '85.00',
    });

    await deliver(
      transactionEvent('ledger.transaction.updated', s.userId, receipt, 4, { ...state, baseAmount: '80.00' }),
    );
    await deliver(transactionEvent('ledger.transaction.deleted', s.userId, receipt, 5, state));
    expect(await s.spent()).toEqual({ groceries: '0.00', household: '0.00', other: '0.00', overall: '0.00' });
    const [{ n }] = await service.dataSource.query(
      `SELECT count(*)::int AS n FROM spending_transaction_parts WHERE transaction_id = $1`,
      [receipt],
    );
    expect(n).toBe(0);
  });

  it('counts a part uncategorised only in a budget on all expenses, and follows a deleted category', async () => {
    const s = await scenario();
    const t = newId();
    await deliver(
      transactionEvent('ledger.transaction.created', s.userId, t, 1, {
        baseAmount: '30.00',
        categoryId: null,
        date: '2026-03-06',
        splits: [
          { baseAmount: '12.00', categoryId: s.other },
          { baseAmount: '18.00', categoryId: null },
        ],
      }),
    );
    expect(await s.spent()).toMatchObject({ other: '12.00', overall: '30.00' });
    // The ledger moves the part (transaction.updated) and then says the category went to Groceries.
    await deliver(
      transactionEvent('ledger.transaction.updated', s.userId, t, 2, {
        baseAmount: '30.00',
        categoryId: null,
        date: '2026-03-06',
        splits: [
          { baseAmount: '12.00', categoryId: s.groceries },
          { baseAmount: '18.00', categoryId: null },
        ],
      }),
    );
    await deliver(categoryDeleted(s.userId, s.other, s.groceries));
    expect(await s.spent()).toMatchObject({ groceries: '12.00', overall: '30.00' });
  });
});
