import { LedgerHarness, authEvent, fieldsOf, type TestUser } from './support';

/** The templates' HTTP surface: validation, ownership, ETags, previews, deactivation, approvals, skips and processing. */
describe('recurring templates over HTTP', () => {
  let h: LedgerHarness;
  let alice: TestUser;
  let bob: TestUser;
  let checking: { id: string };
  let savings: { id: string };
  let groceries: { id: string };
  let salary: { id: string };
  let now = new Date('2024-01-15T12:00:00Z');

  beforeAll(async () => {
    h = await LedgerHarness.start('recurring_http', {
      clock: () => now,
      env: { RECURRING_SCHEDULE: 'off' },
    });
    alice = await h.user();
    bob = await h.user();
    checking = (await h.call('POST', '/accounts', alice, { body: { name: 'Checking', type: 'checking' } }))
      .body;
    savings = (await h.call('POST', '/accounts', alice, { body: { name: 'Savings', type: 'savings' } })).body;
    const cats = (await h.call('GET', '/categories?limit=200', alice)).body.data;
    groceries = cats.find((c: { name: string }) => c.name === 'Groceries');
    salary = cats.find((c: { name: string }) => c.name === 'Salary');
  });
  afterAll(() => h?.stop());

  const create = (user: TestUser, body: object) => h.call('POST', '/recurring', user, { body });
  const rent = (extra: object = {}) => ({
    account_id: checking.id,
    amount: '1200.00',
    transaction_type: 'expense',
    description: 'Rent',
    frequency: 'monthly',
    start_date: '2024-01-31',
    ...extra,
  });

  it('creates a template with its next date, ETag and Location, and previews dates that keep the 31st', async () => {
    const res = await create(alice, rent({ payee: 'Landlord', tags: ['home'] }));
    expect(res.status).toBe(201);
    expect(res.headers.get('etag')).toBe('"1"');
    expect(res.headers.get('location')).toBe(`/recurring/${res.body.id}`);
    expect(res.body).toMatchObject({
      account_id: checking.id,
      amount: '1200.00',
      currency: 'USD',
      frequency: 'monthly',
      interval: 1,
      start_date: '2024-01-31',
      end_date: null,
      auto_create: true,
      remind_days_before: 0,
      is_active: true,
      next_occurrence_date: '2024-01-31',
      payee: 'Landlord',
      tags: ['home'],
      version: 1,
    });
    const preview = await h.call('GET', `/recurring/${res.body.id}/occurrences?count=4`, alice);
    expect(preview.status).toBe(200);
    expect(preview.body.data.map((o: { date: string }) => o.date)).toEqual([
      '2024-01-31',
      '2024-02-29',
      '2024-03-31',
      '2024-04-30',
    ]);
    expect((await h.call('GET', `/recurring/${res.body.id}/occurrences`, alice)).body.data).toHaveLength(12);
  });

  it('starts a past series at today without backfill, at its start with it', async () => {
    const late = await create(alice, rent({ start_date: '2023-10-31' }));
    expect(late.body.next_occurrence_date).toBe('2024-01-31');
    const backfilled = await create(alice, rent({ start_date: '2023-10-31', backfill: true }));
    expect(backfilled.body.next_occurrence_date).toBe('2023-10-31');
    const ended = await create(alice, rent({ start_date: '2023-10-31', end_date: '2023-12-31' }));
    expect(ended.status).toBe(201);
    expect(ended.body.next_occurrence_date).toBeNull();
  });

  it('refuses bad input naming the field, and changes nothing', async () => {
    const before = (await h.call('GET', '/recurring?limit=200', alice)).body.data.length;
    const cases: Array<[object, string, number]> = [
      [rent({ frequency: 'hourly' }), 'body.frequency', 400],
      [rent({ interval: 0 }), 'body.interval', 400],
      [rent({ remind_days_before: 31 }), 'body.remind_days_before', 400],
      [rent({ end_date: '2024-01-30' }), 'body.end_date', 400],
      [rent({ max_occurrences: 0 }), 'body.max_occurrences', 400],
      [rent({ amount: '1.001' }), 'body.amount', 400],
      [rent({ start_date: '2024-02-30' }), 'body.start_date', 400],
      [rent({ unknown: 1 }), 'body.unknown', 400],
      [rent({ category_id: salary.id }), 'body.category_id', 422],
      [rent({ transaction_type: 'transfer' }), 'body.to_account_id', 400],
      [rent({ currency: 'EUR' }), 'body.currency', 422],
    ];
    for (const [body, field, status] of cases) {
      const res = await create(alice, body);
      expect({ field, status: res.status }).toEqual({ field, status });
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(fieldsOf(res.body)).toContain(field);
    }
    expect((await h.call('GET', '/recurring?limit=200', alice)).body.data.length).toBe(before);
  });

  it('refuses bad paths and query strings naming them', async () => {
    const t = (await create(alice, rent())).body;
    const cases: Array<[string, string, string, number]> = [
      ['POST', `/recurring/${t.id}/occurrences/2024-02-30/skip`, 'params.date', 400],
      ['POST', `/recurring/${t.id}/occurrences/2024-02-28/skip`, 'params.date', 422],
      ['POST', `/recurring/not-a-uuid/process`, 'params.id', 400],
      ['GET', `/recurring/${t.id}/occurrences?count=0`, 'query.count', 400],
      ['GET', `/recurring/${t.id}/occurrences?count=101`, 'query.count', 400],
      ['DELETE', `/recurring/${t.id}?hard=maybe`, 'query.hard', 400],
      ['GET', `/recurring?is_active=yes`, 'query.is_active', 400],
      ['GET', `/recurring/due?cursor=x`, 'query.cursor', 400],
      ['GET', `/recurring?page=2`, 'query.page', 400],
    ];
    for (const [method, path, field, status] of cases) {
      const res = await h.call(method, path, alice, { body: method === 'POST' ? {} : undefined });
      expect({ path, status: res.status, fields: fieldsOf(res.body) }).toEqual({
        path,
        status,
        fields: [field],
      });
    }
    expect((await h.call('GET', `/recurring/${t.id}`, alice)).body).toMatchObject({
      is_active: true,
      version: 1,
    });
  });

  it("answers 404 for another user's template, account or category", async () => {
    const mine = (await create(alice, rent())).body;
    expect((await h.call('GET', `/recurring/${mine.id}`, bob)).status).toBe(404);
    expect((await h.call('PATCH', `/recurring/${mine.id}`, bob, { body: { amount: '1' } })).status).toBe(404);
    expect((await h.call('DELETE', `/recurring/${mine.id}`, bob)).status).toBe(404);
    expect((await h.call('POST', `/recurring/${mine.id}/process`, bob, { body: {} })).status).toBe(404);
    expect((await h.call('GET', `/recurring/${mine.id}/occurrences`, bob)).status).toBe(404);
    const foreignAccount = await create(bob, rent());
    expect(foreignAccount.status).toBe(404);
    expect(fieldsOf(foreignAccount.body)).toEqual(['body.account_id']);
    const foreignCategory = await create(bob, {
      ...rent(),
      account_id: undefined,
      category_id: groceries.id,
    });
    expect(foreignCategory.status).toBe(404);
    expect(fieldsOf(foreignCategory.body)).toEqual(['body.category_id']);
  });

  it('PUT and PATCH honour If-Match; PATCH moves the series to the new rule', async () => {
    const t = (await create(alice, rent())).body;
    const stale = await h.call('PATCH', `/recurring/${t.id}`, alice, {
      body: { interval: 2 },
      headers: { 'If-Match': '"7"' },
    });
    expect(stale.status).toBe(412);
    const patched = await h.call('PATCH', `/recurring/${t.id}`, alice, {
      body: { frequency: 'weekly', start_date: '2024-01-17' },
      headers: { 'If-Match': '"1"' },
    });
    expect(patched.status).toBe(200);
    expect(patched.headers.get('etag')).toBe('"2"');
    expect(patched.body).toMatchObject({
      frequency: 'weekly',
      next_occurrence_date: '2024-01-17',
      amount: '1200.00',
    });
    const replaced = await h.call('PUT', `/recurring/${t.id}`, alice, {
      body: { amount: '50', transaction_type: 'expense', frequency: 'yearly', start_date: '2024-02-29' },
    });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({
      account_id: checking.id,
      amount: '50.00',
      description: '',
      frequency: 'yearly',
      next_occurrence_date: '2024-02-29',
      version: 3,
    });
    const empty = await h.call('PATCH', `/recurring/${t.id}`, alice, { body: {} });
    expect(empty.body.version).toBe(3);
    // A PUT without start_date keeps the anchor (as a transaction keeps its date).
    const kept = await h.call('PUT', `/recurring/${t.id}`, alice, {
      body: { amount: '60', transaction_type: 'expense', frequency: 'yearly' },
    });
    expect(kept.body).toMatchObject({
      start_date: '2024-02-29',
      next_occurrence_date: '2024-02-29',
      amount: '60.00',
    });
  });

  it('DELETE deactivates (the series stops), ?hard=true removes the template but not what it booked', async () => {
    const t = (await create(alice, rent({ start_date: '2024-01-15' }))).body;
    const processed = await h.call('POST', `/recurring/${t.id}/process`, alice, { body: {} });
    expect(processed.status).toBe(201);
    expect(processed.headers.get('location')).toBe(`/transactions/${processed.body.id}`);
    expect(processed.body).toMatchObject({ date: '2024-01-15', amount: '1200.00', account_id: checking.id });

    expect((await h.call('DELETE', `/recurring/${t.id}`, alice)).status).toBe(204);
    const inactive = (await h.call('GET', `/recurring/${t.id}`, alice)).body;
    expect(inactive).toMatchObject({ is_active: false, next_occurrence_date: null });
    expect((await h.call('GET', `/recurring/${t.id}/occurrences`, alice)).body.data).toEqual([]);
    const refused = await h.call('POST', `/recurring/${t.id}/process`, alice, { body: {} });
    expect(refused.status).toBe(409);
    const listed = (await h.call('GET', '/recurring?is_active=false', alice)).body.data;
    expect(listed.map((x: { id: string }) => x.id)).toContain(t.id);
    const active = (await h.call('GET', '/recurring?is_active=true&limit=200', alice)).body.data;
    expect(active.map((x: { id: string }) => x.id)).not.toContain(t.id);

    expect((await h.call('DELETE', `/recurring/${t.id}?hard=true`, alice)).status).toBe(204);
    expect((await h.call('GET', `/recurring/${t.id}`, alice)).status).toBe(404);
    expect((await h.call('GET', `/transactions/${processed.body.id}`, alice)).status).toBe(200);
  });

  it('process books the next occurrence once; the same date again is a 409 naming the transaction', async () => {
    const t = (await create(alice, rent({ start_date: '2024-02-10' }))).body;
    const first = await h.call('POST', `/recurring/${t.id}/process`, alice, { body: {} });
    expect(first.status).toBe(201);
    expect(first.body.date).toBe('2024-02-10');
    expect((await h.call('GET', `/recurring/${t.id}`, alice)).body.next_occurrence_date).toBe('2024-03-10');
    const again = await h.call('POST', `/recurring/${t.id}/process`, alice, { body: { date: '2024-02-10' } });
    expect(again.status).toBe(409);
    expect(again.body.detail).toContain(first.body.id);
    const notInSeries = await h.call('POST', `/recurring/${t.id}/process`, alice, {
      body: { date: '2024-02-11' },
    });
    expect(notInSeries.status).toBe(422);
    expect(fieldsOf(notInSeries.body)).toEqual(['body.date']);
    const events = await h.outbox({ type: 'ledger.recurring.generated', aggregateId: t.id });
    expect(events.map((e) => e.payload)).toEqual([
      {
        recurringId: t.id,
        transactionId: first.body.id,
        date: '2024-02-10',
        amount: '1200.00',
        currency: 'USD',
      },
    ]);
    expect(await h.outbox({ type: 'ledger.transaction.created', aggregateId: first.body.id })).toHaveLength(
      1,
    );
  });

  it('a transfer template books transfers; deleting its category leaves templates uncategorised or reassigned', async () => {
    const transfer = await create(alice, {
      account_id: checking.id,
      to_account_id: savings.id,
      amount: '100',
      transaction_type: 'transfer',
      frequency: 'monthly',
      start_date: '2024-01-15',
    });
    expect(transfer.status).toBe(201);
    const booked = await h.call('POST', `/recurring/${transfer.body.id}/process`, alice, { body: {} });
    expect(booked.body).toMatchObject({ transaction_type: 'transfer', to_account_id: savings.id });

    const food = (
      await h.call('POST', '/categories', alice, {
        body: { name: 'Food', color: '#00ff00', kind: 'expense' },
      })
    ).body;
    const snacks = (
      await h.call('POST', '/categories', alice, {
        body: { name: 'Snacks', color: '#00ff00', kind: 'expense' },
      })
    ).body;
    const onFood = (await create(alice, rent({ category_id: food.id }))).body;
    const onSnacks = (await create(alice, rent({ category_id: snacks.id }))).body;
    expect((await h.call('DELETE', `/categories/${food.id}?reassign_to=${groceries.id}`, alice)).status).toBe(
      204,
    );
    expect((await h.call('DELETE', `/categories/${snacks.id}`, alice)).status).toBe(204);
    expect((await h.call('GET', `/recurring/${onFood.id}`, alice)).body.category_id).toBe(groceries.id);
    expect((await h.call('GET', `/recurring/${onSnacks.id}`, alice)).body.category_id).toBeNull();
  });

  it('pages the list with cursors', async () => {
    const carol = await h.user();
    const carolAccount = (await h.call('POST', '/accounts', carol, { body: { name: 'C', type: 'cash' } }))
      .body;
    for (let i = 0; i < 5; i++)
      await create(carol, rent({ account_id: carolAccount.id, description: `r${i}` }));
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { data: Array<{ description: string }>; next_cursor: string | null } } =
        await h.call('GET', `/recurring?limit=2${cursor ? `&cursor=${cursor}` : ''}`, carol);
      seen.push(...page.body.data.map((t) => t.description));
      cursor = page.body.next_cursor;
    } while (cursor);
    expect(seen).toEqual(['r0', 'r1', 'r2', 'r3', 'r4']);
    expect((await h.call('GET', '/recurring?cursor=nope', carol)).status).toBe(400);
  });

  it('auth.user.deleted removes templates and occurrence records', async () => {
    const dave = await h.user();
    const account = (await h.call('POST', '/accounts', dave, { body: { name: 'D', type: 'cash' } })).body;
    const t = (await create(dave, rent({ account_id: account.id, start_date: '2024-01-15' }))).body;
    expect((await h.call('POST', `/recurring/${t.id}/process`, dave, { body: {} })).status).toBe(201);
    expect(await h.apply(authEvent('auth.user.deleted', dave.id, 2, {}))).toBe(true);
    const [counts] = await h.dataSource.query(
      `SELECT (SELECT count(*)::int FROM recurring_templates WHERE user_id = $1) AS templates,
              (SELECT count(*)::int FROM recurring_occurrences WHERE user_id = $1) AS occurrences,
              (SELECT count(*)::int FROM transactions WHERE user_id = $1) AS transactions`,
      [dave.id],
    );
    expect(counts).toEqual({ templates: 0, occurrences: 0, transactions: 0 });
  });

  it('keeps "today" in the user\'s zone: a start_date left out is their today', async () => {
    const tokyo = await h.user({ timezone: 'Asia/Tokyo' });
    const account = (await h.call('POST', '/accounts', tokyo, { body: { name: 'T', type: 'cash' } })).body;
    now = new Date('2024-01-15T20:00:00Z'); // already the 16th in Tokyo
    const t = await create(tokyo, { ...rent({ account_id: account.id }), start_date: undefined });
    now = new Date('2024-01-15T12:00:00Z');
    expect(t.body).toMatchObject({ start_date: '2024-01-16', next_occurrence_date: '2024-01-16' });
  });
});
