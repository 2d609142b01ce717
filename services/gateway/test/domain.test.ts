import { parseConfig, ConfigError } from '@finance/shared';
import { gatewayConfigSchema, upstreamsOf } from '../src/config';
import { parseByteSize } from '../src/domain/byte-size';
import { trustedForwardedFor } from '../src/domain/forwarded-for';
import { documentedMethods, withGatewayAnswers, type EdgeLimits } from '../src/domain/gateway-answers';
import { mergeOpenApiDocuments, serviceDocumentSchema } from '../src/domain/openapi-merge';
import { RevocationList } from '../src/domain/revocation-list';
import {
  buildRouteTable,
  hasDotSegments,
  isCredentialRoute,
  isPublicRoute,
  matchesPrefix,
  resolveUpstream,
} from '../src/domain/route-table';

describe('route table', () => {
  const table = buildRouteTable([
    { name: 'auth', url: 'http://auth' },
    { name: 'budgets', url: 'http://budgets' },
    { name: 'reports', url: 'http://reports' },
  ]);

  it('matches prefixes on segment boundaries', () => {
    expect(matchesPrefix('/accounts', '/accounts')).toBe(true);
    expect(matchesPrefix('/accounts/1', '/accounts')).toBe(true);
    expect(matchesPrefix('/accounts/', '/accounts')).toBe(true);
    expect(matchesPrefix('/accountsX', '/accounts')).toBe(false);
    expect(matchesPrefix('/account', '/accounts')).toBe(false);
  });

  it('prefers the longest prefix and leaves unconfigured services unrouted', () => {
    expect(resolveUpstream(table, '/analytics/budget-status')?.name).toBe('budgets');
    expect(resolveUpstream(table, '/analytics/budget-status/x')?.name).toBe('budgets');
    expect(resolveUpstream(table, '/analytics/spending')?.name).toBe('reports');
    expect(resolveUpstream(table, '/.well-known/jwks.json')?.name).toBe('auth');
    expect(resolveUpstream(table, '/accounts')).toBeUndefined();
    expect(resolveUpstream(table, '/users/me2')).toBeUndefined();
  });

  it('routes a path with a `*` segment to its service over a shorter prefix of another', () => {
    const routed = buildRouteTable([
      { name: 'ledger', url: 'http://ledger' },
      { name: 'reports', url: 'http://reports' },
    ]);
    expect(matchesPrefix('/accounts/7/balance-history', '/accounts/*/balance-history')).toBe(true);
    expect(matchesPrefix('/accounts//balance-history', '/accounts/*/balance-history')).toBe(false);
    expect(matchesPrefix('/accounts/7/balance-historyX', '/accounts/*/balance-history')).toBe(false);
    const id = '0190a000-0000-7000-8000-000000000000';
    expect(resolveUpstream(routed, `/accounts/${id}/balance-history`)?.name).toBe('reports');
    expect(resolveUpstream(routed, '/accounts/{id}/balance-history')?.name).toBe('reports');
    expect(resolveUpstream(routed, `/accounts/${id}`)?.name).toBe('ledger');
    expect(resolveUpstream(routed, '/accounts/balances')?.name).toBe('ledger');
    expect(resolveUpstream(routed, `/accounts/${id}/reconcile`)?.name).toBe('ledger');
    expect(resolveUpstream(routed, '/accounts')?.name).toBe('ledger');
  });

  it('knows the public and credential routes by method and path', () => {
    expect(isPublicRoute('POST', '/auth/login')).toBe(true);
    expect(isPublicRoute('POST', '/auth/login/')).toBe(true);
    expect(isPublicRoute('GET', '/auth/login')).toBe(false);
    expect(isPublicRoute('POST', '/auth/login/x')).toBe(false);
    expect(isPublicRoute('GET', '/.well-known/jwks.json')).toBe(true);
    expect(isPublicRoute('DELETE', '/.well-known/jwks.json')).toBe(false);
    expect(isPublicRoute('GET', '/users/me')).toBe(false);
    expect(isCredentialRoute('POST', '/auth/register')).toBe(true);
    expect(isCredentialRoute('POST', '/auth/refresh')).toBe(false);
  });

  it('spots dot segments, encoded or not', () => {
    expect(hasDotSegments('/a/../b')).toBe(true);
    expect(hasDotSegments('/a/%2E%2e/b')).toBe(true);
    expect(hasDotSegments('/a/./b')).toBe(true);
    expect(hasDotSegments('/a/.b/c..d')).toBe(false);
  });
});

