import { newId, type FinanceEvent } from '@finance/shared';
import { TestTokenIssuer, httpJson, startTestService, type TestService } from '@finance/shared/testing';
import { parseEvent } from '@finance/shared';
import notifier from '../src/service';

/** An auth.user.* event as auth publishes it. */
function userEvent(
  type: 'auth.user.registered' | 'auth.user.deleted',
  userId: string,
  version: number,
): FinanceEvent {
  return parseEvent({
    id: newId(),
    type,
    version: 1,
    occurredAt: new Date().toISOString(),
    userId,
    correlationId: 'test',
    aggregateId: userId,
    aggregateVersion: version,
    payload:
      type === 'auth.user.deleted'
        ? {}
        : {
            email: 'ada@example.com',
            username: 'ada',
            baseCurrency: 'EUR',
            timezone: 'Europe/Berlin',
            role: 'user',
          },
  });
}

describe('notifier', () => {
  const issuer = new TestTokenIssuer();
  let service: TestService;

  beforeAll(async () => {
    await issuer.start();
    service = await startTestService(notifier, { env: { JWKS_URL: issuer.jwksUrl } });
  });
  afterAll(async () => {
    await service?.close();
    await issuer.stop();
  });

  it('is alive, ready and documents its API', async () => {
    expect((await httpJson('GET', `${service.url}/healthz`)).status).toBe(200);
    expect((await httpJson('GET', `${service.url}/readyz`)).status).toBe(200);
    const openapi = await httpJson('GET', `${service.url}/openapi.json`);
    expect(Object.keys(openapi.body.paths)).toContain('/notifications/items');
  });

  it('answers 401 without a token and keeps each user to their own items', async () => {
    expect((await httpJson('GET', `${service.url}/notifications/items`)).status).toBe(401);
    const [ada, bob] = [newId(), newId()];
    const created = await httpJson('POST', `${service.url}/notifications/items`, {
      token: issuer.token(ada),
      body: { name: 'First' },
    });
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe(`/notifications/items/${created.body.id}`);
    expect(created.headers.get('etag')).toBe('"1"');
    const mine = await httpJson('GET', `${service.url}/notifications/items`, { token: issuer.token(ada) });
    expect(mine.body.data.map((item: { name: string }) => item.name)).toEqual(['First']);
    const theirs = await httpJson('GET', `${service.url}/notifications/items/${created.body.id}`, {
      token: issuer.token(bob),
    });
    expect(theirs.status).toBe(404);
  });

  it('refuses bad input with a problem naming the field, and unknown fields', async () => {
    const res = await httpJson('POST', `${service.url}/notifications/items`, {
      token: issuer.token(newId()),
      body: { name: 'bell\u0007', role: 'admin' },
    });
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['body.name', 'body.role']);
  });

  it("purges a deleted user's items and refuses their token", async () => {
    const ada = newId();
    await service.consumer.apply(userEvent('auth.user.registered', ada, 1));
    await httpJson('POST', `${service.url}/notifications/items`, {
      token: issuer.token(ada),
      body: { name: 'Mine' },
    });
    await service.consumer.apply(userEvent('auth.user.deleted', ada, 2));
    const rows: unknown[] = await service.dataSource.query(`SELECT 1 FROM items WHERE user_id = $1`, [ada]);
    expect(rows).toHaveLength(0);
    await expect(
      httpJson('GET', `${service.url}/notifications/items`, { token: issuer.token(ada) }),
    ).resolves.toMatchObject({
      status: 401,
    });
  });
});
