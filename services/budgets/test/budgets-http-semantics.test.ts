import { TestTokenIssuer, httpJson } from '@finance/shared/testing';
import {
  categoryDeleted,
  categoryEvent,
  newId,
  oldId,
  startBudgets,
  userRegistered,
  type BudgetsService,
} from './fixtures';

/**
 * The ledger's HTTP conventions, in budgets: Location on 201, a strong `ETag: "<version>"`,
 * If-Match → 412 when stale, PATCH as a JSON merge patch; foreign ids in filters answer 404;
 * single-line names refuse control characters and bidi overrides. Each test has its own user.
 */
describe('budgets HTTP semantics', () => {
  const issuer = new TestTokenIssuer();
  let service: BudgetsService;

  beforeAll(async () => {
    await issuer.start();
    service = await startBudgets(issuer, { clock: () => new Date('2026-03-10T12:00:00Z') });
  });

  afterAll(async () => {
    await service?.close();
    await issuer.stop();
  });

  /** A user with settings and one live category of their own (in `on`, budgets by default). */
  async function newUser(on: BudgetsService = service) {
    const id = newId();
    const category = newId();
    await on.consumer.apply(userRegistered(id, 'EUR', 'UTC'));
    await on.consumer.apply(categoryEvent('ledger.category.created', id, category));
    return { id, category, token: issuer.token(id) };
  }

  async function createBudget(token: string, body: object = { amount: '100', period: 'monthly' }) {
    const res = await httpJson('POST', `${service.url}/budgets`, { token, body });
    expect(res.status).toBe(201);
    return res;
  }

  it('answers 201 with Location and a strong ETag of the version; GET, PUT and PATCH carry it too', async () => {
    const { token } = await newUser();
    const created = await createBudget(token);
    expect(created.headers.get('location')).toBe(`/budgets/${created.body.id}`);
    expect(created.headers.get('etag')).toBe('"1"');
    const url = `${service.url}/budgets/${created.body.id}`;
    const got = await httpJson('GET', url, { token });
    expect(got.headers.get('etag')).toBe('"1"');
    const put = await httpJson('PUT', url, { token, body: { amount: '5', period: 'weekly' } });
    expect(put.status).toBe(200);
    expect(put.headers.get('etag')).toBe('"2"');
    const patch = await httpJson('PATCH', url, { token, body: { amount: '6' } });
    expect(patch.status).toBe(200);
    expect(patch.headers.get('etag')).toBe('"3"');
    expect(patch.body.version).toBe(3);
    expect((await httpJson('GET', url, { token })).headers.get('etag')).toBe('"3"');
  });

  it('refuses PUT, PATCH and DELETE with a stale If-Match (412, nothing changed) and honours a current one', async () => {
    const { token } = await newUser();
    const created = await createBudget(token);
    const url = `${service.url}/budgets/${created.body.id}`;
    const stale = { 'if-match': '"999"' };
    for (const [method, body] of [
      ['PUT', { amount: '1', period: 'daily' }],
      ['PATCH', { amount: '1' }],
      ['DELETE', undefined],
    ] as const) {
      const res = await httpJson(method, url, { token, body, headers: stale });
      expect(res.status).toBe(412);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
    }
    const unchanged = await httpJson('GET', url, { token });
    expect(unchanged.body).toMatchObject({ amount: '100.00', period: 'monthly', version: 1 });
    const patched = await httpJson('PATCH', url, {
      token,
      body: { amount: '2' },
      headers: { 'if-match': '"1"' },
    });
    expect(patched.status).toBe(200);
    const put = await httpJson('PUT', url, {
      token,
      body: { amount: '3', period: 'daily' },
      headers: { 'if-match': 'W/"2"' },
    });
    expect(put.status).toBe(200);
    expect((await httpJson('DELETE', url, { token, headers: { 'if-match': '"2"' } })).status).toBe(412);
    expect((await httpJson('DELETE', url, { token, headers: { 'if-match': '"3"' } })).status).toBe(204);
  });

  it('lets exactly one of two concurrent PATCHes with the same If-Match win', async () => {
    const { token } = await newUser();
    for (let round = 0; round < 5; round++) {
      const created = await createBudget(token);
      const url = `${service.url}/budgets/${created.body.id}`;
      const [a, b] = await Promise.all(
        ['11', '22'].map((amount) =>
          httpJson('PATCH', url, { token, body: { amount }, headers: { 'if-match': '"1"' } }),
        ),
      );
      expect([a.status, b.status].sort()).toEqual([200, 412]);
      const winner = a.status === 200 ? a : b;
      const now = await httpJson('GET', url, { token });
      expect(now.body).toMatchObject({ amount: winner.body.amount, version: 2 });
    }
  });

  it('PATCH is a JSON merge patch: absent keeps, null clears a nullable field, null elsewhere is a 400', async () => {
    const { token, category } = await newUser();
    const created = await createBudget(token, {
      name: 'Food',
      category_id: category,
      amount: '100',
      period: 'monthly',
      start_date: '2026-01-01',
      end_date: '2026-12-31',
      rollover: true,
    });
    const url = `${service.url}/budgets/${created.body.id}`;
    const cleared = await httpJson('PATCH', url, { token, body: { category_id: null, end_date: null } });
    expect(cleared.status).toBe(200);
    expect(cleared.body).toMatchObject({
      name: 'Food',
      category_id: null,
      end_date: null,
      amount: '100.00',
      start_date: '2026-01-01',
      rollover: true,
      version: 2,
    });
    for (const field of ['amount', 'period', 'start_date', 'rollover', 'name']) {
      const res = await httpJson('PATCH', url, { token, body: { [field]: null } });
      expect(res.status).toBe(400);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual([`body.${field}`]);
    }
    // An empty patch changes nothing: no new version.
    const empty = await httpJson('PATCH', url, { token, body: {} });
    expect(empty.status).toBe(200);
    expect(empty.body.version).toBe(2);
    expect(empty.headers.get('etag')).toBe('"2"');
  });

  it('answers 404 naming query.category_id for an unknown, another user’s or a deleted category', async () => {
    const alice = await newUser();
    const bob = await newUser();
    const gone = newId();
    await service.consumer.apply(categoryEvent('ledger.category.created', alice.id, gone));
    await service.consumer.apply(categoryDeleted(alice.id, gone, null));
    await createBudget(alice.token, { category_id: alice.category, amount: '1', period: 'daily' });
    for (const categoryId of [oldId(), bob.category, gone]) {
      const res = await httpJson('GET', `${service.url}/budgets?category_id=${categoryId}`, {
        token: alice.token,
      });
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(res.body.errors).toEqual([{ field: 'query.category_id', message: expect.any(String) }]);
    }
    const own = await httpJson('GET', `${service.url}/budgets?category_id=${alice.category}`, {
      token: alice.token,
    });
    expect(own.status).toBe(200);
    expect(own.body.data).toHaveLength(1);
    // Bob's own category is his: an empty page, not a 404.
    const bobs = await httpJson('GET', `${service.url}/budgets?category_id=${bob.category}`, {
      token: bob.token,
    });
    expect(bobs.status).toBe(200);
    expect(bobs.body.data).toEqual([]);
  });

  it.each([
    ['BEL', 'Food\u0007'],
    ['ESC', '\u001b[31mRed'],
    ['CR/LF', 'Food\r\nRent'],
    ['TAB', 'Food\tRent'],
    ['DEL', 'Food\u007f'],
    ['C1', 'Food\u0085'],
    ['RLO (bidi override)', 'invoice\u202efdp.exe'],
    ['LRI (bidi isolate)', 'x\u2066y'],
  ])('refuses a name with %s on create, replace and patch (400 body.name)', async (_what, name) => {
    const { token } = await newUser();
    const bad = await httpJson('POST', `${service.url}/budgets`, {
      token,
      body: { name, amount: '1', period: 'daily' },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { field: string }) => e.field)).toEqual(['body.name']);
    const created = await createBudget(token, { name: 'Plain', amount: '1', period: 'daily' });
    const url = `${service.url}/budgets/${created.body.id}`;
    for (const [method, body] of [
      ['PUT', { name, amount: '1', period: 'daily' }],
      ['PATCH', { name }],
    ] as const) {
      const res = await httpJson(method, url, { token, body });
      expect(res.status).toBe(400);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual(['body.name']);
    }
    expect((await httpJson('GET', url, { token })).body).toMatchObject({ name: 'Plain', version: 1 });
  });

  it('holds at most the configured number of budgets per user, concurrent creations included', async () => {
    const limited = await startBudgets(issuer, {
      env: { MAX_BUDGETS_PER_USER: '3' },
      label: 'budgets_limited',
    });
    try {
      const { token } = await newUser(limited);
      const results = await Promise.all(
        Array.from({ length: 6 }, () =>
          httpJson('POST', `${limited.url}/budgets`, { token, body: { amount: '1', period: 'daily' } }),
        ),
      );
      expect(results.map((r) => r.status).sort()).toEqual([201, 201, 201, 409, 409, 409]);
      const refused = results.find((r) => r.status === 409)!;
      expect(refused.body.detail).toMatch(/3 budgets/);
      const list = await httpJson('GET', `${limited.url}/budgets`, { token });
      expect(list.body.data).toHaveLength(3);
      // Deleting one makes room again.
      expect(
        (await httpJson('DELETE', `${limited.url}/budgets/${list.body.data[0].id}`, { token })).status,
      ).toBe(204);
      const again = await httpJson('POST', `${limited.url}/budgets`, {
        token,
        body: { amount: '1', period: 'daily' },
      });
      expect(again.status).toBe(201);
    } finally {
      await limited.close();
    }
  });

  it('keeps names with ordinary Unicode (accents, emoji, right-to-left script)', async () => {
    const { token } = await newUser();
    for (const name of ['Épicerie', 'Café ☕', 'מזון', '食費 🍣']) {
      const res = await createBudget(token, { name, amount: '1', period: 'daily' });
      expect(res.body.name).toBe(name);
    }
  });
});
