import { randomUUID } from 'node:crypto';
import { HttpProblem } from '@finance/shared';
import { draftReferences } from '../src/data/draft-references';
import { LedgerHarness, authEvent, fieldsOf, userEvent, type TestUser } from './support';

describe('transactions', () => {
  let h: LedgerHarness;
  let alice: TestUser;
  let bob: TestUser;
  let aliceAccount: { id: string };
  let aliceSavings: { id: string };
  let groceries: { id: string };
  let salary: { id: string };
  /** The service's clock: the system's, unless a test pins it. */
  let pinnedNow: Date | undefined;

  beforeAll(async () => {
    h = await LedgerHarness.start('transactions', { clock: () => pinnedNow ?? new Date() });
    alice = await h.user();
    bob = await h.user();
    aliceAccount = (
      await h.call('POST', '/accounts', alice, { body: { name: 'Checking', type: 'checking' } })
    ).body;
    aliceSavings = (await h.call('POST', '/accounts', alice, { body: { name: 'Savings', type: 'savings' } }))
      .body;
    const cats = (await h.call('GET', '/categories?limit=200', alice)).body.data;
    groceries = cats.find((c: { name: string }) => c.name === 'Groceries');
    salary = cats.find((c: { name: string }) => c.name === 'Salary');
  });
  afterAll(() => h?.stop());

  const post = (user: TestUser, body: object, headers?: Record<string, string>) =>
    h.call('POST', '/transactions', user, { body, headers });

  it('creates a full transaction and publishes its state with version 1', async () => {
    const res = await post(alice, {
      account_id: aliceAccount.id,
      amount: 12.5,
      transaction_type: 'expense',
      description: 'Weekly shop',
      notes: 'with coupons',
      date: '2024-05-31',
      category_id: groceries.id,
      payee: 'Corner Market',
      tags: ['family', 'food', 'family'],
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('etag')).toBe('"1"');
    expect(res.headers.get('location')).toBe(`/transactions/${res.body.id}`);
    expect(res.body).toMatchObject({
      account_id: aliceAccount.id,
      to_account_id: null,
      amount: '12.50',
      currency: 'USD',
      base_amount: '12.50',
      base_currency: 'USD',
      transaction_type: 'expense',
      description: 'Weekly shop',
      notes: 'with coupons',
      date: '2024-05-31',
      category_id: groceries.id,
      payee: 'Corner Market',
      tags: ['family', 'food'],
      version: 1,
    });
    const [event] = await h.outbox({ aggregateId: res.body.id });
    expect(event).toMatchObject({
      type: 'ledger.transaction.created',
      aggregateVersion: 1,
      userId: alice.id,
    });
    expect(event.payload).toEqual({
      accountId: aliceAccount.id,
      toAccountId: null,
      type: 'expense',
      amount: '12.50',
      currency: 'USD',
      baseAmount: '12.50',
      baseCurrency: 'USD',
      categoryId: groceries.id,
      date: '2024-05-31',
      description: 'Weekly shop',
      payee: 'Corner Market',
      notes: 'with coupons',
      tags: ['family', 'food'],
      splits: [],
      cleared: 'uncleared', // the contract's default (reconciliation sets it)
    });
  });

  it('replaces with PUT, merges with PATCH, honours If-Match, deletes; events carry each version', async () => {
    const t = (
      await post(alice, {
        account_id: aliceAccount.id,
        amount: '10',
        transaction_type: 'expense',
        payee: 'Shop',
        tags: ['a'],
        category_id: groceries.id,
        date: '2024-01-02',
      })
    ).body;
    const put = await h.call('PUT', `/transactions/${t.id}`, alice, {
      body: { amount: '11', transaction_type: 'expense', description: 'Replaced', date: '2024-01-03' },
      headers: { 'if-match': '"1"' },
    });
    expect(put.status).toBe(200);
    // PUT resets omitted optional fields but keeps the account
    expect(put.body).toMatchObject({
      amount: '11.00',
      description: 'Replaced',
      payee: null,
      tags: [],
      category_id: null,
      account_id: aliceAccount.id,
      version: 2,
    });
    expect(put.headers.get('etag')).toBe('"2"');

    const patch = await h.call('PATCH', `/transactions/${t.id}`, alice, {
      body: { notes: 'note', category_id: groceries.id },
      headers: { 'if-match': 'W/"2"' },
    });
    expect(patch.status).toBe(200);
    expect(patch.body).toMatchObject({
      amount: '11.00',
      description: 'Replaced',
      notes: 'note',
      category_id: groceries.id,
      version: 3,
    });
    const cleared = await h.call('PATCH', `/transactions/${t.id}`, alice, { body: { notes: null } });
    expect(cleared.body).toMatchObject({ notes: null, version: 4 });

    const stale = await h.call('PATCH', `/transactions/${t.id}`, alice, {
      body: { amount: '1' },
      headers: { 'if-match': '"3"' },
    });
    expect(stale.status).toBe(412);
    expect(stale.headers.get('content-type')).toContain('application/problem+json');
    const staleDelete = await h.call('DELETE', `/transactions/${t.id}`, alice, {
      headers: { 'if-match': '"1"' },
    });
    expect(staleDelete.status).toBe(412);
    const got = await h.call('GET', `/transactions/${t.id}`, alice);
    expect(got.headers.get('etag')).toBe('"4"');
    expect(got.body.amount).toBe('11.00');

    expect(
      (await h.call('DELETE', `/transactions/${t.id}`, alice, { headers: { 'if-match': '"4"' } })).status,
    ).toBe(204);
    expect((await h.call('GET', `/transactions/${t.id}`, alice)).status).toBe(404);
    const events = await h.outbox({ aggregateId: t.id });
    expect(events.map((e) => [e.type, e.aggregateVersion])).toEqual([
      ['ledger.transaction.created', 1],
      ['ledger.transaction.updated', 2],
      ['ledger.transaction.updated', 3],
      ['ledger.transaction.updated', 4],
      ['ledger.transaction.deleted', 5],
    ]);
    expect(events[4].payload).toMatchObject({ amount: '11.00', notes: null, categoryId: groceries.id });
  });

  it('records transfers between accounts, and PATCH turns one back into an expense', async () => {
    const tr = await post(alice, {
      account_id: aliceAccount.id,
      to_account_id: aliceSavings.id,
      amount: '50',
      transaction_type: 'transfer',
    });
    expect(tr.status).toBe(201);
    expect(tr.body).toMatchObject({ to_account_id: aliceSavings.id, category_id: null });
    const back = await h.call('PATCH', `/transactions/${tr.body.id}`, alice, {
      body: { transaction_type: 'expense' },
    });
    expect(back.status).toBe(200);
    expect(back.body).toMatchObject({ transaction_type: 'expense', to_account_id: null });
  });

  it('is exact with money: JPY takes no decimals, BHD takes three, USD two', async () => {
    const user = await h.user({ baseCurrency: 'JPY' });
    const jpy = await post(user, { amount: '1.5', transaction_type: 'expense' });
    expect(jpy.status).toBe(400);
    expect(fieldsOf(jpy.body)).toEqual(['body.amount']);
    const yen = await post(user, { amount: 1500, transaction_type: 'expense' });
    expect(yen.status).toBe(201);
    expect(yen.body).toMatchObject({ amount: '1500', currency: 'JPY', base_amount: '1500' });

    const bh = await h.user({ baseCurrency: 'BHD' });
    const bhd = await post(bh, { amount: '1.005', transaction_type: 'income' });
    expect(bhd.status).toBe(201);
    expect(bhd.body.amount).toBe('1.005');
    expect((await post(bh, { amount: '1.0005', transaction_type: 'income' })).status).toBe(400);

    const usd = await post(alice, { amount: '1.001', transaction_type: 'expense' });
    expect(usd.status).toBe(400);
    expect(fieldsOf(usd.body)).toEqual(['body.amount']);
    const float = await post(alice, { amount: 0.1, transaction_type: 'expense' });
    expect(float.body.amount).toBe('0.10');
  });

  it('refuses amounts in another currency than the base when no rate is stored (422 naming the pair and date), never converting at 1', async () => {
    const eurAccount = (
      await h.call('POST', '/accounts', alice, { body: { name: 'Euro', type: 'checking', currency: 'EUR' } })
    ).body;
    const res = await post(alice, { account_id: eurAccount.id, amount: '5', transaction_type: 'expense' });
    expect(res.status).toBe(422);
    expect(res.body.detail).toMatch(/no EUR→USD rate on or before \d{4}-\d\d-\d\d/);
    const mismatch = await post(alice, {
      account_id: aliceAccount.id,
      currency: 'EUR',
      amount: '5',
      transaction_type: 'expense',
    });
    expect(mismatch.status).toBe(422);
    expect(fieldsOf(mismatch.body)).toEqual(['body.currency']);
  });

  it('after a base-currency change without rates, says why an old-currency account takes no new money and what to do, and never relabels a base amount', async () => {
    const user = await h.user({ baseCurrency: 'USD' });
    const dollars = (await h.call('POST', '/accounts', user, { body: { name: 'Dollars', type: 'checking' } }))
      .body;
    const old = (
      await post(user, {
        account_id: dollars.id,
        amount: '10',
        transaction_type: 'expense',
        date: '2024-01-05',
      })
    ).body;
    const seedV1 = (await post(user, { amount: '3', transaction_type: 'expense', date: '2024-01-06' })).body;
    expect(old).toMatchObject({ base_amount: '10.00', base_currency: 'USD' });
    expect(await h.apply(userEvent('auth.user.updated', user.id, 2, { baseCurrency: 'EUR' }))).toBe(true);
    const before = await h.outboxCount(user.id);
    // New money in the old currency, to a named account or (seed-V1) the default one, and a new amount on an old row.
    for (const [res, accountName] of [
      [await post(user, { account_id: dollars.id, amount: '5', transaction_type: 'expense' }), 'Dollars'],
      [await post(user, { amount: '5', transaction_type: 'expense' }), 'Main account'],
      [await h.call('PATCH', `/transactions/${old.id}`, user, { body: { amount: '12' } }), 'Dollars'],
    ] as const) {
      expect(res.status).toBe(422);
      expect(res.body.detail).toContain(`"${accountName}" is in USD`);
      expect(res.body.detail).toContain('your base currency is EUR');
      expect(res.body.detail).toMatch(/no USD→EUR rate on or before \d{4}-\d\d-\d\d/);
      expect(res.body.detail).toMatch(/PUT \/exchange-rates/); // what can be done
      expect(fieldsOf(res.body)).toEqual(['body.currency']);
    }
    expect(await h.outboxCount(user.id)).toBe(before);

    // Edits that leave the money alone keep the base amount as it was recorded, in USD.
    const noted = await h.call('PATCH', `/transactions/${old.id}`, user, { body: { notes: 'receipt lost' } });
    expect(noted.status).toBe(200);
    expect(noted.body).toMatchObject({
      amount: '10.00',
      base_amount: '10.00',
      base_currency: 'USD',
      version: 2,
    });
    const replaced = await h.call('PUT', `/transactions/${seedV1.id}`, user, {
      body: { amount: '3.00', transaction_type: 'expense', description: 'Bus' },
    });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({ base_amount: '3.00', base_currency: 'USD', date: '2024-01-06' });
    const [, event] = await h.outbox({ aggregateId: old.id });
    expect(event.payload).toMatchObject({ baseAmount: '10.00', baseCurrency: 'USD' });

    // An account in the new base currency takes new money as before.
    const euros = (
      await h.call('POST', '/accounts', user, { body: { name: 'Euros', type: 'checking', currency: 'EUR' } })
    ).body;
    const fresh = await post(user, { account_id: euros.id, amount: '5', transaction_type: 'expense' });
    expect(fresh.status).toBe(201);
    expect(fresh.body).toMatchObject({ base_amount: '5.00', base_currency: 'EUR' });
  });

  it('enforces category kinds, transfer rules and archived accounts', async () => {
    const wrongKind = await post(alice, { amount: '5', transaction_type: 'expense', category_id: salary.id });
    expect(wrongKind.status).toBe(422);
    expect(fieldsOf(wrongKind.body)).toEqual(['body.category_id']);
    const noTarget = await post(alice, { amount: '5', transaction_type: 'transfer' });
    expect(noTarget.status).toBe(400);
    expect(fieldsOf(noTarget.body)).toEqual(['body.to_account_id']);
    const self = await post(alice, {
      account_id: aliceAccount.id,
      to_account_id: aliceAccount.id,
      amount: '5',
      transaction_type: 'transfer',
    });
    expect(fieldsOf(self.body)).toEqual(['body.to_account_id']);
    const notTransfer = await post(alice, {
      to_account_id: aliceSavings.id,
      amount: '5',
      transaction_type: 'income',
    });
    expect(notTransfer.status).toBe(400);
    const categorisedTransfer = await post(alice, {
      account_id: aliceAccount.id,
      to_account_id: aliceSavings.id,
      amount: '5',
      transaction_type: 'transfer',
      category_id: groceries.id,
    });
    expect(fieldsOf(categorisedTransfer.body)).toEqual(['body.category_id']);

    const old = (
      await h.call('POST', '/accounts', alice, { body: { name: 'Old', type: 'cash', archived: true } })
    ).body;
    const archived = await post(alice, { account_id: old.id, amount: '5', transaction_type: 'expense' });
    expect(archived.status).toBe(409);
    expect(archived.body.detail).toMatch(/archived/);
  });

  it('rejects bad input with 400 problems naming the field, and writes no event', async () => {
    const before = await h.outboxCount(alice.id);
    const cases: Array<[object, string]> = [
      [{ transaction_type: 'expense' }, 'body.amount'],
      [{ amount: '-5', transaction_type: 'expense' }, 'body.amount'],
      [{ amount: 0, transaction_type: 'expense' }, 'body.amount'],
      [{ amount: 'abc', transaction_type: 'expense' }, 'body.amount'],
      [{ amount: '5', transaction_type: 'gift' }, 'body.transaction_type'],
      [{ amount: '5', transaction_type: 'expense', date: '2024-02-30' }, 'body.date'],
      [{ amount: '5', transaction_type: 'expense', date: 'yesterday' }, 'body.date'],
      [{ amount: '5', transaction_type: 'expense', account_id: 'x' }, 'body.account_id'],
      [{ amount: '5', transaction_type: 'expense', tags: ['x'.repeat(41)] }, 'body.tags[0]'],
      [{ amount: '5', transaction_type: 'expense', currency: 'ABC' }, 'body.currency'],
      [{ amount: '5', transaction_type: 'expense', user_id: bob.id }, 'body.user_id'],
    ];
    for (const [body, field] of cases) {
      const res = await post(alice, body);
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(fieldsOf(res.body)).toContain(field);
    }
    const bad = await h.call('PATCH', `/transactions/${aliceAccount.id}`, alice, { body: { amount: 'x' } });
    expect(bad.status).toBe(400);
    expect(await h.outboxCount(alice.id)).toBe(before);
  });

  it('writes nothing, not even an event, when a request fails after checks began', async () => {
    // No account yet for this user: the default account would be created, then the category check fails.
    const fresh = await h.user();
    const before = await h.outboxCount(fresh.id);
    const [{ n: rowsBefore }] = await h.dataSource.query(`SELECT count(*)::int AS n FROM transactions`);
    const res = await post(fresh, { amount: '5', transaction_type: 'expense', category_id: salary.id });
    expect(res.status).toBe(404);
    expect(await h.outboxCount(fresh.id)).toBe(before);
    const [{ n: rowsAfter }] = await h.dataSource.query(`SELECT count(*)::int AS n FROM transactions`);
    expect(rowsAfter).toBe(rowsBefore);
    expect((await h.call('GET', '/accounts', fresh)).body.data).toEqual([]);
  });

  describe('Idempotency-Key', () => {
    it('answers the same once for the same body, 422 for another body', async () => {
      const key = `key-${Math.random()}`;
      const body = { amount: '7.25', transaction_type: 'expense', description: 'Taxi', date: '2024-02-02' };
      const first = await post(alice, body, { 'Idempotency-Key': key });
      expect(first.status).toBe(201);
      const again = await post(
        alice,
        { date: '2024-02-02', description: 'Taxi', transaction_type: 'expense', amount: '7.25' },
        { 'Idempotency-Key': key },
      );
      expect(again.status).toBe(201);
      expect(again.body).toEqual(first.body);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      const other = await post(alice, { ...body, amount: '8' }, { 'Idempotency-Key': key });
      expect(other.status).toBe(422);
      expect(fieldsOf(other.body)).toEqual(['header.Idempotency-Key']);
      expect(await h.outbox({ type: 'ledger.transaction.created', aggregateId: first.body.id })).toHaveLength(
        1,
      );
      const [{ n }] = await h.dataSource.query(
        `SELECT count(*)::int AS n FROM transactions WHERE description = 'Taxi' AND user_id = $1`,
        [alice.id],
      );
      expect(n).toBe(1);
      // Keys are per user: Bob's same key is a new transaction.
      const bobs = await post(bob, body, { 'Idempotency-Key': key });
      expect(bobs.status).toBe(201);
      expect(bobs.body.id).not.toBe(first.body.id);
    });

    it('creates once under concurrent retries', async () => {
      const key = `race-${Math.random()}`;
      const body = { amount: '3', transaction_type: 'expense', description: 'Race' };
      const answers = await Promise.all(
        Array.from({ length: 8 }, () => post(alice, body, { 'Idempotency-Key': key })),
      );
      expect(answers.map((a) => a.status)).toEqual(Array(8).fill(201));
      expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
      const [{ n }] = await h.dataSource.query(
        `SELECT count(*)::int AS n FROM transactions WHERE description = 'Race'`,
      );
      expect(n).toBe(1);
    });

    it('rejects an over-long key and does not store failed answers', async () => {
      const long = await post(
        alice,
        { amount: '1', transaction_type: 'expense' },
        { 'Idempotency-Key': 'k'.repeat(256) },
      );
      expect(long.status).toBe(400);
      expect(fieldsOf(long.body)).toEqual(['header.Idempotency-Key']);
      const key = `fail-${Math.random()}`;
      const failed = await post(
        alice,
        { amount: '1', transaction_type: 'expense', category_id: salary.id },
        { 'Idempotency-Key': key },
      );
      expect(failed.status).toBe(422);
      const fixed = await post(
        alice,
        { amount: '1', transaction_type: 'expense', category_id: salary.id },
        { 'Idempotency-Key': key },
      );
      expect(fixed.status).toBe(422); // re-evaluated, not replayed from storage
      const [{ n }] = await h.dataSource.query(
        `SELECT count(*)::int AS n FROM idempotency_keys WHERE key = $1`,
        [key],
      );
      expect(n).toBe(0);
    });
  });

  it("answers 404 for another user's ids in the path and in every foreign key", async () => {
    const mine = (
      await post(alice, { account_id: aliceAccount.id, amount: '1', transaction_type: 'expense' })
    ).body;
    const bobAccount = (await h.call('POST', '/accounts', bob, { body: { name: 'B', type: 'cash' } })).body;
    const before = await h.outboxCount(alice.id, bob.id);
    expect((await h.call('GET', `/transactions/${mine.id}`, bob)).status).toBe(404);
    expect(
      (
        await h.call('PUT', `/transactions/${mine.id}`, bob, {
          body: { amount: '1', transaction_type: 'expense' },
        })
      ).status,
    ).toBe(404);
    expect((await h.call('PATCH', `/transactions/${mine.id}`, bob, { body: { amount: '2' } })).status).toBe(
      404,
    );
    expect((await h.call('DELETE', `/transactions/${mine.id}`, bob)).status).toBe(404);
    const foreign: Array<[object, string]> = [
      [{ account_id: aliceAccount.id, amount: '1', transaction_type: 'expense' }, 'body.account_id'],
      [
        {
          account_id: bobAccount.id,
          to_account_id: aliceAccount.id,
          amount: '1',
          transaction_type: 'transfer',
        },
        'body.to_account_id',
      ],
      [
        { account_id: bobAccount.id, amount: '1', transaction_type: 'expense', category_id: groceries.id },
        'body.category_id',
      ],
    ];
    for (const [body, field] of foreign) {
      const res = await post(bob, body);
      expect(res.status).toBe(404);
      expect(fieldsOf(res.body)).toEqual([field]);
    }
    // Nor can Bob move his own transaction onto Alice's things.
    const bobs = (await post(bob, { account_id: bobAccount.id, amount: '1', transaction_type: 'expense' }))
      .body;
    const afterBobs = await h.outboxCount(alice.id, bob.id);
    for (const body of [{ account_id: aliceAccount.id }, { category_id: groceries.id }]) {
      expect((await h.call('PATCH', `/transactions/${bobs.id}`, bob, { body })).status).toBe(404);
    }
    expect((await h.call('GET', `/transactions?account_id=${aliceAccount.id}`, bob)).status).toBe(404);
    expect((await h.call('GET', `/transactions?category_id=${groceries.id}`, bob)).status).toBe(404);
    expect(
      (await h.call('GET', '/transactions?limit=200', bob)).body.data.map((t: { id: string }) => t.id),
    ).not.toContain(mine.id);
    expect(await h.outboxCount(alice.id, bob.id)).toBe(afterBobs);
    expect(afterBobs).toBe(before + 1); // only Bob's own transaction
  });

  it('serves a seed-V1 client unchanged: no account_id, create/list/get/update/delete with pagination', async () => {
    // Auth has told the ledger nothing of this user (and it is no new one): the shared fallback, USD/UTC.
    const v1 = await h.user({ registered: false });
    const ids: string[] = [];
    for (let i = 1; i <= 5; i++) {
      const res = await post(v1, {
        amount: `${i}.00`,
        description: `Item ${i}`,
        transaction_type: i % 2 ? 'expense' : 'income',
        date: `2024-01-0${i}`,
      });
      expect(res.status).toBe(201);
      expect(res.body.currency).toBe('USD');
      ids.push(res.body.id);
    }
    const accounts = (await h.call('GET', '/accounts', v1)).body.data;
    expect(accounts).toHaveLength(1);
    expect(accounts[0]).toMatchObject({
      name: 'Main account',
      type: 'checking',
      currency: 'USD',
      balance: '-3.00',
    });
    expect(await h.outbox({ type: 'ledger.account.created', userId: v1.id })).toHaveLength(1);

    const page1 = await h.call('GET', '/transactions?limit=2', v1);
    expect(page1.body.data.map((t: { description: string }) => t.description)).toEqual(['Item 5', 'Item 4']);
    const page2 = await h.call('GET', `/transactions?limit=2&cursor=${page1.body.next_cursor}`, v1);
    expect(page2.body.data.map((t: { description: string }) => t.description)).toEqual(['Item 3', 'Item 2']);
    const page3 = await h.call('GET', `/transactions?limit=2&cursor=${page2.body.next_cursor}`, v1);
    expect(page3.body.data.map((t: { description: string }) => t.description)).toEqual(['Item 1']);
    expect(page3.body.next_cursor).toBeNull();

    const got = await h.call('GET', `/transactions/${ids[0]}`, v1);
    expect(got.body).toMatchObject({
      amount: '1.00',
      description: 'Item 1',
      transaction_type: 'expense',
      date: '2024-01-01',
    });
    const upd = await h.call('PUT', `/transactions/${ids[0]}`, v1, {
      body: {
        amount: 99.99,
        description: 'Item 1 fixed',
        transaction_type: 'expense',
        date: '2024-01-01T10:30:00',
      },
    });
    expect(upd.status).toBe(200);
    expect(upd.body).toMatchObject({
      amount: '99.99',
      description: 'Item 1 fixed',
      date: '2024-01-01',
      version: 2,
    });
    expect((await h.call('DELETE', `/transactions/${ids[0]}`, v1)).status).toBe(204);
    expect((await h.call('GET', '/transactions', v1)).body.data).toHaveLength(4);
  });

  it("defaults the date to today in the user's timezone, by the service's clock, which also stamps the rows", async () => {
    const kiritimati = await h.user({ timezone: 'Pacific/Kiritimati' }); // UTC+14: often already tomorrow
    const utc = await h.user();
    pinnedNow = new Date('2026-03-09T23:30:00.000Z'); // 13:30 on the 10th in Kiritimati
    try {
      const late = await post(kiritimati, { amount: '1', transaction_type: 'expense' });
      expect(late.status).toBe(201);
      expect(late.body).toMatchObject({
        date: '2026-03-10',
        created_at: '2026-03-09T23:30:00.000Z',
        updated_at: '2026-03-09T23:30:00.000Z',
      });
      expect((await post(utc, { amount: '1', transaction_type: 'expense' })).body.date).toBe('2026-03-09');
      const [account] = (await h.call('GET', '/accounts', kiritimati)).body.data; // the default account
      expect(account.created_at).toBe('2026-03-09T23:30:00.000Z');
      const category = await h.call('POST', '/categories', utc, {
        body: { name: 'Clocked', color: '#000000' },
      });
      expect(category.body.created_at).toBe('2026-03-09T23:30:00.000Z');
      pinnedNow = new Date('2026-03-10T08:00:00.000Z');
      const edited = await h.call('PATCH', `/transactions/${late.body.id}`, kiritimati, {
        body: { notes: 'n' },
      });
      expect(edited.body).toMatchObject({
        created_at: '2026-03-09T23:30:00.000Z',
        updated_at: '2026-03-10T08:00:00.000Z',
      });
    } finally {
      pinnedNow = undefined;
    }
  });

  describe("the write path's one statement (draftReferences)", () => {
    /** Whether another connection is kept from the lock an archive, a delete or a user's deletion takes. */
    const lockedElsewhere = async (table: string, column: string, id: string) => {
      const runner = h.dataSource.createQueryRunner();
      await runner.startTransaction();
      try {
        await runner.query(`SELECT 1 FROM ${table} WHERE ${column} = $1 FOR UPDATE NOWAIT`, [id]);
        return false;
      } catch (error) {
        return /could not obtain lock/.test(String(error));
      } finally {
        await runner.rollbackTransaction();
        await runner.release();
      }
    };

    it("reads the user, the write's account, target account and category in one statement, share-locked and scoped to the user", async () => {
      expect(
        await h.apply(
          userEvent('auth.user.updated', bob.id, 2, { baseCurrency: 'EUR', timezone: 'Europe/Paris' }),
        ),
      ).toBe(true);
      await h.dataSource.transaction(async (manager) => {
        const statements = jest.spyOn(manager, 'query');
        const mine = await draftReferences(manager, alice.id, {
          accountIds: [aliceAccount.id, aliceSavings.id],
          categoryId: groceries.id,
        });
        expect(statements).toHaveBeenCalledTimes(1);
        statements.mockRestore();
        expect([...mine.accounts.keys()].sort()).toEqual([aliceAccount.id, aliceSavings.id].sort());
        expect(mine.accounts.get(aliceAccount.id)).toMatchObject({
          name: 'Checking',
          currency: 'USD',
          archived: false,
        });
        expect(mine.category).toMatchObject({ id: groceries.id, name: 'Groceries', kind: 'expense' });
        expect(mine.user).toEqual({ baseCurrency: 'USD', timezone: 'UTC', known: true });
        expect(await lockedElsewhere('user_directory', 'user_id', alice.id)).toBe(true);
        expect(await lockedElsewhere('accounts', 'id', aliceSavings.id)).toBe(true);
        expect(await lockedElsewhere('categories', 'id', groceries.id)).toBe(true);
        // Someone else's ids are simply not there (the caller answers 404), and nothing of theirs is locked.
        const foreign = await draftReferences(manager, bob.id, {
          accountIds: [aliceAccount.id],
          categoryId: groceries.id,
        });
        expect(foreign.user).toEqual({ baseCurrency: 'EUR', timezone: 'Europe/Paris', known: true });
        expect(foreign.accounts.size).toBe(0);
        expect(foreign.category).toBeUndefined();
      });
      expect(await lockedElsewhere('accounts', 'id', aliceSavings.id)).toBe(false);
      expect(await lockedElsewhere('user_directory', 'user_id', alice.id)).toBe(false);
    });

    it('gives a user auth has told nothing about the shared defaults and a row to lock', async () => {
      const stranger = randomUUID();
      await h.dataSource.transaction(async (manager) => {
        const references = await draftReferences(manager, stranger, { accountIds: [], categoryId: null });
        expect(references.user).toEqual({ baseCurrency: 'USD', timezone: 'UTC', known: false });
      });
      const [row] = await h.dataSource.query(
        `SELECT base_currency, deleted_at FROM user_directory WHERE user_id = $1`,
        [stranger],
      );
      expect(row).toEqual({ base_currency: null, deleted_at: null });
    });

    it('answers 401 for a deleted or deactivated user, as lockUserForWrite does', async () => {
      const deleted = await h.user();
      const deactivated = await h.user();
      expect(await h.apply(authEvent('auth.user.deleted', deleted.id, 2, {}))).toBe(true);
      expect(await h.apply(userEvent('auth.user.updated', deactivated.id, 2, { isActive: false }))).toBe(
        true,
      );
      for (const userId of [deleted.id, deactivated.id]) {
        const refused = await h.dataSource
          .transaction((manager) => draftReferences(manager, userId, { accountIds: [], categoryId: null }))
          .then(
            () => undefined,
            (error: unknown) => error,
          );
        expect(refused).toBeInstanceOf(HttpProblem);
        expect((refused as HttpProblem).status).toBe(401);
      }
    });
  });
});
