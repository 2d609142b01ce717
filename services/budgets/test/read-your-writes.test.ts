import type { FinanceEvent } from '@finance/shared';
import { TestTokenIssuer, httpJson, waitFor } from '@finance/shared/testing';
import {
  categoryEvent,
  countWaits,
  newId,
  oldId,
  startBudgets,
  userDeleted,
  userRegistered,
  type BudgetsService,
} from './fixtures';

type HttpResult = Awaited<ReturnType<typeof httpJson<any>>>;

/** Longest a lookup waits for an id created a moment ago (READ_YOUR_WRITES_WAIT_MS); roomy for a loaded host. */
const WAIT_MS = 5_000;

/** A UUIDv7 as `newId` would have minted it `ms` ago. */
function idMintedAgo(ms: number): string {
  const time = (Date.now() - ms).toString(16).padStart(12, '0');
  return `${time.slice(0, 8)}-${time.slice(8, 12)}${newId().slice(13)}`;
}

/**
 * Read-your-writes across services: a client that has just registered, or just created a category
 * in the ledger, and at once calls budgets gets what it created, although the event telling budgets
 * is still on its way; an id that is not on its way (old, made up, another user's) answers at once.
 */
describe('budgets reads its clients’ writes in other services', () => {
  const issuer = new TestTokenIssuer();
  let service: BudgetsService;
  // 2026-03-09 23:30 UTC is already 2026-03-10 in Tokyo.
  const now = new Date('2026-03-09T23:30:00Z');

  beforeAll(async () => {
    await issuer.start();
    service = await startBudgets(issuer, {
      clock: () => now,
      env: { READ_YOUR_WRITES_WAIT_MS: String(WAIT_MS) },
    });
  });

  afterAll(async () => {
    await service?.close();
    await issuer.stop();
  });

  /**
   * Sends `request`, and once it is waiting for an event (a lookup listens for applied events)
   * and ~200 ms have passed since it started, applies `event`, as the consumer would on its
   * arrival. Answers the request's response.
   */
  async function withEventArrivingLate(request: () => Promise<HttpResult>, event: FinanceEvent) {
    const started = Date.now();
    const response = request();
    await waitFor(() => service.consumer.events.listenerCount('applied') > 0 && Date.now() - started >= 200, {
      description: 'the request to wait for the event',
    });
    expect(await service.consumer.apply(event)).toBe(true);
    return response;
  }

  async function registeredUser() {
    const id = newId();
    await service.consumer.apply(userRegistered(id, 'EUR', 'UTC'));
    return { id, token: issuer.token(id) };
  }

  it('gives a user who registered a moment ago their own base currency and time zone, not the defaults', async () => {
    const user = newId();
    const token = issuer.token(user);
    const created = await withEventArrivingLate(
      () =>
        httpJson('POST', `${service.url}/budgets`, { token, body: { amount: '1000', period: 'monthly' } }),
      userRegistered(user, 'JPY', 'Asia/Tokyo'),
    );
    expect(created.status).toBe(201);
    // JPY, not USD; start_date is today in Tokyo, not in UTC (still the 9th).
    expect(created.body).toMatchObject({ amount: '1000', currency: 'JPY', start_date: '2026-03-10' });

    const other = newId();
    const status = await withEventArrivingLate(
      () => httpJson('GET', `${service.url}/analytics/budget-status`, { token: issuer.token(other) }),
      userRegistered(other, 'EUR', 'Asia/Tokyo'),
    );
    expect(status.status).toBe(200);
    expect(status.body.as_of).toBe('2026-03-10');
  });

  it('accepts a category created a moment ago whose event arrives while the request waits, on every route', async () => {
    const { id, token } = await registeredUser();
    const created = await httpJson('POST', `${service.url}/budgets`, {
      token,
      body: { amount: '10', period: 'monthly' },
    });
    expect(created.status).toBe(201);
    const budgetUrl = `${service.url}/budgets/${created.body.id as string}`;

    const requests: Array<[string, (category: string) => Promise<HttpResult>, number]> = [
      [
        'POST',
        (category) =>
          httpJson('POST', `${service.url}/budgets`, {
            token,
            body: { amount: '10', period: 'monthly', category_id: category },
          }),
        201,
      ],
      [
        'PUT',
        (category) =>
          httpJson('PUT', budgetUrl, {
            token,
            body: { amount: '10', period: 'weekly', category_id: category },
          }),
        200,
      ],
      ['PATCH', (category) => httpJson('PATCH', budgetUrl, { token, body: { category_id: category } }), 200],
      [
        'GET',
        (category) => httpJson('GET', `${service.url}/budgets?category_id=${category}`, { token }),
        200,
      ],
    ];
    for (const [method, request, expected] of requests) {
      const category = newId(); // created in the ledger just now
      const res = await withEventArrivingLate(
        () => request(category),
        categoryEvent('ledger.category.created', id, category),
      );
      expect({ method, status: res.status }).toEqual({ method, status: expected });
      if (method !== 'GET') expect(res.body.category_id).toBe(category);
      // The user's own (new) category, no budget on it: an empty page, not a 404.
      else expect(res.body.data).toEqual([]);
    }
  });

  it('answers 404 at once, without waiting, for an id that is not on its way', async () => {
    const { token } = await registeredUser();
    const bob = await registeredUser();
    const bobsFreshCategory = newId(); // another user's, created a moment ago: its event is here
    await service.consumer.apply(categoryEvent('ledger.category.created', bob.id, bobsFreshCategory));
    const created = await httpJson('POST', `${service.url}/budgets`, {
      token,
      body: { amount: '10', period: 'monthly' },
    });
    const budgetUrl = `${service.url}/budgets/${created.body.id as string}`;

    // An old (v4) id, a v7 minted longer ago than any event takes, and another user's category.
    for (const category of [oldId(), idMintedAgo(WAIT_MS + 10_000), bobsFreshCategory]) {
      const waits = countWaits(service);
      try {
        const post = await httpJson('POST', `${service.url}/budgets`, {
          token,
          body: { amount: '1', period: 'daily', category_id: category },
        });
        const patch = await httpJson('PATCH', budgetUrl, { token, body: { category_id: category } });
        const list = await httpJson('GET', `${service.url}/budgets?category_id=${category}`, { token });
        expect([post.status, patch.status, list.status]).toEqual([404, 404, 404]);
        expect(post.body.errors).toEqual([{ field: 'body.category_id', message: expect.any(String) }]);
        expect(list.body.errors).toEqual([{ field: 'query.category_id', message: expect.any(String) }]);
        expect(waits.count).toBe(0);
      } finally {
        waits.stop();
      }
    }
    // A user of old (auth's registration never came): the defaults at once, no wait either.
    const waits = countWaits(service);
    const old = await httpJson('POST', `${service.url}/budgets`, {
      token: issuer.token(oldId()),
      body: { amount: '1', period: 'daily' },
    });
    waits.stop();
    expect(old.body).toMatchObject({ currency: 'USD', start_date: '2026-03-09' });
    expect(waits.count).toBe(0);
  });

  it('answers 404 for a fresh id whose event never comes, once the bounded wait is over', async () => {
    const { token } = await registeredUser();
    // Minted long enough ago that only a moment of the bound is left.
    const category = idMintedAgo(WAIT_MS - 300);
    const waits = countWaits(service);
    const res = await httpJson('POST', `${service.url}/budgets`, {
      token,
      body: { amount: '1', period: 'daily', category_id: category },
    });
    waits.stop();
    expect(res.status).toBe(404);
    expect(res.body.errors[0].field).toBe('body.category_id');
    expect(waits.count).toBe(1);
  });

  it('holds no lock while waiting: a deletion applied meanwhile wins, and the write is refused', async () => {
    const { id, token } = await registeredUser();
    const category = newId();
    const started = Date.now();
    const post = httpJson('POST', `${service.url}/budgets`, {
      token,
      body: { amount: '1', period: 'daily', category_id: category },
    });
    await waitFor(() => service.consumer.events.listenerCount('applied') > 0 && Date.now() - started >= 200, {
      description: 'the request to wait for the category',
    });
    // Had the waiting request held the user's lock, the deletion would wait for it to give up.
    expect(await service.consumer.apply(userDeleted(id))).toBe(true);
    // The category's event ends the wait (it is another user's now that this one is gone).
    await service.consumer.apply(categoryEvent('ledger.category.created', newId(), category));
    const res = await post;
    expect(res.status).toBe(401);
    const [row] = await service.dataSource.query(
      `SELECT count(*)::int AS n FROM budgets WHERE user_id = $1`,
      [id],
    );
    expect(row.n).toBe(0);
  });
});
