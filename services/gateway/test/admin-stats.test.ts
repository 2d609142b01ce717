import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import {
  TestTokenIssuer,
  httpJson,
  startHttpServer,
  testLogger,
  type RunningServer,
} from '@finance/shared/testing';
import { TEST_AUDIENCE, TEST_ISSUER } from '@finance/shared/testing';
import { buildApp } from '../src/app';
import { closedPortUrl, gatewayConfig } from './upstreams';

interface FakeService extends RunningServer {
  /** Paths that reached the service other than /internal/stats and /openapi.json. */
  proxied: string[];
}

/** A service that answers its /internal/stats with `stats` (or `answer` decides), and records what else reaches it. */
async function fakeService(
  name: string,
  stats: Record<string, unknown> | ((res: ServerResponse) => void),
): Promise<FakeService> {
  const proxied: string[] = [];
  const server = await startHttpServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.url === '/internal/stats') {
      if (typeof stats === 'function') return stats(res);
      return res.end(JSON.stringify({ service: name, ...stats }));
    }
    if (req.url === '/openapi.json' || req.url?.startsWith('/internal/')) {
      res.statusCode = 404;
      return res.end('{}');
    }
    proxied.push(req.url ?? '');
    res.end(JSON.stringify({ service: name }));
  });
  return Object.assign(server, { proxied });
}

const outbox = (pending: number) => ({ pending, oldest_pending_seconds: pending ? 12.5 : 0 });

describe('gateway: GET /admin/stats and the admin role on /admin/*', () => {
  const issuer = new TestTokenIssuer();
  const services: FakeService[] = [];
  let gateway: RunningServer;
  let auth: FakeService;
  let adminToken: string;
  let userToken: string;

  beforeAll(async () => {
    await issuer.start();
    adminToken = issuer.token(randomUUID(), { role: 'admin' });
    userToken = issuer.token(randomUUID());
    auth = await fakeService('auth', {
      outbox: outbox(2),
      dead_letters: 0,
      counts: { users: 42, active_users: 40, active_admins: 1 },
    });
    const ledger = await fakeService('ledger', {
      outbox: outbox(1),
      dead_letters: 3,
      counts: { transactions: 1234 },
    });
    const budgets = await fakeService('budgets', { outbox: outbox(0), dead_letters: null, counts: {} });
    const goals = await fakeService('goals', { outbox: outbox(0), dead_letters: 1, counts: {} });
    // Answers something that is not stats.
    const reports = await fakeService('reports', (res) => res.end(JSON.stringify({ hello: 'world' })));
    services.push(auth, ledger, budgets, goals, reports);
    gateway = await startHttpServer(
      buildApp(
        gatewayConfig({
          JWKS_URL: issuer.jwksUrl,
          JWT_ISSUER: TEST_ISSUER,
          JWT_AUDIENCE: TEST_AUDIENCE,
          AUTH_URL: auth.url,
          LEDGER_URL: ledger.url,
          BUDGETS_URL: budgets.url,
          GOALS_URL: goals.url,
          REPORTS_URL: reports.url,
          NOTIFIER_URL: await closedPortUrl(), // down
          PROBE_TIMEOUT_MS: '1000',
        }),
        { logger: testLogger('gateway'), revocations: false },
      ),
    );
  });
  afterAll(async () => {
    await gateway?.close();
    for (const service of services) await service.close();
    await issuer.stop();
  });

  it('gathers users, transactions, outboxes and dead letters from every service, naming those that did not answer', async () => {
    const res = await httpJson('GET', `${gateway.url}/admin/stats`, { token: adminToken });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.body).toMatchObject({
      users: 42,
      transactions: 1234,
      outbox_pending: 3,
      dead_letters: 4,
      complete: false,
    });
    const byName = Object.fromEntries(
      (res.body.services as Array<{ service: string }>).map((entry) => [entry.service, entry]),
    );
    expect(byName.auth).toEqual({
      service: 'auth',
      status: 'up',
      outbox: { pending: 2, oldest_pending_seconds: 12.5 },
      dead_letters: 0,
      counts: { users: 42, active_users: 40, active_admins: 1 },
    });
    expect(byName.budgets).toMatchObject({ status: 'up', dead_letters: null });
    expect(byName.reports).toEqual({ service: 'reports', status: 'unavailable', reason: 'malformed answer' });
    expect(byName.notifier).toEqual({ service: 'notifier', status: 'unavailable', reason: 'unreachable' });
    // Answered by the gateway itself: no service saw the request.
    for (const service of services) expect(service.proxied).not.toContain('/admin/stats');
  });

  it('refuses a user with 403 problem+json on every /admin path, before any service sees it', async () => {
    for (const [method, path] of [
      ['GET', '/admin/stats'],
      ['GET', '/admin/users'],
      ['PATCH', `/admin/users/${randomUUID()}`],
      ['GET', '/admin/audit'],
    ]) {
      const res = await httpJson(method, `${gateway.url}${path}`, {
        token: userToken,
        body: method === 'PATCH' ? {} : undefined,
      });
      expect(res.status).toBe(403);
      expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
      expect((await httpJson(method, `${gateway.url}${path}`)).status).toBe(401);
    }
    expect(auth.proxied).toEqual([]);
  });

  it('passes an admin’s other /admin requests on to auth', async () => {
    const res = await httpJson('GET', `${gateway.url}/admin/users?limit=5`, { token: adminToken });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ service: 'auth' });
    expect(auth.proxied).toEqual(['/admin/users?limit=5']);
  });

  it('refuses unknown query parameters with 400 naming them', async () => {
    const res = await httpJson('GET', `${gateway.url}/admin/stats?verbose=1`, { token: adminToken });
    expect(res.status).toBe(400);
    expect(res.body.errors[0].field).toBe('query.verbose');
  });

  it('documents GET /admin/stats in the merged OpenAPI document', async () => {
    const doc = (await httpJson('GET', `${gateway.url}/openapi.json`)).body;
    expect(doc.paths['/admin/stats'].get).toMatchObject({ tags: ['admin'] });
    expect(doc.paths['/admin/stats'].get.responses).toHaveProperty('401');
  });
});
