import { generateKeyPairSync, randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import {
  TEST_AUDIENCE,
  TEST_ISSUER,
  TestTokenIssuer,
  httpJson,
  startHttpServer,
  testLogger,
  type RunningServer,
} from '@finance/shared/testing';
import { buildApp } from '../src/app';
import {
  closedPortUrl,
  gatewayConfig,
  rawRequest,
  startRecordingUpstream,
  type RecordingUpstream,
} from './upstreams';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A minimal service document, in the shape the shared OpenAPI builder produces. */
function serviceDocument(paths: string[], schemas: Record<string, unknown>) {
  return {
    openapi: '3.1.0',
    info: { title: 'svc', version: '1' },
    paths: Object.fromEntries(
      paths.map((p) => [
        p,
        {
          get: {
            summary: `get ${p}`,
            responses: {
              200: {
                description: 'ok',
                content: { 'application/json': { schema: { $ref: '#/components/schemas/Item' } } },
              },
            },
          },
        },
      ]),
    ),
    components: { schemas },
  };
}

const PROBLEM = { type: 'about:blank', title: 'Problem', status: 400 };

describe('gateway', () => {
  const issuer = new TestTokenIssuer();
  const userId = randomUUID();
  let token: string;
  const up: Record<string, RecordingUpstream> = {};
  let gateway: RunningServer;
  let degraded: RunningServer;
  let secretive: RunningServer;
  let strict: RunningServer;

  const totalReceived = () => Object.values(up).reduce((n, u) => n + u.received.length, 0);
  const chunk = (size: number) => 'x'.repeat(size);

  beforeAll(async () => {
    await issuer.start();
    token = issuer.token(userId);
    up.auth = await startRecordingUpstream('auth', {
      openapi: serviceDocument(['/auth/login', '/users/me', '/healthz-internal'], {
        Problem: PROBLEM,
        Item: { type: 'object', properties: { email: { type: 'string' } } },
      }),
    });
    up.ledger = await startRecordingUpstream('ledger', {
      openapi: serviceDocument(['/accounts', '/accounts/{id}'], {
        Problem: PROBLEM,
        Item: { type: 'object', properties: { amount: { type: 'string' } } },
      }),
      behaviour: (req, res) => {
        if (req.url === '/accounts/cached') {
          res.setHeader('cache-control', 'private, max-age=60');
          res.end('{"cached":true}');
          return true;
        }
        if (req.url !== '/accounts/missing') return false;
        res.statusCode = 404;
        res.setHeader('content-type', 'application/problem+json');
        res.end(
          JSON.stringify({
            type: 'about:blank',
            title: 'Not Found',
            status: 404,
            detail: 'Account not found',
          }),
        );
        return true;
      },
    });
    up.budgets = await startRecordingUpstream('budgets');
    up.reports = await startRecordingUpstream('reports');
    up.notifier = await startRecordingUpstream('notifier');
    // A service that never answers `/goals/slow` while the test runs.
    up.goals = await startRecordingUpstream('goals', { behaviour: (req) => req.url === '/goals/slow' });

    const common = { JWKS_URL: issuer.jwksUrl, JWT_ISSUER: TEST_ISSUER, JWT_AUDIENCE: TEST_AUDIENCE };
    gateway = await startHttpServer(
      buildApp(
        gatewayConfig({
          ...common,
          AUTH_URL: up.auth.url,
          LEDGER_URL: up.ledger.url,
          BUDGETS_URL: up.budgets.url,
          REPORTS_URL: up.reports.url,
          GOALS_URL: up.goals.url,
          NOTIFIER_URL: `${up.notifier.url}/`,
          UPSTREAM_TIMEOUT_MS: '300',
          BODY_LIMIT: '1kb',
          IMPORT_BODY_LIMIT: '4kb',
          CORS_ORIGINS: 'https://app.example.com, https://admin.example.com',
        }),
        { logger: testLogger('gateway') },
      ),
    );
    // The ledger is down and goals/notifier are not deployed.
    const down = await closedPortUrl();
    const degradedEnv = {
      ...common,
      AUTH_URL: up.auth.url,
      LEDGER_URL: down,
      BUDGETS_URL: up.budgets.url,
      REPORTS_URL: up.reports.url,
      GOALS_URL: '',
      NOTIFIER_URL: '',
    };
    degraded = await startHttpServer(buildApp(gatewayConfig(degradedEnv), { logger: testLogger('gateway') }));
    secretive = await startHttpServer(
      buildApp(
        gatewayConfig({
          ...common,
          AUTH_URL: up.auth.url,
          BUDGETS_URL: up.budgets.url,
          PROXY_SECRET: 'the-gateways-own-secret',
        }),
        { logger: testLogger('gateway') },
      ),
    );
    strict = await startHttpServer(
      buildApp(gatewayConfig({ ...degradedEnv, READYZ_REQUIRES_UPSTREAMS: 'true' }), {
        logger: testLogger('gateway'),
      }),
    );
  });

  afterAll(async () => {
    await Promise.all([gateway, degraded, strict, secretive].map((s) => s?.close()));
    await Promise.all(Object.values(up).map((u) => u.close()));
    await issuer.stop();
  });

  describe('routing', () => {
    it.each([
      ['/users/me', 'auth'],
      ['/users/me/password', 'auth'],
      ['/admin/users?limit=5', 'auth'],
      ['/accounts', 'ledger'],
      ['/accounts/3f1c?include=balance&x=a%20b', 'ledger'],
      ['/categories/7', 'ledger'],
      ['/transactions/convert?amount=12.34&from=USD&to=EUR', 'ledger'],
      ['/recurring', 'ledger'],
      ['/import/csv', 'ledger'],
      ['/currencies', 'ledger'],
      ['/exchange-rates?date=2024-01-31', 'ledger'],
      ['/budgets/1', 'budgets'],
      ['/analytics/budget-status?month=2024-01', 'budgets'],
      ['/goals/9/contributions', 'goals'],
      ['/notifications?unread=true', 'notifier'],
      ['/webhooks', 'notifier'],
      ['/analytics/spending?period=month', 'reports'],
      ['/analytics/budget-statusX', 'reports'],
      ['/export/csv?from=2024-01-01', 'reports'],
      ['/reports/monthly/2024-01', 'reports'],
    ])('GET %s goes to %s with path, query and token unchanged', async (path, service) => {
      const before = up[service].received.length;
      // /admin/* needs the admin role at the gateway already.
      const bearer = path.startsWith('/admin') ? issuer.token(userId, { role: 'admin' }) : token;
      const res = await httpJson('GET', `${gateway.url}${path}`, { token: bearer });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ service, method: 'GET', url: path });
      expect(up[service].received).toHaveLength(before + 1);
      expect(up[service].received.at(-1)?.headers.authorization).toBe(`Bearer ${bearer}`);
    });

    it('forwards a JSON body and its content type intact', async () => {
      const body = { amount: '12.34', currency: 'USD', description: 'Café ☕', tags: ['a', 'b'] };
      const res = await httpJson('POST', `${gateway.url}/transactions?dry_run=true`, { token, body });
      expect(res.status).toBe(200);
      expect(res.body.url).toBe('/transactions?dry_run=true');
      expect(JSON.parse(res.body.body)).toEqual(body);
      const seen = up.ledger.received.at(-1)!;
      expect(seen.method).toBe('POST');
      expect(seen.headers['content-type']).toBe('application/json');
      expect(JSON.parse(seen.body)).toEqual(body);
    });

    it('matches prefixes on whole segments only', async () => {
      const before = totalReceived();
      for (const path of ['/accountsX', '/authx/login', '/goalsmith', '/reportsy', '/users/meX']) {
        const res = await httpJson('GET', `${gateway.url}${path}`, { token });
        expect(res.status).toBe(404);
        expect(res.headers.get('content-type')).toContain('application/problem+json');
      }
      expect(totalReceived()).toBe(before);
    });

    it('refuses paths with dot segments instead of guessing where they lead', async () => {
      const before = totalReceived();
      for (const path of ['/accounts/%2e%2e/users/me', '/accounts/../admin/users', '/budgets/./x']) {
        const res = await rawRequest(gateway.url, {
          method: 'GET',
          path,
          headers: { authorization: `Bearer ${token}` },
        });
        expect({ path, status: res.status }).toEqual({ path, status: 400 });
      }
      expect(totalReceived()).toBe(before);
    });

    it('passes a service problem+json answer through untouched', async () => {
      const res = await httpJson('GET', `${gateway.url}/accounts/missing`, { token });
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      expect(res.body).toEqual({
        type: 'about:blank',
        title: 'Not Found',
        status: 404,
        detail: 'Account not found',
      });
    });

    it('answers 404 problem+json for a service that is not configured', async () => {
      const res = await httpJson('GET', `${degraded.url}/goals`, { token });
      expect(res.status).toBe(404);
      expect(res.body.status).toBe(404);
    });
  });

  describe('upstream failures', () => {
    it('answers 502 problem+json when the service refuses connections', async () => {
      const res = await httpJson('GET', `${degraded.url}/accounts`, {
        token,
        headers: { 'x-request-id': 'down-1' },
      });
      expect(res.status).toBe(502);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(res.body).toMatchObject({ status: 502, title: 'Bad Gateway', request_id: 'down-1' });
      expect(res.body.detail).toContain('ledger');
    });

    it('answers 504 problem+json when the service is slower than the timeout', async () => {
      const before = up.goals.received.length;
      const started = Date.now();
      const res = await httpJson('GET', `${gateway.url}/goals/slow`, { token });
      expect(res.status).toBe(504);
      expect(res.body).toMatchObject({ status: 504, title: 'Gateway Timeout' });
      expect(res.body.detail).toContain('goals');
      expect(Date.now() - started).toBeGreaterThanOrEqual(290);
      // It did reach the service: the gateway gave up waiting, it did not refuse to send.
      expect(up.goals.received).toHaveLength(before + 1);
    });
  });

  describe('authentication', () => {
    const otherKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const forged = () => ({
      'no token': undefined,
      'not a JWT': 'abc.def',
      expired: issuer.token(userId, { expiresInSeconds: -60 }),
      'bad signature': jwt.sign({ role: 'user' }, otherKey, {
        algorithm: 'RS256',
        keyid: issuer.kid,
        subject: userId,
        issuer: TEST_ISSUER,
        audience: TEST_AUDIENCE,
        expiresIn: 300,
      }),
      'alg none': `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT', kid: issuer.kid })).toString('base64url')}.${Buffer.from(
        JSON.stringify({
          sub: userId,
          role: 'admin',
          iss: TEST_ISSUER,
          aud: TEST_AUDIENCE,
          exp: Math.floor(Date.now() / 1000) + 300,
        }),
      ).toString('base64url')}.`,
      'wrong audience': jwt.sign({ role: 'user' }, otherKey, {
        algorithm: 'RS256',
        keyid: 'unknown-kid',
        subject: userId,
        audience: 'other',
      }),
      'HS256 with the public key': jwt.sign(
        { role: 'admin', sub: userId, iss: TEST_ISSUER, aud: TEST_AUDIENCE },
        'public-key-as-secret',
        { algorithm: 'HS256', keyid: issuer.kid },
      ),
    });

    it('never lets an unauthenticated request reach a service', async () => {
      const before = totalReceived();
      for (const [name, bad] of Object.entries(forged())) {
        for (const [method, path] of [
          ['GET', '/accounts'],
          ['POST', '/transactions'],
          ['GET', '/users/me'],
          ['GET', '/auth/login'],
          ['DELETE', '/users/me'],
          ['POST', '/auth/login/extra'],
        ]) {
          const res = await httpJson(method, `${gateway.url}${path}`, {
            token: bad,
            body: method === 'POST' ? {} : undefined,
          });
          expect({ name, method, path, status: res.status }).toEqual({ name, method, path, status: 401 });
          expect(res.headers.get('content-type')).toContain('application/problem+json');
          expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
        }
      }
      expect(totalReceived()).toBe(before);
    });

    it.each([
      ['POST', '/auth/register'],
      ['POST', '/auth/login'],
      ['POST', '/auth/refresh'],
      ['POST', '/auth/logout'],
      ['GET', '/.well-known/jwks.json'],
    ])('lets %s %s through without a token', async (method, path) => {
      const before = up.auth.received.length;
      const res = await httpJson(method, `${gateway.url}${path}`, {
        body: method === 'POST' ? { username: 'u' } : undefined,
      });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ service: 'auth', url: path });
      expect(up.auth.received).toHaveLength(before + 1);
    });

    it('passes the OAuth2 password form body of Swagger UI to the login unchanged', async () => {
      const form = 'grant_type=password&username=ana&password=s3cret%21pass';
      const res = await fetch(`${gateway.url}/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: form,
      });
      expect(res.status).toBe(200);
      const seen = up.auth.received.at(-1)!;
      expect(seen.body).toBe(form);
      expect(seen.headers['content-type']).toBe('application/x-www-form-urlencoded');
    });
  });

  describe('request ids and forwarding headers', () => {
    it('keeps a valid incoming request id and shows it to the service', async () => {
      const res = await httpJson('GET', `${gateway.url}/budgets`, {
        token,
        headers: { 'x-request-id': 'client-abc.123' },
      });
      expect(res.headers.get('x-request-id')).toBe('client-abc.123');
      expect(up.budgets.received.at(-1)?.headers['x-request-id']).toBe('client-abc.123');
    });

    it.each([
      ['missing', undefined],
      ['invalid', 'not valid; <script>'],
      ['too long', 'a'.repeat(200)],
    ])('generates a request id when the incoming one is %s', async (_case, incoming) => {
      const res = await httpJson('GET', `${gateway.url}/budgets`, {
        token,
        headers: incoming ? { 'x-request-id': incoming } : {},
      });
      const id = res.headers.get('x-request-id');
      expect(id).toMatch(UUID);
      expect(up.budgets.received.at(-1)?.headers['x-request-id']).toBe(id);
    });

    it('passes X-Forwarded-For with the client address, dropping what the client made up', async () => {
      await httpJson('GET', `${gateway.url}/budgets`, {
        token,
        headers: { 'x-forwarded-for': '6.6.6.6', 'x-forwarded-host': 'evil.example.com' },
      });
      const seen = up.budgets.received.at(-1)!;
      expect(seen.headers['x-forwarded-for']).toMatch(/^(::ffff:)?127\.0\.0\.1$/);
      expect(seen.headers['x-forwarded-host']).toBe(new URL(gateway.url).host);
    });

    it("sends the proxy secret when configured, and never a client's own", async () => {
      await httpJson('GET', `${gateway.url}/budgets`, {
        token,
        headers: { 'x-proxy-secret': 'made-up-by-client!' },
      });
      expect(up.budgets.received.at(-1)!.headers['x-proxy-secret']).toBeUndefined();
      await httpJson('GET', `${secretive.url}/budgets`, {
        token,
        headers: { 'x-proxy-secret': 'made-up-by-client!' },
      });
      expect(up.budgets.received.at(-1)!.headers['x-proxy-secret']).toBe('the-gateways-own-secret');
    });
  });

  describe('body size limit', () => {
    it('refuses a declared body over the limit before it reaches the service', async () => {
      const before = up.ledger.received.length;
      const res = await httpJson('POST', `${gateway.url}/transactions`, {
        token,
        body: { description: chunk(2000) },
      });
      expect(res.status).toBe(413);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(res.body.status).toBe(413);
      expect(up.ledger.received).toHaveLength(before);
    });

    it('allows larger bodies on /import', async () => {
      const ok = await httpJson('POST', `${gateway.url}/import/csv`, {
        token,
        body: chunk(3000),
        headers: { 'content-type': 'text/csv' },
      });
      expect(ok.status).toBe(200);
      expect(ok.body.body).toHaveLength(3000);
      const tooBig = await httpJson('POST', `${gateway.url}/import/csv`, {
        token,
        body: chunk(5000),
        headers: { 'content-type': 'text/csv' },
      });
      expect(tooBig.status).toBe(413);
    });

    it('stops a chunked body once it streams past the limit', async () => {
      const answer = await rawRequest(gateway.url, {
        method: 'POST',
        path: '/transactions',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'text/plain',
          'transfer-encoding': 'chunked',
        },
        chunks: [chunk(600), chunk(600), chunk(600)],
      });
      expect(answer.status).toBe(413);
      expect(JSON.parse(answer.body)).toMatchObject({ status: 413 });
    });
  });

  describe('CORS and security headers', () => {
    it('answers a preflight from an allowed origin without bothering a service', async () => {
      const before = totalReceived();
      const res = await fetch(`${gateway.url}/transactions`, {
        method: 'OPTIONS',
        headers: {
          origin: 'https://app.example.com',
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization,content-type',
        },
      });
      expect(res.status).toBe(204);
      expect(res.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
      expect(res.headers.get('access-control-allow-methods')).toContain('POST');
      expect(res.headers.get('access-control-allow-headers')).toContain('authorization');
      expect(totalReceived()).toBe(before);
    });

    it('answers a non-preflight OPTIONS itself with Allow, even with CORS configured', async () => {
      const before = totalReceived();
      const res = await fetch(`${gateway.url}/accounts/7`, {
        method: 'OPTIONS',
        headers: { authorization: `Bearer ${token}`, origin: 'https://app.example.com' },
      });
      expect(res.status).toBe(204);
      expect(res.headers.get('allow')).toBe('GET, HEAD, OPTIONS');
      expect(res.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
      expect(totalReceived()).toBe(before);
    });

    it('gives no CORS grant to another origin', async () => {
      const res = await fetch(`${gateway.url}/transactions`, {
        method: 'OPTIONS',
        headers: { origin: 'https://evil.example.com', 'access-control-request-method': 'POST' },
      });
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
    });

    it('adds CORS headers and security headers to proxied answers', async () => {
      const res = await fetch(`${gateway.url}/budgets`, {
        headers: { origin: 'https://admin.example.com', authorization: `Bearer ${token}` },
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('access-control-allow-origin')).toBe('https://admin.example.com');
      expect(res.headers.get('access-control-expose-headers')).toContain('x-request-id');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    });
  });

  describe('caching', () => {
    it("marks the gateway's own JSON answers and problems no-store", async () => {
      const answers = [
        await fetch(`${gateway.url}/healthz`),
        await fetch(`${gateway.url}/readyz`),
        await fetch(`${gateway.url}/openapi.json`),
        await fetch(`${gateway.url}/accounts`),
        await fetch(`${gateway.url}/nowhere`, { headers: { authorization: `Bearer ${token}` } }),
        await fetch(`${gateway.url}/metrics`),
        await fetch(`${gateway.url}/transactions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'text/plain' },
          body: chunk(2000),
        }),
        await fetch(`${degraded.url}/accounts`, { headers: { authorization: `Bearer ${token}` } }),
        await fetch(`${gateway.url}/goals/slow`, { headers: { authorization: `Bearer ${token}` } }),
      ];
      expect(answers.map((res) => res.status)).toEqual([200, 200, 200, 401, 404, 404, 413, 502, 504]);
      for (const res of answers) {
        expect({ url: res.url, cacheControl: res.headers.get('cache-control') }).toEqual({
          url: res.url,
          cacheControl: 'no-store',
        });
        await res.body?.cancel();
      }
      const dots = await rawRequest(gateway.url, {
        method: 'GET',
        path: '/accounts/../x',
        headers: { authorization: `Bearer ${token}` },
      });
      expect(dots.status).toBe(400);
      expect(dots.headers['cache-control']).toBe('no-store');
    });

    it("leaves proxied answers' caching to the service, and the docs assets cacheable", async () => {
      const plain = await fetch(`${gateway.url}/budgets`, { headers: { authorization: `Bearer ${token}` } });
      expect(plain.status).toBe(200);
      expect(plain.headers.get('cache-control')).toBeNull();
      const cached = await fetch(`${gateway.url}/accounts/cached`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(cached.headers.get('cache-control')).toBe('private, max-age=60');
      const css = await fetch(`${gateway.url}/docs/swagger-ui.css`);
      expect(css.status).toBe(200);
      expect(css.headers.get('cache-control')).not.toBe('no-store');
      await Promise.all([plain, cached, css].map((res) => res.body?.cancel()));
    });
  });

  describe('docs', () => {
    it('serves Swagger UI at /docs with its assets and a CSP that allows them', async () => {
      const redirect = await fetch(`${gateway.url}/docs`, { redirect: 'manual' });
      expect(redirect.status).toBe(301);
      expect(redirect.headers.get('location')).toBe('/docs/');
      const page = await fetch(`${gateway.url}/docs/`);
      expect(page.status).toBe(200);
      const html = await page.text();
      expect(html).toContain('swagger-ui');
      expect(html).not.toMatch(/src=["']https?:/);
      const csp = page.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toContain('upgrade-insecure-requests');
      const init = await fetch(`${gateway.url}/docs/swagger-ui-init.js`);
      expect(await init.text()).toContain('/openapi.json');
      const bundle = await fetch(`${gateway.url}/docs/swagger-ui-bundle.js`);
      expect(bundle.status).toBe(200);
      await bundle.body?.cancel();
    });

    it('serves one OpenAPI document merged from the services', async () => {
      const res = await httpJson('GET', `${gateway.url}/openapi.json`);
      expect(res.status).toBe(200);
      const doc = res.body;
      expect(doc.openapi).toBe('3.1.0');
      // The services' paths, and the gateway's own GET /admin/stats.
      expect(Object.keys(doc.paths)).toEqual([
        '/accounts',
        '/accounts/{id}',
        '/admin/stats',
        '/auth/login',
        '/users/me',
      ]);
      // Same name, different definitions: the later service's is prefixed and its refs follow.
      expect(doc.components.schemas.Item.properties).toHaveProperty('email');
      expect(doc.components.schemas.ledger_Item.properties).toHaveProperty('amount');
      expect(doc.paths['/accounts'].get.responses['200'].content['application/json'].schema.$ref).toBe(
        '#/components/schemas/ledger_Item',
      );
      expect(doc.paths['/users/me'].get.responses['200'].content['application/json'].schema.$ref).toBe(
        '#/components/schemas/Item',
      );
      expect(doc.components.schemas.ledger_Problem).toBeUndefined();
      expect(doc.components.securitySchemes.OAuth2Password.flows.password.tokenUrl).toBe('/auth/login');
      // budgets, goals, notifier and reports serve no document in this test.
      expect(doc.info.description).toContain('budgets');
      expect(doc.info.description).not.toContain('ledger');
    });

    it("adds the gateway's own answers to every operation of the merged document", async () => {
      const doc = (await httpJson('GET', `${gateway.url}/openapi.json`)).body;
      const statuses = ['401', '413', '429', '431', '502', '504'];
      for (const [path, item] of Object.entries<Record<string, any>>(doc.paths)) {
        for (const [method, operation] of Object.entries<any>(item)) {
          for (const status of statuses) {
            const response = operation.responses[status];
            expect({ path, method, status, ref: response?.$ref }).toEqual({
              path,
              method,
              status,
              ref: expect.stringMatching(/^#\/components\/responses\/Gateway/),
            });
            expect(doc.components.responses[response.$ref.split('/').pop()].content).toHaveProperty([
              'application/problem+json',
            ]);
          }
        }
      }
      expect(doc.components.responses.GatewayPayloadTooLarge.description).toContain('1 KB');
      expect(doc.components.responses.GatewayTimeout.description).toContain('0.3 s');
    });

    it('still serves the document when a service is down, saying which', async () => {
      const res = await httpJson('GET', `${degraded.url}/openapi.json`);
      expect(res.status).toBe(200);
      expect(Object.keys(res.body.paths)).toEqual(['/admin/stats', '/auth/login', '/users/me']);
      expect(res.body.info.description).toContain('ledger (unreachable)');
    });
  });

  describe('operations', () => {
    it('answers /healthz without a token, and /metrics not at all on the public port', async () => {
      expect((await httpJson('GET', `${gateway.url}/healthz`)).body).toEqual({ status: 'ok' });
      for (const token of [undefined, issuer.token(userId)]) {
        const metrics = await httpJson('GET', `${gateway.url}/metrics`, { token });
        expect(metrics.status).toBe(404);
        expect(metrics.headers.get('content-type')).toContain('application/problem+json');
      }
    });

    it('reports each service and the JWKS in /readyz', async () => {
      const ready = await httpJson('GET', `${gateway.url}/readyz`);
      expect(ready.status).toBe(200);
      expect(ready.body).toEqual({
        status: 'ready',
        checks: {
          jwks: 'up',
          auth: 'up',
          ledger: 'up',
          budgets: 'up',
          goals: 'up',
          notifier: 'up',
          reports: 'up',
        },
      });
      const res = await httpJson('GET', `${degraded.url}/readyz`);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        status: 'degraded',
        checks: { jwks: 'up', auth: 'up', ledger: 'down', budgets: 'up', reports: 'up' },
      });
      const strictAnswer = await httpJson('GET', `${strict.url}/readyz`);
      expect(strictAnswer.status).toBe(503);
      expect(strictAnswer.body.checks.ledger).toBe('down');
    });
  });
});
