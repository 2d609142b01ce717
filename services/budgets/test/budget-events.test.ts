import { TestTokenIssuer, httpJson } from '@finance/shared/testing';
import {
  categoryDeleted,
  categoryEvent,
  newId,
  startBudgets,
  userDeleted,
  userRegistered,
  type BudgetsService,
} from './fixtures';

interface Published {
  type: string;
  envelope: {
    userId: string;
    aggregateId: string;
    aggregateVersion: number;
    occurredAt: string;
    payload: Record<string, unknown>;
  };
}

describe('budgets.budget.changed / deleted: a budget’s definition, through the outbox', () => {
  const issuer = new TestTokenIssuer();
  const now = new Date('2026-03-09T10:00:00Z');
  let service: BudgetsService;

  beforeAll(async () => {
    await issuer.start();
    service = await startBudgets(issuer, { clock: () => now });
  });

  afterAll(async () => {
    await service?.close();
    await issuer.stop();
  });

  /** This budget's (or this user's) budget-definition events, in publishing order. */
  async function published(filter: { aggregateId?: string; userId?: string }): Promise<Published[]> {
    const [field, value] = filter.aggregateId
      ? ['aggregateId', filter.aggregateId]
      : ['userId', filter.userId ?? ''];
    return service.dataSource.query(
      `SELECT type, envelope FROM outbox
       WHERE envelope->>'${field}' = $1 AND type IN ('budgets.budget.changed', 'budgets.budget.deleted')
       ORDER BY position`,
      [value],
    );
  }

  async function newUser(): Promise<{ userId: string; token: string; category: string }> {
    const userId = newId();
    const category = newId();
    await service.consumer.apply(userRegistered(userId, 'EUR', 'Europe/Berlin'));
    await service.consumer.apply(categoryEvent('ledger.category.created', userId, category));
    return { userId, token: issuer.token(userId), category };
  }

  it('publishes each create, change and delete once, with the definition and its version', async () => {
    const { userId, token, category } = await newUser();
    const created = await httpJson('POST', `${service.url}/budgets`, {
      token,
      body: {
        name: 'Food',
        category_id: category,
        amount: '450.5',
        period: 'monthly',
        start_date: '2026-01-25',
      },
    });
    expect(created.status).toBe(201);
    const id: string = created.body.id;

    const patched = await httpJson('PATCH', `${service.url}/budgets/${id}`, {
      token,
      body: { amount: '500', rollover: true },
    });
    expect(patched.status).toBe(200);
    // A change that changes nothing publishes nothing.
    expect(
      (await httpJson('PATCH', `${service.url}/budgets/${id}`, { token, body: { amount: '500.00' } })).status,
    ).toBe(200);
    expect((await httpJson('DELETE', `${service.url}/budgets/${id}`, { token })).status).toBe(204);

    const events = await published({ aggregateId: id });
    expect(events.map((e) => [e.type, e.envelope.aggregateVersion])).toEqual([
      ['budgets.budget.changed', 1],
      ['budgets.budget.changed', 2],
      ['budgets.budget.deleted', 3],
    ]);
    const definition = {
      name: 'Food',
      categoryId: category,
      currency: 'EUR',
      period: 'monthly',
      startDate: '2026-01-25',
      endDate: null,
    };
    expect(events[0].envelope).toMatchObject({
      userId,
      aggregateId: id,
      occurredAt: now.toISOString(),
      payload: { ...definition, amount: '450.50', rollover: false },
    });
    expect(events[1].envelope.payload).toEqual({ ...definition, amount: '500.00', rollover: true });
    // The deletion carries the last definition.
    expect(events[2].envelope.payload).toEqual({ ...definition, amount: '500.00', rollover: true });
  });

  it('publishes nothing for a refused change', async () => {
    const { token } = await newUser();
    const created = await httpJson('POST', `${service.url}/budgets`, {
      token,
      body: { amount: '10', period: 'weekly' },
    });
    const id: string = created.body.id;
    const stale = await httpJson('PUT', `${service.url}/budgets/${id}`, {
      token,
      headers: { 'if-match': '"7"' },
      body: { amount: '20', period: 'weekly' },
    });
    expect(stale.status).toBe(412);
    expect((await published({ aggregateId: id })).map((e) => e.envelope.aggregateVersion)).toEqual([1]);
  });

  it('follows a deleted category: moved budgets are changed, removed ones deleted', async () => {
    const { userId, token, category } = await newUser();
    const other = newId();
    const target = newId();
    await service.consumer.apply(categoryEvent('ledger.category.created', userId, other));
    await service.consumer.apply(categoryEvent('ledger.category.created', userId, target));
    const make = async (categoryId: string) =>
      (
        await httpJson('POST', `${service.url}/budgets`, {
          token,
          body: { category_id: categoryId, amount: '100', period: 'monthly', start_date: '2026-03-01' },
        })
      ).body.id as string;
    const moved = await make(category);
    const removed = await make(other);

    await service.consumer.apply(categoryDeleted(userId, category, target));
    await service.consumer.apply(categoryDeleted(userId, other, null));

    const movedEvents = await published({ aggregateId: moved });
    expect(movedEvents.map((e) => [e.type, e.envelope.aggregateVersion])).toEqual([
      ['budgets.budget.changed', 1],
      ['budgets.budget.changed', 2],
    ]);
    expect(movedEvents[1].envelope.payload).toMatchObject({ categoryId: target, amount: '100.00' });
    const removedEvents = await published({ aggregateId: removed });
    expect(removedEvents.map((e) => [e.type, e.envelope.aggregateVersion])).toEqual([
      ['budgets.budget.changed', 1],
      ['budgets.budget.deleted', 2],
    ]);
    expect(removedEvents[1].envelope.payload).toMatchObject({ categoryId: other, amount: '100.00' });
  });

  it('publishes no per-budget event when the user is purged (consumers purge on auth.user.deleted)', async () => {
    const { userId, token } = await newUser();
    await httpJson('POST', `${service.url}/budgets`, { token, body: { amount: '10', period: 'daily' } });
    await service.consumer.apply(userDeleted(userId));
    const events = await published({ userId });
    expect(events.map((e) => e.type)).toEqual(['budgets.budget.changed']);
    expect(
      await service.dataSource.query(`SELECT count(*)::int AS n FROM budgets WHERE user_id = $1`, [userId]),
    ).toEqual([{ n: 0 }]);
  });
});
