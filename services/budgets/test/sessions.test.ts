import { TestTokenIssuer, httpJson, waitFor } from '@finance/shared/testing';
import {
  categoryEvent,
  newId,
  startBudgets,
  userDeleted,
  userRegistered,
  userUpdated,
  type BudgetsService,
} from './fixtures';

/**
 * Tokens auth has revoked since it signed them (`auth.user.updated` raising the session version or
 * deactivating the user, `auth.user.deleted`) answer 401 from budgets within seconds, and nothing
 * of a deleted user is stored, not even by a write racing the deletion.
 */
describe('budgets and revoked tokens', () => {
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

  /** A registered user (session version 0, as auth starts every user) with a category and a budget. */
  async function userWithBudget() {
    const id = newId();
    const category = newId();
    await service.consumer.apply(userRegistered(id, 'EUR', 'UTC'));
    await service.consumer.apply(categoryEvent('ledger.category.created', id, category));
    const token = issuer.token(id, { sessionVersion: 0 });
    const created = await httpJson('POST', `${service.url}/budgets`, {
      token,
      body: { amount: '10', period: 'monthly', category_id: category },
    });
    expect(created.status).toBe(201);
    return { id, category, token, budgetUrl: `${service.url}/budgets/${created.body.id as string}` };
  }

  const budgetsOf = async (userId: string) =>
    Number(
      (await service.dataSource.query(`SELECT count(*) AS n FROM budgets WHERE user_id = $1`, [userId]))[0].n,
    );

  /** Every route, with `token`: reads and writes alike. */
  function everyRoute(token: string, budgetUrl: string) {
    return [
      httpJson('GET', `${service.url}/budgets`, { token }),
      httpJson('GET', budgetUrl, { token }),
      httpJson('GET', `${service.url}/analytics/budget-status`, { token }),
      httpJson('POST', `${service.url}/budgets`, { token, body: { amount: '1', period: 'daily' } }),
      httpJson('PUT', budgetUrl, { token, body: { amount: '2', period: 'daily' } }),
      httpJson('PATCH', budgetUrl, { token, body: { amount: '3' } }),
      httpJson('DELETE', budgetUrl, { token }),
    ];
  }

  it('refuses tokens issued before auth raised the session version (logout-all, password change)', async () => {
    const { id, token, budgetUrl } = await userWithBudget();
    expect((await httpJson('GET', budgetUrl, { token })).status).toBe(200);
    await service.consumer.apply(
      userUpdated(id, 2, { baseCurrency: 'EUR', timezone: 'UTC', sessionVersion: 1 }),
    );
    await waitFor(async () => (await httpJson('GET', budgetUrl, { token })).status === 401, {
      description: 'the revoked token to be refused',
    });
    const answers = await Promise.all(everyRoute(token, budgetUrl));
    expect(answers.map((r) => r.status)).toEqual([401, 401, 401, 401, 401, 401, 401]);
    expect(answers[0].headers.get('www-authenticate')).toContain('invalid_token');
    // Nothing changed: the budget is as it was, and the user's new token works.
    const fresh = issuer.token(id, { sessionVersion: 1 });
    const got = await httpJson('GET', budgetUrl, { token: fresh });
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({ amount: '10.00', version: 1 });
    expect(await budgetsOf(id)).toBe(1);
  });

  it('refuses every token of a deactivated user, and stores nothing for them', async () => {
    const { id, token, budgetUrl } = await userWithBudget();
    await service.consumer.apply(
      userUpdated(id, 2, { baseCurrency: 'EUR', timezone: 'UTC', isActive: false }),
    );
    await waitFor(async () => (await httpJson('GET', budgetUrl, { token })).status === 401, {
      description: "the deactivated user's token to be refused",
    });
    const answers = await Promise.all(everyRoute(token, budgetUrl));
    expect(answers.map((r) => r.status)).toEqual([401, 401, 401, 401, 401, 401, 401]);
    expect(await budgetsOf(id)).toBe(1);
  });

  it('answers 401 to a deleted user at once, on every write, and keeps nothing of them', async () => {
    const { id, token, budgetUrl } = await userWithBudget();
    // A request a moment ago: the service still trusts what it read of the user's sessions (≤ 1 s),
    // so the writes below are refused by the user lock every write takes, not only by authentication.
    expect((await httpJson('GET', budgetUrl, { token })).status).toBe(200);
    expect(await service.consumer.apply(userDeleted(id))).toBe(true);
    const writes = await Promise.all([
      httpJson('POST', `${service.url}/budgets`, { token, body: { amount: '1', period: 'daily' } }),
      httpJson('PUT', budgetUrl, { token, body: { amount: '2', period: 'daily' } }),
      httpJson('PATCH', budgetUrl, { token, body: { amount: '3' } }),
      httpJson('DELETE', budgetUrl, { token }),
    ]);
    expect(writes.map((r) => r.status)).toEqual([401, 401, 401, 401]);
    for (const res of writes) expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(await budgetsOf(id)).toBe(0);
    await waitFor(async () => (await httpJson('GET', `${service.url}/budgets`, { token })).status === 401, {
      description: "the deleted user's token to be refused on reads too",
    });
    const answers = await Promise.all(everyRoute(token, budgetUrl));
    expect(answers.map((r) => r.status)).toEqual([401, 401, 401, 401, 401, 401, 401]);
    expect(await budgetsOf(id)).toBe(0);
  });

  it('leaves nothing of a deleted user when writes race the deletion', async () => {
    for (let round = 0; round < 3; round++) {
      const { id, token, category } = await userWithBudget();
      const post = () =>
        httpJson('POST', `${service.url}/budgets`, {
          token,
          body: { amount: '1', period: 'daily', category_id: category },
        });
      const first = post();
      const racing = Array.from({ length: 8 }, post);
      await first;
      // The deletion lands while the other writes are in flight: each either committed before it
      // (and is purged by it) or is refused; none survives it.
      const [deleted, ...answers] = await Promise.all([
        service.consumer.apply(userDeleted(id)),
        ...racing,
        ...Array.from({ length: 4 }, post),
      ]);
      expect(deleted).toBe(true);
      for (const res of answers) expect([201, 401]).toContain(res.status);
      expect(await budgetsOf(id)).toBe(0);
      const rest = await Promise.all(Array.from({ length: 3 }, post));
      expect(rest.map((r) => r.status)).toEqual([401, 401, 401]);
      expect(await budgetsOf(id)).toBe(0);
    }
  });
});
