import { LedgerHarness, type TestUser } from './support';

describe('POST /transactions/bulk', () => {
  let h: LedgerHarness;
  let alice: TestUser;
  let bob: TestUser;
  let account: { id: string };
  let archived: { id: string };
  let groceries: { id: string };
  let salary: { id: string };
  let household: { id: string };
  let bobsTransaction: { id: string };

  beforeAll(async () => {
    h = await LedgerHarness.start('transaction_bulk');
    alice = await h.user();
    bob = await h.user();
    account = (await h.call('POST', '/accounts', alice, { body: { name: 'Checking', type: 'checking' } }))
      .body;
    archived = (await h.call('POST', '/accounts', alice, { body: { name: 'Old', type: 'cash' } })).body;
    expect(
      (await h.call('PATCH', `/accounts/${archived.id}`, alice, { body: { archived: true } })).status,
    ).toBe(200);
    const categories = (await h.call('GET', '/categories?limit=200', alice)).body.data;
    groceries = categories.find((c: { name: string }) => c.name === 'Groceries');
    salary = categories.find((c: { name: string }) => c.name === 'Salary');
    household = (
      await h.call('POST', '/categories', alice, {
        body: { name: 'Household', color: '#112233', kind: 'expense' },
      })
    ).body;
    const bobsAccount = (await h.call('POST', '/accounts', bob, { body: { name: 'Bob', type: 'cash' } }))
      .body;
    bobsTransaction = (
      await h.call('POST', '/transactions', bob, {
        body: {
          account_id: bobsAccount.id,
          amount: '5',
          transaction_type: 'expense',
          description: 'Bob secret',
        },
      })
    ).body;
  });
  afterAll(() => h?.stop());

  const bulk = (
    user: TestUser,
    body: unknown,
    options: { query?: string; headers?: Record<string, string> } = {},
  ) => h.call('POST', `/transactions/bulk${options.query ?? ''}`, user, { body, headers: options.headers });

  const expense = (description: string, extra: Record<string, unknown> = {}) => ({
    account_id: account.id,
    amount: '10.00',
    transaction_type: 'expense',
    description,
    date: '2026-03-01',
    category_id: groceries.id,
    ...extra,
  });

  async function create(description: string): Promise<{ id: string; version: number }> {
    const res = await h.call('POST', '/transactions', alice, { body: expense(description) });
    expect(res.status).toBe(201);
    return res.body;
  }

  /** Everything of Alice's a batch could change: her rows and her events. */
  async function aliceState() {
    const list = await h.call('GET', '/transactions?limit=200', alice);
    return {
      rows: await h.rowsOf(alice.id),
      events: await h.outboxCount(alice.id),
      transactions: list.body.data,
    };
  }

  it('applies a mixed batch in one request, answering 207 with each operation as its single route would', async () => {
    const patched = await create('to patch');
    const deleted = await create('to delete');
    const stale = await create('stale');
    const eventsBefore = await h.outboxCount(alice.id);

    const res = await bulk(alice, {
      operations: [
        { op: 'create', body: expense('made in bulk') },
        {
          op: 'patch',
          id: patched.id,
          if_match: `"${patched.version}"`,
          body: { category_id: household.id },
        },
        { op: 'delete', id: deleted.id },
        // An expense in an income category: the 422 of POST /transactions, naming the field.
        { op: 'create', body: expense('wrong kind', { category_id: salary.id }) },
        { op: 'patch', id: bobsTransaction.id, body: { description: 'mine now' } },
        { op: 'patch', id: stale.id, if_match: '"7"', body: { description: 'too late' } },
        { op: 'create', body: expense('archived', { account_id: archived.id }) },
        // More decimals than USD has: a rule of the draft, a 400 naming the field.
        { op: 'patch', id: patched.id, body: { amount: '1.001' } },
      ],
    });
    expect(res.status).toBe(207);
    expect(res.body).toMatchObject({ atomic: false, succeeded: 3, failed: 5 });
    const results = res.body.results;
    expect(results.map((r: { status: number }) => r.status)).toEqual([
      201, 200, 204, 422, 404, 412, 409, 400,
    ]);
    expect(results.map((r: { index: number }) => r.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(results[0].body).toMatchObject({ description: 'made in bulk', amount: '10.00', version: 1 });
    expect(results[0].id).toBe(results[0].body.id);
    expect(results[1].body).toMatchObject({ id: patched.id, category_id: household.id, version: 2 });
    expect(results[2]).toEqual({ index: 2, op: 'delete', id: deleted.id, status: 204 });
    expect(results[3].problem).toMatchObject({ status: 422 });
    expect(results[3].problem.errors).toEqual([
      { field: 'body.operations[3].body.category_id', message: expect.any(String) },
    ]);
    expect(results[4]).toMatchObject({ id: null, problem: { status: 404, detail: 'Transaction not found' } });
    expect(JSON.stringify(results[4])).not.toContain('Bob secret');
    expect(results[5].problem.errors).toEqual([
      { field: 'body.operations[5].if_match', message: expect.any(String) },
    ]);
    expect(results[7].problem.errors.map((e: { field: string }) => e.field)).toEqual([
      'body.operations[7].body.amount',
    ]);

    // What the answer says is what is stored.
    expect((await h.call('GET', `/transactions/${results[0].id}`, alice)).status).toBe(200);
    expect((await h.call('GET', `/transactions/${patched.id}`, alice)).body).toMatchObject({
      category_id: household.id,
      amount: '10.00',
      version: 2,
    });
    expect((await h.call('GET', `/transactions/${deleted.id}`, alice)).status).toBe(404);
    expect((await h.call('GET', `/transactions/${stale.id}`, alice)).body.description).toBe('stale');
    const bobs = await h.call('GET', `/transactions/${bobsTransaction.id}`, bob);
    expect(bobs.body).toMatchObject({ description: 'Bob secret', version: 1 });

    // One event per changed transaction, through the outbox; none for a failed operation.
    expect(await h.outboxCount(alice.id)).toBe(eventsBefore + 3);
    expect((await h.outbox({ aggregateId: results[0].id })).map((e) => e.type)).toEqual([
      'ledger.transaction.created',
    ]);
    expect((await h.outbox({ aggregateId: patched.id })).map((e) => [e.type, e.aggregateVersion])).toEqual([
      ['ledger.transaction.created', 1],
      ['ledger.transaction.updated', 2],
    ]);
    expect((await h.outbox({ aggregateId: deleted.id })).map((e) => e.type)).toEqual([
      'ledger.transaction.created',
      'ledger.transaction.deleted',
    ]);
  });

  it('atomic: one failing operation and nothing changes; the answer is its status, listing every result', async () => {
    const first = await create('atomic one');
    const before = await aliceState();

    const res = await bulk(
      alice,
      {
        operations: [
          { op: 'patch', id: first.id, body: { description: 'changed' } },
          { op: 'create', body: expense('atomic new') },
          { op: 'patch', id: bobsTransaction.id, body: { description: 'mine now' } },
          { op: 'create', body: expense('bad kind', { category_id: salary.id }) },
        ],
      },
      { query: '?atomic=true' },
    );
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ status: 404, atomic: true, succeeded: 0, failed: 2 });
    expect(res.body.detail).toMatch(/nothing was changed/);
    expect(res.body.errors).toEqual([
      { field: 'body.operations[3].body.category_id', message: expect.any(String) },
    ]);
    expect(res.body.results.map((r: { status: number }) => r.status)).toEqual([424, 424, 404, 422]);
    expect(
      res.body.results.every((r: { id: string | null; body?: unknown }) => r.id === null && !r.body),
    ).toBe(true);
    expect(await aliceState()).toEqual(before);
  });

  it('atomic: all succeed → 200 with every result', async () => {
    const one = await create('atomic ok');
    const res = await bulk(
      alice,
      {
        operations: [
          { op: 'patch', id: one.id, if_match: '1', body: { notes: 'checked' } },
          { op: 'create', body: expense('atomic ok new') },
        ],
      },
      { query: '?atomic=true' },
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ atomic: true, succeeded: 2, failed: 0 });
    expect(res.body.results.map((r: { status: number }) => r.status)).toEqual([200, 201]);
  });

  it('applies the same id twice in order: the second If-Match names the first one’s version; after a delete, 404', async () => {
    const twice = await create('twice');
    const res = await bulk(alice, {
      operations: [
        { op: 'patch', id: twice.id, if_match: '"1"', body: { description: 'first' } },
        { op: 'patch', id: twice.id, if_match: '"2"', body: { payee: 'second' } },
        { op: 'patch', id: twice.id, if_match: '"2"', body: { notes: 'stale now' } },
        { op: 'delete', id: twice.id, if_match: '"3"' },
        { op: 'patch', id: twice.id, body: { description: 'gone' } },
      ],
    });
    expect(res.status).toBe(207);
    expect(res.body.results.map((r: { status: number }) => r.status)).toEqual([200, 200, 412, 204, 404]);
    expect(res.body.results[1].body).toMatchObject({ description: 'first', payee: 'second', version: 3 });
    expect((await h.outbox({ aggregateId: twice.id })).map((e) => e.aggregateVersion)).toEqual([1, 2, 3, 4]);
  });

  it('two batches naming the same rows in opposite orders both apply (rows are locked up front, in id order)', async () => {
    const [x, y] = [await create('x'), await create('y')];
    const batch = (ids: string[], notes: string) => ({
      operations: ids.map((id) => ({ op: 'patch', id, body: { notes } })),
    });
    const answers = await Promise.all(
      Array.from({ length: 6 }, (_, i) => bulk(alice, batch(i % 2 ? [x.id, y.id] : [y.id, x.id], `n${i}`))),
    );
    for (const res of answers) expect([res.status, res.body.succeeded]).toEqual([207, 2]);
    const versions = await Promise.all(
      [x, y].map(async (t) => (await h.call('GET', `/transactions/${t.id}`, alice)).body.version),
    );
    expect(versions).toEqual([7, 7]);
  });

  it('a failed create leaves nothing of itself behind, not even the default account it made', async () => {
    const newcomer = await h.user();
    const categories = (await h.call('GET', '/categories?limit=200', newcomer)).body.data;
    const income = categories.find((c: { name: string }) => c.name === 'Salary');
    const events = await h.outboxCount(newcomer.id);
    const res = await bulk(newcomer, {
      operations: [
        { op: 'create', body: { amount: '3', transaction_type: 'expense', category_id: income.id } },
      ],
    });
    expect(res.body.results[0].status).toBe(422);
    expect(await h.rowsOf(newcomer.id)).toMatchObject({ accounts: 0, transactions: 0 });
    expect(await h.outboxCount(newcomer.id)).toBe(events);
  });

  it('an empty patch changes nothing, as PATCH {} does', async () => {
    const same = await create('same');
    const res = await bulk(alice, { operations: [{ op: 'patch', id: same.id, body: {} }] });
    expect(res.body.results[0]).toMatchObject({ status: 200, body: { version: 1 } });
    expect(await h.outbox({ aggregateId: same.id })).toHaveLength(1);
  });

  it('replays an Idempotency-Key: the stored answer, nothing done twice; another request with the key → 422', async () => {
    const headers = { 'idempotency-key': `bulk-${Date.now()}` };
    const body = { operations: [{ op: 'create', body: expense('idempotent') }] };
    const first = await bulk(alice, body, { headers });
    expect(first.status).toBe(207);
    const before = await aliceState();
    const again = await bulk(alice, body, { headers });
    expect(again.status).toBe(207);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toEqual(first.body);
    expect(await aliceState()).toEqual(before);

    const other = await bulk(
      alice,
      { operations: [{ op: 'create', body: expense('another') }] },
      { headers },
    );
    expect(other.status).toBe(422);
    expect(other.body.errors[0].field).toBe('header.Idempotency-Key');
    // The mode is part of the request.
    const atomic = await bulk(alice, body, { headers, query: '?atomic=true' });
    expect(atomic.status).toBe(422);
    expect(await aliceState()).toEqual(before);
  });

  it('a failed atomic request stores no answer: the same key with a corrected body is evaluated afresh', async () => {
    const headers = { 'idempotency-key': `bulk-atomic-${Date.now()}` };
    const bad = await bulk(
      alice,
      { operations: [{ op: 'create', body: expense('bad', { category_id: salary.id }) }] },
      { headers, query: '?atomic=true' },
    );
    expect(bad.status).toBe(422);
    const good = await bulk(
      alice,
      { operations: [{ op: 'create', body: expense('good') }] },
      { headers, query: '?atomic=true' },
    );
    expect(good.status).toBe(200);
  });

  it('refuses a malformed batch whole, naming the operation’s field, and changes nothing', async () => {
    const before = await aliceState();
    const cases: Array<[unknown, string]> = [
      [{ operations: [] }, 'body.operations'],
      [
        {
          operations: [
            { op: 'create', body: expense('ok') },
            { op: 'create', body: expense('x', { amount: '-1' }) },
          ],
        },
        'body.operations[1].body.amount',
      ],
      [{ operations: [{ op: 'patch', id: 'not-a-uuid', body: {} }] }, 'body.operations[0].id'],
      [
        { operations: [{ op: 'create', body: { ...expense('x'), user_id: bob.id } }] },
        'body.operations[0].body.user_id',
      ],
      [{ operations: [{ op: 'delete', id: bobsTransaction.id, body: {} }] }, 'body.operations[0].body'],
      [{ operations: [{ op: 'upsert', id: bobsTransaction.id }] }, 'body.operations[0]'],
      [{ operations: ['x'] }, 'body.operations[0]'],
    ];
    for (const [body, field] of cases) {
      const res = await bulk(alice, body);
      expect(res.status).toBe(400);
      const fields = res.body.errors.map((e: { field: string }) => e.field);
      expect(
        fields.some((f: string) => f === field || f.startsWith(`${field}.`) || f.startsWith(`${field}[`)),
      ).toBe(true);
    }
    expect(await aliceState()).toEqual(before);
  });

  it(`answers 400 naming body.operations to more than 500 operations, and changes nothing`, async () => {
    const before = await aliceState();
    const operations = Array.from({ length: 501 }, () => ({ op: 'delete', id: bobsTransaction.id }));
    const res = await bulk(alice, { operations });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ field: 'body.operations', message: 'At most 500 operations' }]);
    expect(await aliceState()).toEqual(before);
  });

  it('takes 500 operations in one request', async () => {
    const operations = Array.from({ length: 500 }, (_, i) => ({
      op: 'create',
      body: { amount: '1', transaction_type: 'expense', description: `many ${i}` },
    }));
    const res = await bulk(bob, { operations });
    expect(res.status).toBe(207);
    expect(res.body).toMatchObject({ succeeded: 500, failed: 0 });
  });

  it('refuses a locked change of a reconciled transaction per operation unless that operation forces it (audited)', async () => {
    const user = await h.user();
    const own = (await h.call('POST', '/accounts', user, { body: { name: 'Bank', type: 'checking' } })).body;
    const created = await h.call('POST', '/transactions', user, {
      body: {
        account_id: own.id,
        amount: '40.00',
        transaction_type: 'expense',
        date: '2026-02-01',
        cleared: 'cleared',
      },
    });
    expect(created.status).toBe(201);
    const reconciled = await h.call('POST', `/accounts/${own.id}/reconcile`, user, {
      body: { statement_balance: '-40.00', statement_date: '2026-02-28' },
    });
    expect(reconciled.status).toBe(200);
    const id = created.body.id;
    const refused = await bulk(user, {
      operations: [
        { op: 'patch', id, body: { amount: '41.00' } },
        { op: 'patch', id, body: { description: 'still free' } },
        { op: 'delete', id },
      ],
    });
    expect(refused.status).toBe(207);
    expect(refused.body.results.map((r: { status: number }) => r.status)).toEqual([409, 200, 409]);
    const forced = await bulk(user, {
      operations: [{ op: 'patch', id, force: true, body: { amount: '41.00' } }],
    });
    expect(forced.body.results[0]).toMatchObject({
      status: 200,
      body: { amount: '41.00', cleared: 'reconciled' },
    });
    const audit = await h.call('GET', `/transactions/${id}/audit`, user);
    expect(audit.body.data).toHaveLength(1);
    expect(audit.body.data[0]).toMatchObject({ action: 'updated', changed: ['amount'] });
  });
});
