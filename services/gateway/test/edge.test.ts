import { randomUUID } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { UPSTREAM_KEEP_ALIVE_MS } from '@finance/shared';
import {
  TEST_AUDIENCE,
  TEST_ISSUER,
  TestTokenIssuer,
  httpJson,
  startHttpServer,
  testLogger,
  waitFor,
  type RunningServer,
} from '@finance/shared/testing';
import { buildApp } from '../src/app';
import type { RunningGateway } from '../src/main';
import {
  gatewayConfig,
  manyHeaders,
  rawExchange,
  startRecordingUpstream,
  startTestGateway,
  type RawAnswer,
  type RecordingUpstream,
} from './upstreams';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** What every answer the gateway writes itself carries, on a socket or through express. */
function expectGatewayProblem(answer: RawAnswer, status: number) {
  expect({ status: answer.status, type: answer.headers['content-type'] }).toEqual({
    status,
    type: expect.stringContaining('application/problem+json'),
  });
  expect(answer.json).toMatchObject({ status, title: expect.any(String), detail: expect.any(String) });
  expect(answer.headers['x-request-id']).toMatch(UUID);
  expect(answer.json.request_id).toBe(answer.headers['x-request-id']);
  expect(answer.headers['cache-control']).toBe('no-store');
  // The same security headers as every other answer of the gateway.
  expect(answer.headers['x-content-type-options']).toBe('nosniff');
  expect(answer.headers['content-security-policy']).toContain("default-src 'self'");
  expect(answer.headers['strict-transport-security']).toContain('max-age=');
  expect(answer.headers['x-frame-options']).toBe('SAMEORIGIN');
}

const get = (path: string, extra = '') =>
  `GET ${path} HTTP/1.1\r\nHost: gw\r\n${extra}Connection: close\r\n\r\n`;