describe('trusted X-Forwarded-For', () => {
  it('keeps only the entries the trusted proxies added', () => {
    expect(trustedForwardedFor('6.6.6.6', 0)).toBeUndefined();
    expect(trustedForwardedFor('6.6.6.6, 10.0.0.1', 1)).toBe('10.0.0.1');
    expect(trustedForwardedFor(['1.1.1.1', '2.2.2.2,3.3.3.3'], 2)).toBe('2.2.2.2, 3.3.3.3');
    expect(trustedForwardedFor('10.0.0.1', 3)).toBe('10.0.0.1');
    expect(trustedForwardedFor(undefined, 1)).toBeUndefined();
    expect(trustedForwardedFor(' , ', 1)).toBeUndefined();
  });
});

describe('configuration', () => {
  it('parses sizes', () => {
    expect(parseByteSize('1mb')).toBe(1_048_576);
    expect(parseByteSize('20MB')).toBe(20 * 1_048_576);
    expect(parseByteSize('512kb')).toBe(524_288);
    expect(parseByteSize('100')).toBe(100);
    expect(parseByteSize('1.5kb')).toBe(1536);
    expect(parseByteSize('lots')).toBeUndefined();
    expect(parseByteSize('-1mb')).toBeUndefined();
  });

  it('has working defaults and routes only configured optional services', () => {
    const config = parseConfig(gatewayConfigSchema, {});
    expect(config.PORT).toBe(8080);
    expect(config.BODY_LIMIT).toBe(1_048_576);
    expect(config.IMPORT_BODY_LIMIT).toBe(20 * 1_048_576);
    expect(config.CORS_ORIGINS).toEqual([]);
    // Every service of the registry, in its order; an empty URL means "not deployed here".
    expect(upstreamsOf(config).map((u) => u.name)).toEqual([
      'auth',
      'ledger',
      'budgets',
      'reports',
      'goals',
      'notifier',
    ]);
    expect(upstreamsOf(config).find((u) => u.name === 'ledger')?.url).toBe('http://127.0.0.1:3002');
    const withGoals = parseConfig(gatewayConfigSchema, { GOALS_URL: 'http://goals:3004/', NOTIFIER_URL: '' });
    expect(upstreamsOf(withGoals)).toContainEqual({ name: 'goals', url: 'http://goals:3004' });
    expect(upstreamsOf(withGoals).map((u) => u.name)).not.toContain('notifier');
  });

  it.each([
    ['LEDGER_URL', 'not a url'],
    ['BODY_LIMIT', 'huge'],
    ['CORS_ORIGINS', 'https://app.example.com/path'],
    ['RATE_LIMIT_PER_MINUTE', '0'],
    ['REDIS_URL', 'http://redis'],
    ['UPSTREAM_TIMEOUT_MS', 'soon'],
    ['METRICS_PORT', '70000'],
    ['METRICS_HOST', 'everywhere'],
    ['MAX_HEADER_SIZE', '64kb'],
    ['MAX_REQUEST_HEADERS', '5'],
    ['MAX_CONNECTIONS_PER_CLIENT', '-1'],
    ['REVOCATION_POLL_MS', '0'],
    ['REVOCATION_MAX_USERS', 'all'],
  ])('names the bad variable %s', (name, value) => {
    expect(() => parseConfig(gatewayConfigSchema, { [name]: value })).toThrow(ConfigError);
    expect(() => parseConfig(gatewayConfigSchema, { [name]: value })).toThrow(
      new RegExp(`^Configuration error: ${name} `),
    );
  });
});

