import { idCreatedAt } from '@finance/shared';
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

describe('budgets HTTP API: CRUD, validation, ownership', () => {
  const issuer = new TestTokenIssuer();
  // 2026-03-10 00:30 in Berlin, still 2026-03-09 in UTC: "today" must be the user's.
  const now = new Date('2026-03-09T23:30:00Z');
  let service: BudgetsService;
  const alice = newId();
  const bob = newId();
  const carol = oldId(); // auth never told budgets about her (a user from before budgets existed)
  const groceries = newId();
  const rent = newId();
  const bobsCategory = newId();
  const deletedCategory = newId();
  let token: string;

  beforeAll(async () => {
    await issuer.start();
    service = await startBudgets(issuer, { clock: () => now });
    for (const event of [
      userRegistered(alice, 'EUR', 'Europe/Berlin'),
      userRegistered(bob, 'JPY', 'Asia/Tokyo'),
      categoryEvent('ledger.category.created', alice, groceries),
      categoryEvent('ledger.category.created', alice, rent),
      categoryEvent('ledger.category.created', bob, bobsCategory),
      categoryEvent('ledger.category.created', alice, deletedCategory),
      categoryDeleted(alice, deletedCategory, null),
    ])
      await service.consumer.apply(event);
    token = issuer.token(alice);
  });

  afterAll(async () => {
    await service?.close();
    await issuer.stop();
  });

  const post = (body: unknown, as = token) => httpJson('POST', `${service.url}/budgets`, { token: as, body });

  it('creates a budget in the base currency, with defaults, and reads it back', async () => {
    const res = await post({
      category_id: groceries,
      amount: '450.5',
      period: 'monthly',
      start_date: '2026-01-25',
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      name: 'Monthly budget',
      category_id: groceries,
      amount: '450.50',
      currency: 'EUR',
      period: 'monthly',
      start_date: '2026-01-25',
      end_date: null,
      rollover: false,
      version: 1,
      // Timestamps from the service's clock.
      created_at: now.toISOString(),
      updated_at: now.toISOString(),
    });
    // Ids are minted as UUIDv7 (newId), like every id of the system: others can tell a fresh one.
    expect(idCreatedAt(res.body.id)).toEqual(expect.any(Number));
    const got = await httpJson('GET', `${service.url}/budgets/${res.body.id}`, { token });
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({
      id: res.body.id,
      amount: '450.50',
      window_start: '2026-02-25',
      window_end: '2026-03-24',
    });
    // start_date defaults to today in the user's timezone (Berlin is already on the 10th).
    const overall = await post({ amount: 1000, period: 'weekly', name: 'Everything', rollover: true });
    expect(overall.status).toBe(201);
    expect(overall.body).toMatchObject({
      category_id: null,
      start_date: '2026-03-10',
      amount: '1000.00',
      rollover: true,
    });
    const byCategory = await httpJson('GET', `${service.url}/budgets?category_id=${groceries}`, { token });
    expect(byCategory.body.data.map((b: { id: string }) => b.id)).toEqual([res.body.id]);
  });

  it('uses the currency minor units exactly: JPY has none', async () => {
    const bobToken = issuer.token(bob);
    const ok = await post({ amount: '30000', period: 'monthly', start_date: '2026-03-01' }, bobToken);
    expect(ok.status).toBe(201);
    expect(ok.body).toMatchObject({ amount: '30000', currency: 'JPY' });
    const bad = await post({ amount: '300.5', period: 'monthly' }, bobToken);
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].field).toBe('body.amount');
  });

  it.each([
    [{ amount: '0', period: 'monthly' }, 'body.amount'],
    [{ amount: '-5', period: 'monthly' }, 'body.amount'],
    [{ amount: 'ten', period: 'monthly' }, 'body.amount'],
    [{ amount: '10.123', period: 'monthly' }, 'body.amount'],
    [{ amount: '10', period: 'fortnightly' }, 'body.period'],
    [{ amount: '10' }, 'body.period'],
    [{ period: 'monthly' }, 'body.amount'],
    [{ amount: '10', period: 'monthly', start_date: '2026-02-30' }, 'body.start_date'],
    [{ amount: '10', period: 'monthly', start_date: '2026-03-01', end_date: '2026-02-28' }, 'body.end_date'],
    [{ amount: '10', period: 'monthly', category_id: 'nope' }, 'body.category_id'],
    [{ amount: '10', period: 'monthly', rollover: 'yes' }, 'body.rollover'],
    [{ amount: '10', period: 'monthly', owner: bob }, 'body.owner'],
    [{ amount: '10', period: 'monthly', name: '' }, 'body.name'],
  ])('rejects %j with a 400 naming %s', async (body, field) => {
    const res = await post(body);
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
  });

  it('accepts only the caller’s own live categories: unknown or another user’s → 404, deleted → 422', async () => {
    for (const categoryId of [oldId(), bobsCategory]) {
      const res = await post({ amount: '10', period: 'monthly', category_id: categoryId });
      expect(res.status).toBe(404);
      expect(res.body.errors).toEqual([{ field: 'body.category_id', message: expect.any(String) }]);
    }
    const deleted = await post({ amount: '10', period: 'monthly', category_id: deletedCategory });
    expect(deleted.status).toBe(422);
    expect(deleted.body.errors[0].field).toBe('body.category_id');
  });

  it('serves a user auth has told nothing of with the shared defaults: USD, today in UTC', async () => {
    const carolToken = issuer.token(carol);
    const res = await post({ amount: '10', period: 'monthly' }, carolToken);
    expect(res.status).toBe(201);
    // Berlin would already be on the 10th; UTC is still on the 9th.
    expect(res.body).toMatchObject({ amount: '10.00', currency: 'USD', start_date: '2026-03-09' });
    const status = await httpJson('GET', `${service.url}/analytics/budget-status`, { token: carolToken });
    expect(status.status).toBe(200);
    expect(status.body.as_of).toBe('2026-03-09');
  });

  it('replaces, patches and deletes a budget; another user gets 404 everywhere', async () => {
    const created = await post({
      name: 'Food',
      category_id: groceries,
      amount: '200',
      period: 'monthly',
      start_date: '2026-03-01',
    });
    const url = `${service.url}/budgets/${created.body.id}`;
    const bobToken = issuer.token(bob);
    expect((await httpJson('GET', url, { token: bobToken })).status).toBe(404);
    expect(
      (await httpJson('PUT', url, { token: bobToken, body: { amount: '1', period: 'daily' } })).status,
    ).toBe(404);
    expect((await httpJson('PATCH', url, { token: bobToken, body: { amount: '1' } })).status).toBe(404);
    expect((await httpJson('DELETE', url, { token: bobToken })).status).toBe(404);

    const put = await httpJson('PUT', url, {
      token,
      body: {
        name: 'Rent',
        category_id: rent,
        amount: '900',
        period: 'monthly',
        start_date: '2026-03-01',
        rollover: true,
      },
    });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({
      name: 'Rent',
      category_id: rent,
      amount: '900.00',
      rollover: true,
      version: 2,
    });
    const patch = await httpJson('PATCH', url, { token, body: { amount: '950.25', end_date: '2026-12-31' } });
    expect(patch.status).toBe(200);
    expect(patch.body).toMatchObject({
      name: 'Rent',
      amount: '950.25',
      end_date: '2026-12-31',
      rollover: true,
      version: 3,
    });
    const badPatch = await httpJson('PATCH', url, { token, body: { end_date: '2026-01-01' } });
    expect(badPatch.status).toBe(400);
    expect(badPatch.body.errors[0].field).toBe('body.end_date');
    const badCategory = await httpJson('PATCH', url, { token, body: { category_id: bobsCategory } });
    expect(badCategory.status).toBe(404);

    expect((await httpJson('DELETE', url, { token })).status).toBe(204);
    expect((await httpJson('GET', url, { token })).status).toBe(404);
    expect((await httpJson('DELETE', url, { token })).status).toBe(404);
    const badId = await httpJson('GET', `${service.url}/budgets/not-a-uuid`, { token });
    expect(badId.status).toBe(400);
    expect(badId.body.errors[0].field).toBe('params.id');
  });

  it('lists with keyset pagination and filters, never showing another user’s budgets', async () => {
    const dave = newId();
    await service.consumer.apply(userRegistered(dave, 'USD', 'America/New_York'));
    const daveToken = issuer.token(dave);
    const ids: string[] = [];
    for (const [period, start, end] of [
      ['monthly', '2026-01-01', null],
      ['weekly', '2026-03-01', null],
      ['monthly', '2026-01-01', '2026-02-28'],
      ['daily', '2026-04-01', null],
      ['monthly', '2026-03-09', null],
    ] as const) {
      const res = await post({ amount: '5', period, start_date: start, end_date: end }, daveToken);
      expect(res.status).toBe(201);
      ids.push(res.body.id);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { status: number; body: { data: Array<{ id: string }>; next_cursor: string | null } } =
        await httpJson('GET', `${service.url}/budgets?limit=2${cursor ? `&cursor=${cursor}` : ''}`, {
          token: daveToken,
        });
      expect(page.status).toBe(200);
      expect(page.body.data.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.data.map((b) => b.id));
      cursor = page.body.next_cursor;
    } while (cursor);
    expect(seen).toEqual(ids);

    const monthly = await httpJson('GET', `${service.url}/budgets?period=monthly`, { token: daveToken });
    expect(monthly.body.data.map((b: { id: string }) => b.id)).toEqual([ids[0], ids[2], ids[4]]);
    // Today for Dave (New York) is 2026-03-09: the ended and the not-yet-started ones are inactive.
    const active = await httpJson('GET', `${service.url}/budgets?active=true`, { token: daveToken });
    expect(active.body.data.map((b: { id: string }) => b.id)).toEqual([ids[0], ids[1], ids[4]]);
    const inactive = await httpJson('GET', `${service.url}/budgets?active=false`, { token: daveToken });
    expect(inactive.body.data.map((b: { id: string }) => b.id)).toEqual([ids[2], ids[3]]);

    const badCursor = await httpJson('GET', `${service.url}/budgets?cursor=garbage`, { token: daveToken });
    expect(badCursor.status).toBe(400);
    expect(badCursor.body.errors[0].field).toBe('query.cursor');
    const badFilter = await httpJson('GET', `${service.url}/budgets?active=maybe`, { token: daveToken });
    expect(badFilter.status).toBe(400);
    expect(badFilter.body.errors[0].field).toBe('query.active');
  });

  it('requires a token and documents the routes in /openapi.json', async () => {
    expect((await httpJson('GET', `${service.url}/budgets`)).status).toBe(401);
    const doc = (await httpJson('GET', `${service.url}/openapi.json`)).body;
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/budgets', '/budgets/{id}', '/analytics/budget-status']),
    );
    expect(Object.keys(doc.paths['/budgets/{id}'])).toEqual(
      expect.arrayContaining(['get', 'put', 'patch', 'delete']),
    );
  });
});
