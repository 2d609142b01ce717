import { newId } from '@finance/shared';
import { recomputeBaseAmounts } from '../src/use-cases/fx-base-change';
import { fxContextOf } from '../src/use-cases/fx-conversions';
import { LedgerHarness, fieldsOf, userEvent, type TestUser } from './support';

describe('split transactions', () => {
  let h: LedgerHarness;
  let alice: TestUser;
  let bob: TestUser;
  let account: { id: string };
  let groceries: { id: string };
  let household: { id: string };
  let salary: { id: string };

  beforeAll(async () => {
    h = await LedgerHarness.start('splits', { env: { FX_BASE_CHANGE_SCHEDULE: 'off' } });
    alice = await h.user();
    bob = await h.user();
    account = (await h.call('POST', '/accounts', alice, { body: { name: 'Checking', type: 'checking' } }))
      .body;
    const category = async (name: string, kind: string) =>
      (await h.call('POST', '/categories', alice, { body: { name, color: '#112233', kind } })).body;
    groceries = await category('Split groceries', 'expense');
    household = await category('Split household', 'expense');
    salary = await category('Split salary', 'income');
  });
  afterAll(() => h?.stop());

  const receipt = () => ({
    account_id: account.id,
    amount: '80.00',
    transaction_type: 'expense',
    description: 'Supermarket',
    date: '2024-06-03',
    splits: [
      { amount: '62.10', category_id: groceries.id, notes: 'food', tags: ['weekly'] },
      { amount: 17.9, category_id: household.id },
    ],
  });
  const post = (body: object, user = alice) => h.call('POST', '/transactions', user, { body });

  it('records a receipt in parts, shows them with their base amounts, and publishes them', async () => {
    const res = await post(receipt());
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ amount: '80.00', category_id: null });
    const parts = [
      {
        amount: '62.10',
        base_amount: '62.10',
        category_id: groceries.id,
        notes: 'food',
        tags: ['weekly'],
      },
      { amount: '17.90', base_amount: '17.90', category_id: household.id, notes: null, tags: [] },
    ];
    expect(res.body.splits).toEqual(parts);
    expect((await h.call('GET', `/transactions/${res.body.id}`, alice)).body.splits).toEqual(parts);
    const [event] = await h.outbox({ type: 'ledger.transaction.created', aggregateId: res.body.id });
    expect(event.payload.splits).toEqual([
      { amount: '62.10', baseAmount: '62.10', categoryId: groceries.id, notes: 'food', tags: ['weekly'] },
      { amount: '17.90', baseAmount: '17.90', categoryId: household.id, notes: null, tags: [] },
    ]);
    const [{ n }] = await h.dataSource.query(
      `SELECT count(*)::int AS n FROM transaction_splits WHERE transaction_id = $1`,
      [res.body.id],
    );
    expect(n).toBe(2);
  });

  it('leaves a transaction without parts as it was', async () => {
    const res = await post({ account_id: account.id, amount: '5', transaction_type: 'expense' });
    expect(res.status).toBe(201);
    expect(res.body.splits).toEqual([]);
    const [event] = await h.outbox({ aggregateId: res.body.id });
    expect(event.payload.splits).toEqual([]);
    expect((await post({ ...receipt(), splits: [] })).body).toMatchObject({ splits: [] });
  });

  it('refuses parts that break a rule, naming the field, and writes nothing', async () => {
    const before = await h.outboxCount(alice.id);
    const refused = async (body: object, status: number, fields: string[]) => {
      const res = await post(body);
      expect([res.status, res.headers.get('content-type'), fieldsOf(res.body)]).toEqual([
        status,
        expect.stringContaining('application/problem+json'),
        fields,
      ]);
      return res;
    };
    const [first, second] = receipt().splits;
    const badSum = await refused({ ...receipt(), splits: [first, { ...second, amount: '17.89' }] }, 400, [
      'body.splits',
    ]);
    expect(badSum.body.errors[0].message).toBe('Parts sum to 79.99, must sum to 80.00');
    await refused({ ...receipt(), splits: [{ ...first, amount: '80.00' }] }, 400, ['body.splits']);
    await refused({ ...receipt(), splits: [first, { ...second, amount: '17.901' }] }, 400, [
      'body.splits[1].amount',
    ]);
    await refused({ ...receipt(), splits: [first, { ...second, amount: '0' }] }, 400, [
      'body.splits[1].amount',
    ]);
    await refused({ ...receipt(), splits: [first, { ...second, category_id: salary.id }] }, 422, [
      'body.splits[1].category_id',
    ]);
    await refused({ ...receipt(), splits: [first, { ...second, category_id: newId() }] }, 404, [
      'body.splits[1].category_id',
    ]);
    await refused({ ...receipt(), category_id: groceries.id }, 400, ['body.category_id']);
    const tooMany = Array.from({ length: 101 }, () => ({ amount: '0.01' }));
    await refused({ ...receipt(), amount: '1.01', splits: tooMany }, 400, ['body.splits']);
    await refused({ ...receipt(), splits: [first, { ...second, extra: 1 }] }, 400, ['body.splits[1].extra']);
    const savings = (await h.call('POST', '/accounts', alice, { body: { name: 'Savings', type: 'savings' } }))
      .body;
    const transfer = await refused(
      {
        account_id: account.id,
        to_account_id: savings.id,
        amount: '80.00',
        transaction_type: 'transfer',
        splits: [{ amount: '40' }, { amount: '40' }],
      },
      400,
      ['body.splits'],
    );
    expect(transfer.body.detail).toMatch(/A transfer cannot be split/);
    // Another user's categories are not there for Bob's parts.
    const bobs = await post({ amount: '80.00', transaction_type: 'expense', splits: receipt().splits }, bob);
    expect(bobs.status).toBe(404);
    expect(await h.outboxCount(alice.id)).toBe(before + 1); // only the Savings account
  });

  it('replaces, keeps or removes the parts on PATCH and PUT', async () => {
    const t = (await post(receipt())).body;
    const patch = (body: object, version: number) =>
      h.call('PATCH', `/transactions/${t.id}`, alice, { body, headers: { 'if-match': `"${version}"` } });

    // A new amount alone leaves parts that no longer sum: refused, the parts named.
    const amountOnly = await patch({ amount: '90.00' }, 1);
    expect([amountOnly.status, fieldsOf(amountOnly.body)]).toEqual([400, ['body.splits']]);
    expect(amountOnly.body.detail).toMatch(/needs its splits too/);

    const both = await patch(
      {
        amount: '90.00',
        splits: [
          { amount: '70.00', category_id: groceries.id },
          { amount: '20.00', category_id: household.id, notes: 'soap' },
        ],
      },
      1,
    );
    expect(both.status).toBe(200);
    expect(both.body.splits.map((p: { amount: string }) => p.amount)).toEqual(['70.00', '20.00']);
    // Other fields leave the parts as they are.
    const notes = await patch({ notes: 'kept' }, 2);
    expect(notes.body.splits.map((p: { notes: string | null }) => p.notes)).toEqual([null, 'soap']);
    const updates = await h.outbox({ type: 'ledger.transaction.updated', aggregateId: t.id });
    expect(updates.map((e) => [e.aggregateVersion, (e.payload.splits as unknown[]).length])).toEqual([
      [2, 2],
      [3, 2],
    ]);

    const removed = await patch({ splits: null, category_id: groceries.id }, 3);
    expect(removed.body).toMatchObject({ splits: [], category_id: groceries.id, version: 4 });
    // Splitting again drops the transaction's own category.
    const again = await patch(
      { splits: receipt().splits.map((p) => ({ ...p, amount: p.amount === '62.10' ? '72.10' : '17.90' })) },
      4,
    );
    expect(again.body).toMatchObject({ category_id: null, version: 5 });
    expect(again.body.splits).toHaveLength(2);
    const emptied = await patch({ splits: [] }, 5);
    expect(emptied.body.splits).toEqual([]);

    const put = await h.call('PUT', `/transactions/${t.id}`, alice, { body: receipt() });
    expect(put.body.splits).toHaveLength(2);
    const plainPut = await h.call('PUT', `/transactions/${t.id}`, alice, {
      body: { ...receipt(), splits: undefined },
    });
    expect(plainPut.body.splits).toEqual([]);
    const [{ n }] = await h.dataSource.query(
      `SELECT count(*)::int AS n FROM transaction_splits WHERE transaction_id = $1`,
      [t.id],
    );
    expect(n).toBe(0);
  });

  it('finds a split transaction under each of its parts’ categories, with its parts, in one page', async () => {
    const user = await h.user();
    const cat = async (name: string) =>
      (await h.call('POST', '/categories', user, { body: { name, color: '#112233', kind: 'expense' } })).body;
    const [a, b, c] = [await cat('A'), await cat('B'), await cat('C')];
    const split = (
      await h.call('POST', '/transactions', user, {
        body: {
          amount: '10',
          transaction_type: 'expense',
          splits: [
            { amount: '4', category_id: a.id },
            { amount: '6', category_id: null },
          ],
        },
      })
    ).body;
    const plain = (
      await h.call('POST', '/transactions', user, {
        body: { amount: '3', transaction_type: 'expense', category_id: b.id },
      })
    ).body;
    const uncategorised = (
      await h.call('POST', '/transactions', user, { body: { amount: '2', transaction_type: 'expense' } })
    ).body;
    const ids = async (query: string) =>
      (await h.call('GET', `/transactions?${query}`, user)).body.data.map((t: { id: string }) => t.id).sort();
    expect(await ids(`category_id=${a.id}`)).toEqual([split.id]);
    expect(await ids(`category_id=${b.id}`)).toEqual([plain.id]);
    expect(await ids(`category_id=${c.id}`)).toEqual([]);
    expect(await ids('category_id=uncategorized')).toEqual([split.id, uncategorised.id].sort());
    const page = (await h.call('GET', '/transactions', user)).body.data;
    expect(page.find((t: { id: string }) => t.id === split.id).splits).toHaveLength(2);
    expect(page.find((t: { id: string }) => t.id === plain.id).splits).toEqual([]);
  });

  it('moves the parts with a deleted category (reassign_to), or leaves them uncategorised', async () => {
    const user = await h.user();
    const cat = async (name: string, kind = 'expense') =>
      (await h.call('POST', '/categories', user, { body: { name, color: '#112233', kind } })).body;
    const [doomed, target, gone, incomeOnly] = [
      await cat('Doomed'),
      await cat('Target'),
      await cat('Gone'),
      await cat('Income only', 'income'),
    ];
    const t = (
      await h.call('POST', '/transactions', user, {
        body: {
          amount: '10',
          transaction_type: 'expense',
          splits: [
            { amount: '4', category_id: doomed.id },
            { amount: '6', category_id: gone.id },
          ],
        },
      })
    ).body;
    // A part is an expense: an income-only category cannot take it.
    const unfit = await h.call('DELETE', `/categories/${doomed.id}?reassign_to=${incomeOnly.id}`, user);
    expect([unfit.status, fieldsOf(unfit.body)]).toEqual([422, ['query.reassign_to']]);

    expect((await h.call('DELETE', `/categories/${doomed.id}?reassign_to=${target.id}`, user)).status).toBe(
      204,
    );
    const moved = (await h.call('GET', `/transactions/${t.id}`, user)).body;
    expect(moved).toMatchObject({ version: 2 });
    expect(moved.splits.map((p: { category_id: string }) => p.category_id)).toEqual([target.id, gone.id]);
    const [update] = await h.outbox({ type: 'ledger.transaction.updated', aggregateId: t.id });
    expect(update).toMatchObject({ aggregateVersion: 2 });
    expect((update.payload.splits as Array<{ categoryId: string }>).map((p) => p.categoryId)).toEqual([
      target.id,
      gone.id,
    ]);

    expect((await h.call('DELETE', `/categories/${gone.id}`, user)).status).toBe(204);
    const left = (await h.call('GET', `/transactions/${t.id}`, user)).body;
    expect(left.splits.map((p: { category_id: string | null }) => p.category_id)).toEqual([target.id, null]);
    expect(left.version).toBe(3);
  });

  it('deletes the parts with their transaction and publishes them in its last state', async () => {
    const t = (await post(receipt())).body;
    expect((await h.call('DELETE', `/transactions/${t.id}`, alice)).status).toBe(204);
    const [deleted] = await h.outbox({ type: 'ledger.transaction.deleted', aggregateId: t.id });
    expect(deleted.payload.splits).toHaveLength(2);
    const [{ n }] = await h.dataSource.query(
      `SELECT count(*)::int AS n FROM transaction_splits WHERE transaction_id = $1`,
      [t.id],
    );
    expect(n).toBe(0);
  });

  it('allocates the base amount over the parts exactly, also when the base currency changes', async () => {
    const id = newId();
    const admin = { id, token: h.issuer.token(id, { role: 'admin' }) };
    const rates = [{ base: 'EUR', quote: 'USD', date: '2026-01-02', rate: '1.0321' }];
    expect((await h.call('PUT', '/exchange-rates', admin, { body: { rates } })).status).toBe(200);
    const user = await h.user({ baseCurrency: 'USD' });
    const eur = (
      await h.call('POST', '/accounts', user, { body: { name: 'EUR', type: 'checking', currency: 'EUR' } })
    ).body;
    const t = (
      await h.call('POST', '/transactions', user, {
        body: {
          account_id: eur.id,
          amount: '10.00',
          date: '2026-01-05',
          transaction_type: 'expense',
          splits: [{ amount: '3.33' }, { amount: '3.33' }, { amount: '3.34' }],
        },
      })
    ).body;
    // 10.00 EUR × 1.0321 = 10.321 → 10.32 USD; exact shares 3.43656, 3.43656, 3.44688: the floors
    // 3.43 + 3.43 + 3.44 leave 2 cents, for the largest remainders (the third part, then the first).
    expect(t.base_amount).toBe('10.32');
    expect(t.splits.map((p: { base_amount: string }) => p.base_amount)).toEqual(['3.44', '3.43', '3.45']);

    expect(await h.apply(userEvent('auth.user.updated', user.id, 2, { baseCurrency: 'EUR' }))).toBe(true);
    await recomputeBaseAmounts(fxContextOf({ dataSource: h.dataSource, clock: () => new Date() }));
    const rebased = (await h.call('GET', `/transactions/${t.id}`, user)).body;
    expect(rebased).toMatchObject({ base_amount: '10.00', base_currency: 'EUR', version: 2 });
    expect(rebased.splits.map((p: { base_amount: string }) => p.base_amount)).toEqual([
      '3.33',
      '3.33',
      '3.34',
    ]);
    const [update] = await h.outbox({ type: 'ledger.transaction.updated', aggregateId: t.id });
    expect((update.payload.splits as Array<{ baseAmount: string }>).map((p) => p.baseAmount)).toEqual([
      '3.33',
      '3.33',
      '3.34',
    ]);
  });
});
