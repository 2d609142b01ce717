import { newId } from '@finance/shared';
import { httpJson, lookupsParkedOn } from '@finance/shared/testing';
import { GoalsHarness, accountEvent, userDeleted, userRegistered, userUpdated } from './fixtures';

/**
 * Goals over HTTP: the resource, its validation, the house's HTTP semantics (Location, ETag,
 * If-Match, merge patch, keyset pages), the user directory and read-your-writes. Each test has
 * its own user.
 */
describe('goals HTTP', () => {
  const harness = new GoalsHarness();
  let url: string;

  beforeAll(async () => {
    await harness.start();
    url = harness.url;
  });
  afterAll(() => harness.stop());

  it('is alive, ready and documents its API', async () => {
    expect((await httpJson('GET', `${url}/healthz`)).status).toBe(200);
    expect((await httpJson('GET', `${url}/readyz`)).status).toBe(200);
    const openapi = await httpJson('GET', `${url}/openapi.json`);
    expect(Object.keys(openapi.body.paths)).toEqual(
      expect.arrayContaining([
        '/goals',
        '/goals/{id}',
        '/goals/{id}/progress',
        '/goals/{id}/contribute',
        '/goals/{id}/contributions',
        '/goals/{id}/contributions/{contribution_id}',
      ]),
    );
  });

  it('creates a goal in the base currency with Location and ETag, and answers 401 without a token', async () => {
    expect((await httpJson('GET', `${url}/goals`)).status).toBe(401);
    const { token } = await harness.user({ baseCurrency: 'JPY' });
    const res = await httpJson('POST', `${url}/goals`, {
      token,
      body: {
        name: '  Japan trip ',
        target_amount: '300000',
        deadline: '2026-12-31',
        notes: 'line 1\nline 2',
      },
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('location')).toBe(`/goals/${res.body.id}`);
    expect(res.headers.get('etag')).toBe('"1"');
    expect(res.body).toMatchObject({
      name: 'Japan trip',
      target_amount: '300000',
      current_amount: '0',
      currency: 'JPY',
      deadline: '2026-12-31',
      status: 'active',
      account_id: null,
      notes: 'line 1\nline 2',
      version: 1,
    });
  });

  it('refuses current_amount, currency, status and unknown fields on creation, naming each, and stores nothing', async () => {
    const { id, token } = await harness.user();
    const res = await httpJson('POST', `${url}/goals`, {
      token,
      body: {
        name: 'X',
        target_amount: '10',
        current_amount: '5',
        currency: 'USD',
        status: 'completed',
        extra: 1,
      },
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    const fields = res.body.errors.map((e: { field: string }) => e.field).sort();
    expect(fields).toEqual(['body.currency', 'body.current_amount', 'body.extra', 'body.status']);
    expect(res.body.errors.find((e: { field: string }) => e.field === 'body.current_amount').message).toMatch(
      /sum of the contributions/,
    );
    const rows: unknown[] = await harness.service.dataSource.query(`SELECT 1 FROM goals WHERE user_id = $1`, [
      id,
    ]);
    expect(rows).toHaveLength(0);
  });

  it.each([
    [{ name: '', target_amount: '10' }, 'body.name'],
    [{ name: 'bell\u0007', target_amount: '10' }, 'body.name'],
    [{ name: 'rtl\u202e', target_amount: '10' }, 'body.name'],
    [{ name: 'X', target_amount: '0' }, 'body.target_amount'],
    [{ name: 'X', target_amount: '-5' }, 'body.target_amount'],
    [{ name: 'X', target_amount: '1.234' }, 'body.target_amount'],
    [{ name: 'X', target_amount: 'ten' }, 'body.target_amount'],
    [{ name: 'X', target_amount: '10', deadline: '3000-01-01' }, 'body.deadline'],
    [{ name: 'X', target_amount: '10', deadline: '2026-02-30' }, 'body.deadline'],
    [{ name: 'X', target_amount: '10', account_id: 'nope' }, 'body.account_id'],
    [{ name: 'X', target_amount: '10', notes: 'esc\u001b' }, 'body.notes'],
  ])('refuses %j with a 400 naming %s', async (body, field) => {
    const { token } = await harness.user();
    const res = await httpJson('POST', `${url}/goals`, { token, body });
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
  });

  it('refuses more decimals than a 4-decimal currency holds in a bigint (400, not 500)', async () => {
    const { token } = await harness.user({ baseCurrency: 'CLF' });
    const res = await httpJson('POST', `${url}/goals`, {
      token,
      body: { name: 'X', target_amount: '999999999999999.9999' },
    });
    expect(res.status).toBe(400);
    expect(res.body.errors[0].field).toBe('body.target_amount');
  });

  it('keeps each user to their own goals: another user’s id is a 404 on every route', async () => {
    const ada = await harness.user();
    const bob = await harness.user();
    const goal = await harness.createGoal(ada.token);
    for (const [method, path, body] of [
      ['GET', `/goals/${goal.id}`, undefined],
      ['GET', `/goals/${goal.id}/progress`, undefined],
      ['PUT', `/goals/${goal.id}`, { name: 'Mine', target_amount: '1' }],
      ['PATCH', `/goals/${goal.id}`, { name: 'Mine' }],
      ['DELETE', `/goals/${goal.id}`, undefined],
      ['POST', `/goals/${goal.id}/contribute`, { amount: '5' }],
      ['GET', `/goals/${goal.id}/contributions`, undefined],
    ] as const) {
      const res = await httpJson(method, `${url}${path}`, { token: bob.token, body });
      expect([method, path, res.status]).toEqual([method, path, 404]);
    }
    expect((await httpJson('GET', `${url}/goals`, { token: bob.token })).body.data).toEqual([]);
    expect((await harness.goal(ada.token, goal.id)).name).toBe('Holiday');
  });

  it('lists goals oldest first in keyset pages, filtered by status', async () => {
    const { token } = await harness.user();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++)
      ids.push((await harness.createGoal(token, { name: `G${i}`, target_amount: '10' })).id);
    await httpJson('PATCH', `${url}/goals/${ids[1]}`, { token, body: { status: 'cancelled' } });
    await harness.contribute(token, ids[2], { amount: '10' });

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { status: number; body: { data: Array<{ id: string }>; next_cursor: string | null } } =
        await httpJson('GET', `${url}/goals?limit=2${cursor ? `&cursor=${cursor}` : ''}`, { token });
      expect(page.status).toBe(200);
      expect(page.body.data.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.data.map((g) => g.id));
      cursor = page.body.next_cursor;
    } while (cursor);
    expect(seen).toEqual(ids);

    const statusOf = async (status: string) =>
      (await httpJson('GET', `${url}/goals?status=${status}`, { token })).body.data.map(
        (g: { id: string }) => g.id,
      );
    expect(await statusOf('cancelled')).toEqual([ids[1]]);
    expect(await statusOf('completed')).toEqual([ids[2]]);
    expect(await statusOf('active')).toEqual([ids[0], ids[3], ids[4]]);
    for (const query of ['status=done', 'status=active&status=completed', 'cursor=garbage', 'limit=0', 'x=1'])
      expect((await httpJson('GET', `${url}/goals?${query}`, { token })).status).toBe(400);
  });

  it('PUT, PATCH and DELETE honour If-Match (412, nothing changed) and carry the new ETag', async () => {
    const { token } = await harness.user();
    const goal = await harness.createGoal(token);
    const goalUrl = `${url}/goals/${goal.id}`;
    const stale = { 'if-match': '"7"' };
    for (const [method, body] of [
      ['PUT', { name: 'New', target_amount: '5' }],
      ['PATCH', { name: 'New' }],
      ['DELETE', undefined],
    ] as const)
      expect((await httpJson(method, goalUrl, { token, body, headers: stale })).status).toBe(412);
    expect(await harness.goal(token, goal.id)).toMatchObject({ name: 'Holiday', version: 1 });

    const patched = await httpJson('PATCH', goalUrl, {
      token,
      body: { name: 'Car' },
      headers: { 'if-match': '"1"' },
    });
    expect(patched.status).toBe(200);
    expect(patched.headers.get('etag')).toBe('"2"');
    const put = await httpJson('PUT', goalUrl, {
      token,
      body: { name: 'Car', target_amount: '2000' },
      headers: { 'if-match': 'W/"2"' },
    });
    expect(put.body).toMatchObject({ target_amount: '2000.00', version: 3 });
    const got = await httpJson('GET', goalUrl, { token });
    expect(got.headers.get('etag')).toBe('"3"');
    expect((await httpJson('DELETE', goalUrl, { token, headers: { 'if-match': '"2"' } })).status).toBe(412);
    expect((await httpJson('DELETE', goalUrl, { token, headers: { 'if-match': '"3"' } })).status).toBe(204);
    expect((await httpJson('GET', goalUrl, { token })).status).toBe(404);
  });

  it('lets exactly one of two concurrent PATCHes with the same If-Match win', async () => {
    const { token } = await harness.user();
    for (let round = 0; round < 4; round++) {
      const goal = await harness.createGoal(token);
      const [a, b] = await Promise.all(
        ['A', 'B'].map((name) =>
          httpJson('PATCH', `${url}/goals/${goal.id}`, {
            token,
            body: { name },
            headers: { 'if-match': '"1"' },
          }),
        ),
      );
      expect([a.status, b.status].sort()).toEqual([200, 412]);
      const winner = a.status === 200 ? a : b;
      expect(await harness.goal(token, goal.id)).toMatchObject({ name: winner.body.name, version: 2 });
    }
  });

  it('PATCH is a JSON merge patch: absent keeps, null clears a nullable field, null elsewhere is a 400; no change keeps the version', async () => {
    const { token } = await harness.user();
    const goal = await harness.createGoal(token, { deadline: '2027-01-31', notes: 'n' });
    const goalUrl = `${url}/goals/${goal.id}`;
    const cleared = await httpJson('PATCH', goalUrl, { token, body: { deadline: null, notes: null } });
    expect(cleared.body).toMatchObject({
      name: 'Holiday',
      target_amount: '1000.00',
      deadline: null,
      notes: null,
    });
    for (const body of [{ name: null }, { target_amount: null }, { status: null }, { current_amount: '1' }]) {
      const res = await httpJson('PATCH', goalUrl, { token, body });
      expect(res.status).toBe(400);
      expect(res.body.errors[0].field).toBe(`body.${Object.keys(body)[0]}`);
    }
    const same = await httpJson('PATCH', goalUrl, { token, body: { name: 'Holiday' } });
    expect(same.body.version).toBe(cleared.body.version);
    expect((await httpJson('PATCH', goalUrl, { token, body: {} })).body.version).toBe(cleared.body.version);
    const completed = await httpJson('PATCH', goalUrl, { token, body: { status: 'completed' } });
    expect(completed.status).toBe(400);
    expect(completed.body.errors[0].message).toMatch(/completed by itself/);
  });

  it('accepts an account of the user’s (even one created a moment ago) and refuses others with a 404 naming account_id', async () => {
    const ada = await harness.user();
    const bob = await harness.user();
    const mine = newId();
    await harness.apply(accountEvent('ledger.account.created', ada.id, mine, 1));
    const theirs = newId();
    await harness.apply(accountEvent('ledger.account.created', bob.id, theirs, 1));

    const ok = await httpJson('POST', `${url}/goals`, {
      token: ada.token,
      body: { name: 'Savings', target_amount: '10', account_id: mine },
    });
    expect(ok.body.account_id).toBe(mine);
    // Another user's (created a moment ago: answered after the bounded wait) and an old unknown one (at once).
    for (const accountId of [theirs, '00000000-0000-4000-8000-00000000abcd']) {
      const res = await httpJson('POST', `${url}/goals`, {
        token: ada.token,
        body: { name: 'Savings', target_amount: '10', account_id: accountId },
      });
      expect(res.status).toBe(404);
      expect(res.body.errors).toEqual([{ field: 'body.account_id', message: 'No such account of yours' }]);
    }

    // Created in the ledger a moment ago, its event applied while the request waits.
    const fresh = newId();
    const parked = lookupsParkedOn(harness.service.consumer);
    const pending = httpJson('POST', `${url}/goals`, {
      token: ada.token,
      body: { name: 'Fresh', target_amount: '10', account_id: fresh },
    });
    await parked();
    await harness.apply(accountEvent('ledger.account.created', ada.id, fresh, 1));
    expect((await pending).status).toBe(201);

    // The ledger deletes the account: the goal no longer names it (a new version).
    await harness.apply(accountEvent('ledger.account.deleted', ada.id, mine, 2));
    expect(await harness.goal(ada.token, ok.body.id)).toMatchObject({ account_id: null, version: 2 });
    // A late update of the deleted account does not bring it back.
    await harness.apply(accountEvent('ledger.account.updated', ada.id, mine, 1));
    const again = await httpJson('PATCH', `${url}/goals/${ok.body.id}`, {
      token: ada.token,
      body: { account_id: mine },
    });
    expect(again.status).toBe(404);
  });

  it('uses the base currency of a user who registered a moment ago (awaitUserKnown)', async () => {
    const id = newId();
    const parked = lookupsParkedOn(harness.service.consumer);
    const pending = httpJson('POST', `${url}/goals`, {
      token: harness.issuer.token(id),
      body: { name: 'Fresh user', target_amount: '10' },
    });
    await parked();
    await harness.apply(userRegistered(id, { baseCurrency: 'GBP' }));
    const res = await pending;
    expect(res.status).toBe(201);
    expect(res.body.currency).toBe('GBP');
  });

  it('refuses a token auth revoked (auth.user.updated raised the session version) with a 401', async () => {
    const { id } = await harness.user();
    const token = harness.issuer.token(id, { sessionVersion: 0 });
    expect((await httpJson('GET', `${url}/goals`, { token })).status).toBe(200);
    await harness.apply(userUpdated(id, 2, 1));
    expect((await httpJson('GET', `${url}/goals`, { token })).status).toBe(401);
    const renewed = harness.issuer.token(id, { sessionVersion: 1 });
    expect((await httpJson('GET', `${url}/goals`, { token: renewed })).status).toBe(200);
  });

  it("purges a deleted user's goals, contributions and read models, and refuses their token without storing anything", async () => {
    const { id, token } = await harness.user();
    const transactionId = await harness.transaction(id, { amount: '50.00' });
    const goal = await harness.createGoal(token);
    expect((await harness.contribute(token, goal.id, { transaction_id: transactionId })).status).toBe(201);
    expect(
      (await harness.contribute(token, goal.id, { amount: '5' }, { 'idempotency-key': 'k1' })).status,
    ).toBe(201);
    await harness.apply(userDeleted(id));
    const db = harness.service.dataSource;
    for (const table of ['goals', 'goal_contributions', 'known_transactions', 'idempotency_keys']) {
      const rows: unknown[] = await db.query(`SELECT 1 FROM ${table} WHERE user_id = $1`, [id]);
      expect([table, rows.length]).toEqual([table, 0]);
    }
    expect((await httpJson('GET', `${url}/goals`, { token })).status).toBe(401);
    const write = await httpJson('POST', `${url}/goals`, {
      token,
      body: { name: 'After', target_amount: '1' },
    });
    expect(write.status).toBe(401);
    // A later ledger event of the deleted user stores nothing either.
    await harness.transaction(id, { amount: '1.00' });
    const rows: unknown[] = await db.query(`SELECT 1 FROM known_transactions WHERE user_id = $1`, [id]);
    expect(rows).toHaveLength(0);
  });

  it('refuses more goals than MAX_GOALS_PER_USER, also when created concurrently', async () => {
    const limited = new GoalsHarness();
    await limited.start({ MAX_GOALS_PER_USER: '3' });
    try {
      const { token } = await limited.user();
      const results = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          httpJson('POST', `${limited.url}/goals`, { token, body: { name: `G${i}`, target_amount: '1' } }),
        ),
      );
      expect(results.map((r) => r.status).sort()).toEqual([201, 201, 201, 409, 409, 409]);
    } finally {
      await limited.stop();
    }
  });
});