describe('OpenAPI merge', () => {
  const doc = (paths: Record<string, unknown>, schemas: Record<string, unknown>) =>
    serviceDocumentSchema.parse({
      openapi: '3.1.0',
      paths,
      components: { schemas, securitySchemes: { X: {} } },
    });

  it('keeps only the paths the gateway routes to each service, and renames clashing components', () => {
    const merged = mergeOpenApiDocuments(
      [
        {
          service: 'auth',
          document: doc(
            { '/users/me': { get: { $ref: '#/components/schemas/User' } }, '/accounts': { get: {} } },
            { User: { type: 'object' }, Money: { type: 'string' } },
          ),
        },
        {
          service: 'ledger',
          document: doc(
            {
              '/accounts': {
                get: {
                  items: [{ $ref: '#/components/schemas/User' }, { $ref: '#/components/schemas/Money' }],
                },
              },
            },
            { User: { type: 'string' }, Money: { type: 'string' } },
          ),
        },
        { service: 'reports', unavailable: 'timed out' },
      ],
      {
        title: 'API',
        version: '1',
        description: 'All of it.',
        routes: (service, path) => (path.startsWith('/users') ? service === 'auth' : service === 'ledger'),
      },
    );
    expect(merged.paths).toEqual({
      '/accounts': {
        get: {
          items: [{ $ref: '#/components/schemas/ledger_User' }, { $ref: '#/components/schemas/Money' }],
        },
      },
      '/users/me': { get: { $ref: '#/components/schemas/User' } },
    });
    expect(merged.components).toMatchObject({
      schemas: { User: { type: 'object' }, ledger_User: { type: 'string' }, Money: { type: 'string' } },
    });
    expect(
      (merged.components as { securitySchemes: Record<string, unknown> }).securitySchemes,
    ).not.toHaveProperty('X');
    expect((merged.info as { description: string }).description).toBe(
      'All of it.\n\n**Unavailable right now** (their endpoints are missing from this document): reports (timed out).',
    );
  });

  it('refuses something that is not an OpenAPI 3 document', () => {
    expect(serviceDocumentSchema.safeParse({ swagger: '2.0', paths: {} }).success).toBe(false);
    expect(serviceDocumentSchema.safeParse('<html>').success).toBe(false);
  });
});