describe('the edge: limits and answers Node would give bare', () => {
  const issuer = new TestTokenIssuer();
  let token: string;
  let auth: RecordingUpstream;
  let ledger: RecordingUpstream;
  let gateway: RunningGateway;
  let common: Record<string, string>;

  beforeAll(async () => {
    await issuer.start();
    token = issuer.token(randomUUID());
    auth = await startRecordingUpstream('auth');
    ledger = await startRecordingUpstream('ledger', {
      openapi: {
        openapi: '3.1.0',
        info: { title: 'ledger', version: '1' },
        paths: {
          '/accounts': { get: { responses: { 200: { description: 'ok' } } }, post: { responses: {} } },
          '/accounts/{id}': {
            get: { responses: {} },
            put: { responses: {} },
            patch: { responses: {} },
            delete: { responses: {} },
          },
          '/accounts/summary': { get: { responses: {} } },
        },
      },
    });
    common = {
      JWKS_URL: issuer.jwksUrl,
      JWT_ISSUER: TEST_ISSUER,
      JWT_AUDIENCE: TEST_AUDIENCE,
      AUTH_URL: auth.url,
      LEDGER_URL: ledger.url,
    };
    gateway = await startTestGateway({ ...common, HEADERS_TIMEOUT_MS: '300', REQUEST_TIMEOUT_MS: '2000' });
  });

  afterAll(async () => {
    await gateway?.stop();
    await Promise.all([auth.close(), ledger.close(), issuer.stop()]);
  });

  describe('metrics', () => {
    it('serves Prometheus metrics on the metrics port only; the public port answers 404 problem+json', async () => {
      await httpJson('GET', `${gateway.url}/accounts`, { token });
      const scraped = await fetch(`${gateway.metricsUrl}/metrics`);
      expect(scraped.status).toBe(200);
      expect(scraped.headers.get('content-type')).toContain('text/plain');
      expect(await scraped.text()).toMatch(
        /gateway_upstream_duration_seconds_count\{upstream="ledger",method="GET",status="200"\}/,
      );
      for (const headers of [{}, { authorization: `Bearer ${token}` }] as Array<Record<string, string>>) {
        const pub = await httpJson('GET', `${gateway.url}/metrics`, { headers });
        expect(pub.status).toBe(404);
        expect(pub.headers.get('content-type')).toContain('application/problem+json');
        expect(JSON.stringify(pub.body)).not.toContain('gateway_upstream_duration_seconds');
      }
      const other = await httpJson('GET', `${gateway.metricsUrl}/accounts`);
      expect(other.status).toBe(404);
      expect(gateway.metricsUrl).not.toBe(gateway.url);
    });

    it('listens on every interface with HOST and METRICS_HOST "*"', async () => {
      const everywhere = await startTestGateway({ ...common, HOST: '*', METRICS_HOST: '*' });
      try {
        expect(everywhere.server.address()).toMatchObject({
          address: expect.stringMatching(/^(::|0\.0\.0\.0)$/),
        });
        expect((await httpJson('GET', `${everywhere.url}/healthz`)).status).toBe(200);
        expect((await fetch(`${everywhere.metricsUrl}/metrics`)).status).toBe(200);
      } finally {
        await everywhere.stop();
      }
    });

    it('refuses a METRICS_PORT equal to PORT', () => {
      expect(() => gatewayConfig({ PORT: '8080', METRICS_PORT: '8080' })).toThrow(/METRICS_PORT/);
    });
  });

  describe("malformed HTTP, refused by Node's parser", () => {
    it.each([
      ['bytes that are not HTTP', 'NOT HTTP AT ALL\r\n\r\n', 400],
      ['a bad Content-Length', 'POST /auth/login HTTP/1.1\r\nHost: gw\r\nContent-Length: abc\r\n\r\n', 400],
      [
        'Content-Length with Transfer-Encoding',
        'POST /auth/login HTTP/1.1\r\nHost: gw\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
        400,
      ],
      ['a URL over the header size limit', get(`/accounts?q=${'x'.repeat(13_000)}`), 431],
      ['one header over the size limit', get('/accounts', `x-big: ${'y'.repeat(13_000)}\r\n`), 431],
      ['2000 header fields (over the size limit too)', get('/accounts', manyHeaders(2000)), 431],
    ])(
      'answers %s with a problem+json carrying the security headers and a request id',
      async (_name, bytes, status) => {
        expectGatewayProblem(await rawExchange(gateway.url, bytes), status);
      },
    );

    it('answers a client that trickles its headers with 408 once HEADERS_TIMEOUT_MS has passed', async () => {
      expect(gateway.server.headersTimeout).toBe(300);
      expect(gateway.server.requestTimeout).toBe(2000);
      expect(gateway.server.keepAliveTimeout).toBe(UPSTREAM_KEEP_ALIVE_MS);
      const answer = await rawExchange(gateway.url, 'GET /healthz HTTP/1.1\r\nHost: gw\r\nX-Slow: ');
      expectGatewayProblem(answer, 408);
    });

    it('keeps the defaults deliberate: 10 s for headers, 120 s for a whole request', () => {
      const config = gatewayConfig({});
      expect([config.HEADERS_TIMEOUT_MS, config.REQUEST_TIMEOUT_MS]).toEqual([10_000, 120_000]);
      expect(() => gatewayConfig({ HEADERS_TIMEOUT_MS: '5000', REQUEST_TIMEOUT_MS: '1000' })).toThrow(
        /HEADERS_TIMEOUT_MS/,
      );
    });
  });

  describe('what Node would answer bare or let through', () => {
    it.each([101, 993, 1000, 1300])(
      'answers %i header fields with 431 problem+json and sends nothing on',
      async (count) => {
        const before = ledger.received.length;
        // Authorization last, where a truncating parser would have dropped it.
        const answer = await rawExchange(
          gateway.url,
          get('/accounts', `${manyHeaders(count - 3)}Authorization: Bearer ${token}\r\n`),
        );
        expectGatewayProblem(answer, 431);
        expect(answer.json.detail).toContain('100 header fields');
        expect(ledger.received).toHaveLength(before);
      },
    );

    it('serves a request with exactly MAX_REQUEST_HEADERS header fields', async () => {
      const answer = await rawExchange(
        gateway.url,
        get('/accounts', `${manyHeaders(97)}Authorization: Bearer ${token}\r\n`),
      );
      expect(answer.status).toBe(200);
      expect(ledger.received.at(-1)?.headers.x96).toBe('v');
    });

    it('also refuses too many header fields when the app runs on a plain Node server', async () => {
      const plain: RunningServer = await startHttpServer(
        buildApp(gatewayConfig(common), { logger: testLogger(), revocations: false }),
      );
      try {
        const answer = await rawExchange(plain.url, get('/accounts', manyHeaders(993)));
        expect(answer.status).toBe(431);
        expect(answer.headers['content-type']).toContain('application/problem+json');
      } finally {
        await plain.close();
      }
    });

    it('answers an HTTP/1.1 request without Host with 400 problem+json', async () => {
      const answer = await rawExchange(gateway.url, 'GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n');
      expectGatewayProblem(answer, 400);
      expect(answer.json.detail).toContain('Host');
    });

    it('answers an Expect other than 100-continue with 417 problem+json', async () => {
      const answer = await rawExchange(gateway.url, get('/healthz', 'Expect: something-else\r\n'));
      expectGatewayProblem(answer, 417);
    });

    it('answers CONNECT with 405 problem+json', async () => {
      const answer = await rawExchange(
        gateway.url,
        'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n',
      );
      expectGatewayProblem(answer, 405);
    });
  });

  describe('connections per client address', () => {
    it('answers connections over MAX_CONNECTIONS_PER_CLIENT with 429 and closes them, and serves again once one closes', async () => {
      const capped = await startTestGateway({ ...common, MAX_CONNECTIONS_PER_CLIENT: '3' });
      const held: Socket[] = [];
      try {
        const url = new URL(capped.url);
        for (let i = 0; i < 3; i++) {
          const socket = connect(Number(url.port), url.hostname);
          await new Promise((resolve) => socket.once('connect', resolve));
          held.push(socket);
        }
        // The fourth sends nothing: the gateway answers before any request, then closes.
        const refused = await rawExchange(capped.url, '');
        expectGatewayProblem(refused, 429);
        expect(refused.headers['retry-after']).toBe('1');
        held.pop()?.destroy();
        const served = await waitFor(async () => {
          const answer = await rawExchange(capped.url, get('/healthz'));
          return answer.status === 200 ? answer : undefined;
        });
        expect(served.json).toEqual({ status: 'ok' });
      } finally {
        for (const socket of held) socket.destroy();
        await capped.stop();
      }
    });
  });

  describe('OPTIONS', () => {
    it('answers OPTIONS itself with 204 and Allow from the merged OpenAPI document, never proxying it', async () => {
      const before = ledger.received.length;
      const cases: Array<[string, string]> = [
        ['/accounts', 'GET, POST, HEAD, OPTIONS'],
        ['/accounts/3f1c', 'GET, PUT, DELETE, PATCH, HEAD, OPTIONS'],
        ['/accounts/summary', 'GET, HEAD, OPTIONS'],
        ['/healthz', 'GET, HEAD, OPTIONS'],
        ['/docs/', 'GET, HEAD, OPTIONS'],
      ];
      for (const [path, allow] of cases) {
        for (const headers of [{ authorization: `Bearer ${token}` }, {}] as Array<Record<string, string>>) {
          const res = await fetch(`${gateway.url}${path}`, { method: 'OPTIONS', headers });
          expect({ path, status: res.status, allow: res.headers.get('allow') }).toEqual({
            path,
            status: 204,
            allow,
          });
          expect(res.headers.get('cache-control')).toBe('no-store');
        }
      }
      expect(ledger.received).toHaveLength(before);
    });

    it('answers OPTIONS on a path no one documents with 404 problem+json', async () => {
      for (const path of ['/accounts/1/unknown', '/nowhere', '/metrics', '/users/me']) {
        const res = await httpJson('OPTIONS', `${gateway.url}${path}`, { token });
        expect({ path, status: res.status }).toEqual({ path, status: 404 });
        expect(res.headers.get('content-type')).toContain('application/problem+json');
      }
      expect(auth.received.filter((r) => r.method === 'OPTIONS')).toHaveLength(0);
    });
  });
});
