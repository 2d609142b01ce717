import { LedgerHarness, fieldsOf, type TestUser } from './support';

describe('rules', () => {
  let h: LedgerHarness;
  let alice: TestUser;
  let bob: TestUser;
  let groceries: string;

  beforeAll(async () => {
    h = await LedgerHarness.start('rules');
    alice = await h.user();
    bob = await h.user();
    const categories = await h.call('GET', '/categories?limit=200', alice);
    const byName = (name: string) => categories.body.data.find((c: { name: string }) => c.name === name).id;
    groceries = byName('Groceries');
  });
  afterAll(() => h?.stop());

  const albertHeijn = () => ({
    name: 'Albert Heijn',
    conditions: [{ field: 'description', operator: 'starts_with', value: 'albert heijn' }],
    actions: [
      { type: 'set_description', description: 'Albert Heijn' },
      { type: 'set_category', category_id: groceries },
    ],
  });

  it('creates, reads, lists in order, moves, replaces, patches and deletes rules', async () => {
    const user = await h.user();
    const cats = await h.call('GET', '/categories?limit=200', user);
    const food = cats.body.data.find((c: { name: string }) => c.name === 'Groceries').id;
    const body = (name: string) => ({
      name,
      actions: [{ type: 'set_category', category_id: food }],
    });
    const a = await h.call('POST', '/rules', user, { body: body('a') });
    expect(a.status).toBe(201);
    expect(a.headers.get('etag')).toBe('"1"');
    expect(a.headers.get('location')).toBe(`/rules/${a.body.id}`);
    expect(a.body).toMatchObject({
      name: 'a',
      enabled: true,
      match: 'all',
      conditions: [],
      stop_processing: false,
      position: 0,
      version: 1,
    });
    const b = await h.call('POST', '/rules', user, { body: body('b') });
    const c = await h.call('POST', '/rules', user, { body: { ...body('c'), position: 0 } });
    expect(c.body.position).toBe(0);
    const names = async () =>
      (await h.call('GET', '/rules', user)).body.data.map((r: { name: string }) => r.name);
    expect(await names()).toEqual(['c', 'a', 'b']);

    const page = await h.call('GET', '/rules?limit=2', user);
    expect(page.body.data).toHaveLength(2);
    const next = await h.call('GET', `/rules?limit=2&cursor=${page.body.next_cursor}`, user);
    expect(next.body.data.map((r: { name: string }) => r.name)).toEqual(['b']);

    const moved = await h.call('PATCH', `/rules/${b.body.id}`, user, {
      body: { position: 0 },
      headers: { 'If-Match': '"1"' },
    });
    expect(moved.status).toBe(200);
    expect(moved.body.version).toBe(2);
    expect(await names()).toEqual(['b', 'c', 'a']);

    const stale = await h.call('PUT', `/rules/${a.body.id}`, user, {
      body: body('a2'),
      headers: { 'If-Match': '"7"' },
    });
    expect(stale.status).toBe(412);
    const replaced = await h.call('PUT', `/rules/${a.body.id}`, user, {
      body: { ...body('a2'), enabled: false },
      headers: { 'If-Match': '"1"' },
    });
    expect(replaced.body).toMatchObject({ name: 'a2', enabled: false, version: 2 });
    const got = await h.call('GET', `/rules/${a.body.id}`, user);
    expect(got.body).toEqual(replaced.body);
    expect(got.headers.get('etag')).toBe('"2"');
    const empty = await h.call('PATCH', `/rules/${a.body.id}`, user, { body: {} });
    expect(empty.body.version).toBe(2);

    expect((await h.call('DELETE', `/rules/${c.body.id}`, user)).status).toBe(204);
    expect(await names()).toEqual(['b', 'a2']);
    const positions = (await h.call('GET', '/rules', user)).body.data.map(
      (r: { position: number }) => r.position,
    );
    expect(positions).toEqual([0, 1]);
  });

  it('replays a POST with the same Idempotency-Key', async () => {
    const headers = { 'Idempotency-Key': `rule-${Date.now()}` };
    const first = await h.call('POST', '/rules', alice, { body: albertHeijn(), headers });
    const again = await h.call('POST', '/rules', alice, { body: albertHeijn(), headers });
    expect(again.status).toBe(201);
    expect(again.body.id).toBe(first.body.id);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    await h.call('DELETE', `/rules/${first.body.id}`, alice);
  });

  it('refuses invalid rules with a clear 400, others’ ids with a 404, and changes nothing', async () => {
    const bad = async (rule: object, fields: string[], status = 400) => {
      const res = await h.call('POST', '/rules', alice, { body: rule });
      expect(res.status).toBe(status);
      expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
      expect(fieldsOf(res.body)).toEqual(fields);
    };
    const base = albertHeijn();
    await bad({ ...base, conditions: [{ field: 'description', operator: 'regex', value: '(a)\\1' }] }, [
      'body.conditions[0].value',
    ]);
    await bad({ ...base, conditions: [{ field: 'notes', operator: 'regex', value: 'a'.repeat(201) }] }, [
      'body.conditions[0].value',
    ]);
    await bad({ ...base, conditions: [{ field: 'amount', operator: 'between', min: '5' }] }, [
      'body.conditions[0].max',
    ]);
    await bad(
      {
        ...base,
        actions: [
          {
            type: 'split',
            mode: 'percentages',
            parts: [{ percent: '60' }, { percent: '30' }],
          },
        ],
      },
      ['body.actions[0].parts'],
    );
    await bad({ ...base, actions: [] }, ['body.actions']);
    const bobs = await h.call('GET', '/categories?limit=1', bob);
    await bad(
      { ...base, actions: [{ type: 'set_category', category_id: bobs.body.data[0].id }] },
      ['body.actions[0].category_id'],
      404,
    );
    for (const unknown of [
      { ...base, conditions: [{ field: 'description', operator: 'contains', value: 'x', bogus: 1 }] },
      { ...base, actions: [{ type: 'set_payee', payee: 'x', bogus: 1 }] },
    ])
      expect((await h.call('POST', '/rules', alice, { body: unknown })).status).toBe(400);
    const tried = await h.call('POST', '/rules/test', alice, {
      body: { rule: { ...base, bogus: 1 }, last: 1 },
    });
    expect(tried.status).toBe(400);
    expect((await h.call('GET', '/rules', alice)).body.data).toEqual([]);

    const mine = await h.call('POST', '/rules', alice, { body: base });
    for (const [method, body] of [
      ['GET', undefined],
      ['PATCH', { name: 'x' }],
      ['DELETE', undefined],
    ] as const)
      expect((await h.call(method, `/rules/${mine.body.id}`, bob, { body })).status).toBe(404);
    await h.call('DELETE', `/rules/${mine.body.id}`, alice);
  });

  describe('on create', () => {
    let user: TestUser;
    let food: string;
    beforeAll(async () => {
      user = await h.user();
      const cats = await h.call('GET', '/categories?limit=200', user);
      food = cats.body.data.find((c: { name: string }) => c.name === 'Groceries').id;
      const made = await h.call('POST', '/rules', user, {
        body: {
          name: 'Albert Heijn',
          conditions: [{ field: 'description', operator: 'regex', value: '^albert\\s+heijn\\b' }],
          actions: [
            { type: 'set_description', description: 'Albert Heijn' },
            { type: 'set_category', category_id: food },
            { type: 'add_tags', tags: ['food'] },
          ],
        },
      });
      expect(made.status).toBe(201);
    });

    it('renames, categorises and tags a new transaction, and its event says so', async () => {
      const res = await h.call('POST', '/transactions', user, {
        body: {
          amount: '42.50',
          transaction_type: 'expense',
          description: 'ALBERT HEIJN 1234 AMSTERDAM',
          date: '2026-03-10',
        },
      });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ description: 'Albert Heijn', category_id: food, tags: ['food'] });
      const [event] = await h.outbox({ type: 'ledger.transaction.created', aggregateId: res.body.id });
      expect(event.payload).toMatchObject({ description: 'Albert Heijn', categoryId: food });
    });

    it('keeps a category the client chose, and leaves unmatched transactions alone', async () => {
      const cats = await h.call('GET', '/categories?limit=200', user);
      const household = cats.body.data.find(
        (c: { kind: string; name: string }) => c.name !== 'Groceries' && c.kind === 'expense',
      ).id;
      const chosen = await h.call('POST', '/transactions', user, {
        body: {
          amount: '5',
          transaction_type: 'expense',
          description: 'albert heijn to go',
          category_id: household,
        },
      });
      expect(chosen.body).toMatchObject({ description: 'Albert Heijn', category_id: household });
      const other = await h.call('POST', '/transactions', user, {
        body: { amount: '5', transaction_type: 'expense', description: 'Jumbo 12' },
      });
      expect(other.body).toMatchObject({ description: 'Jumbo 12', category_id: null, tags: [] });
    });

    it('runs on a recurring occurrence too', async () => {
      const template = await h.call('POST', '/recurring', user, {
        body: {
          amount: '30',
          transaction_type: 'expense',
          description: 'ALBERT HEIJN 1234 weekly',
          frequency: 'weekly',
          start_date: '2026-01-05',
        },
      });
      expect(template.status).toBe(201);
      const booked = await h.call('POST', `/recurring/${template.body.id}/process`, user, { body: {} });
      expect(booked.status).toBe(201);
      expect(booked.body).toMatchObject({ description: 'Albert Heijn', category_id: food, tags: ['food'] });
    });

    it('skips a category that does not fit an income', async () => {
      const res = await h.call('POST', '/transactions', user, {
        body: { amount: '5', transaction_type: 'income', description: 'ALBERT HEIJN refund' },
      });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ description: 'Albert Heijn', category_id: null });
    });
  });
});