describe("the gateway's own answers in the OpenAPI document", () => {
  const limits: EdgeLimits = {
    bodyLimitBytes: 1024 * 1024,
    importBodyLimitBytes: 20 * 1024 * 1024,
    ratePerMinute: 600,
    credentialRatePerMinute: 10,
    maxHeaderBytes: 12 * 1024,
    maxRequestHeaders: 100,
    upstreamTimeoutMs: 30_000,
  };
  const service = {
    openapi: '3.1.0',
    paths: {
      '/auth/login': { post: { responses: { '200': { description: 'tokens' } } } },
      '/accounts/{id}': {
        parameters: [{ name: 'id', in: 'path' }],
        get: { responses: { '401': { description: "the service's own" } } },
        delete: { responses: {} },
      },
    },
  };

  it('references its 413, 429, 431, 502 and 504 from every operation, and 401 where it checks a token', () => {
    const doc = withGatewayAnswers(service, { limits, isPublic: isPublicRoute }) as any;
    const ref = (name: string) => ({ $ref: `#/components/responses/${name}` });
    for (const operation of [
      doc.paths['/auth/login'].post,
      doc.paths['/accounts/{id}'].get,
      doc.paths['/accounts/{id}'].delete,
    ]) {
      expect(operation.responses).toMatchObject({
        '413': ref('GatewayPayloadTooLarge'),
        '429': ref('GatewayTooManyRequests'),
        '431': ref('GatewayRequestHeaderFieldsTooLarge'),
        '502': ref('GatewayBadGateway'),
        '504': ref('GatewayTimeout'),
      });
    }
    // Public: no token checked. A status the service documents keeps its own description.
    expect(doc.paths['/auth/login'].post.responses['401']).toBeUndefined();
    expect(doc.paths['/auth/login'].post.responses['200']).toEqual({ description: 'tokens' });
    expect(doc.paths['/accounts/{id}'].get.responses['401']).toEqual({ description: "the service's own" });
    expect(doc.paths['/accounts/{id}'].delete.responses['401']).toEqual(ref('GatewayUnauthorized'));
    expect(doc.paths['/accounts/{id}'].parameters).toEqual([{ name: 'id', in: 'path' }]);

    for (const name of Object.keys(doc.components.responses)) {
      expect(doc.components.responses[name].content['application/problem+json'].schema).toEqual({
        $ref: '#/components/schemas/GatewayProblem',
      });
    }
    expect(doc.components.schemas.GatewayProblem.required).toContain('request_id');
    expect(doc.components.responses.GatewayTooManyRequests.headers).toHaveProperty('Retry-After');
    expect(doc.components.responses.GatewayPayloadTooLarge.description).toContain('1 MB');
    expect(doc.components.responses.GatewayPayloadTooLarge.description).toContain('20 MB');
    expect(doc.components.responses.GatewayTimeout.description).toContain('30 s');
  });

  it('finds the methods of a concrete path, a literal segment before a parameter', () => {
    const paths = {
      '/accounts': { get: {}, post: {} },
      '/accounts/{id}': { get: {}, patch: {}, delete: {}, parameters: [] },
      '/accounts/summary': { get: {} },
      '/users/me': { put: {} },
    };
    expect(documentedMethods(paths, '/accounts')).toEqual(['GET', 'POST', 'HEAD', 'OPTIONS']);
    expect(documentedMethods(paths, '/accounts/')).toEqual(['GET', 'POST', 'HEAD', 'OPTIONS']);
    expect(documentedMethods(paths, '/accounts/7')).toEqual(['GET', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS']);
    expect(documentedMethods(paths, '/accounts/summary')).toEqual(['GET', 'HEAD', 'OPTIONS']);
    expect(documentedMethods(paths, '/users/me')).toEqual(['PUT', 'OPTIONS']);
    expect(documentedMethods(paths, '/accounts/7/x')).toBeUndefined();
    expect(documentedMethods(paths, '/accounts//')).toBeUndefined();
    expect(documentedMethods(paths, '/nowhere')).toBeUndefined();
  });
});

describe('revocation list', () => {
  const user = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
  let now = 0;
  const list = (maxUsers = 10) => new RevocationList({ maxUsers, now: () => now });
  beforeEach(() => (now = 1_000_000));

  it('refuses session versions below the highest one seen for the user', () => {
    const revocations = list();
    revocations.apply([{ userId: user(1), sessionVersion: 3 }], 60_000);
    revocations.apply([{ userId: user(1), sessionVersion: 2 }], 60_000);
    expect(revocations.isRevoked(user(1), 0)).toBe(true);
    expect(revocations.isRevoked(user(1), 2)).toBe(true);
    expect(revocations.isRevoked(user(1), 3)).toBe(false);
    expect(revocations.isRevoked(user(1), 4)).toBe(false);
    expect(revocations.isRevoked(user(2), 0)).toBe(false);
    expect(revocations.minimumSessionVersion(user(1))).toBe(3);
  });

  it('forgets an entry once the retention has passed since it was learned', () => {
    const revocations = list();
    revocations.apply([{ userId: user(1), sessionVersion: 1 }], 60_000);
    now += 30_000;
    revocations.apply([{ userId: user(2), sessionVersion: 1 }], 60_000);
    now += 29_999;
    expect(revocations.isRevoked(user(1), 0)).toBe(true);
    now += 1;
    expect(revocations.isRevoked(user(1), 0)).toBe(false);
    expect(revocations.isRevoked(user(2), 0)).toBe(true);
    revocations.apply([], 60_000);
    expect(revocations.size).toBe(1);
  });

  it('keeps at most maxUsers, forgetting the entry that would expire first', () => {
    const revocations = list(3);
    for (let i = 1; i <= 3; i++) revocations.apply([{ userId: user(i), sessionVersion: 1 }], 60_000);
    // Rewritten: user 1 is now the newest entry.
    revocations.apply([{ userId: user(1), sessionVersion: 2 }], 60_000);
    expect(revocations.apply([{ userId: user(4), sessionVersion: 1 }], 60_000)).toBe(1);
    expect(revocations.size).toBe(3);
    expect(revocations.isRevoked(user(2), 0)).toBe(false);
    expect([1, 3, 4].map((n) => revocations.isRevoked(user(n), 0))).toEqual([true, true, true]);
    const many = Array.from({ length: 1000 }, (_, i) => ({ userId: user(100 + i), sessionVersion: 1 }));
    expect(revocations.apply(many, 60_000)).toBe(1000);
    expect(revocations.size).toBe(3);
  });
});
