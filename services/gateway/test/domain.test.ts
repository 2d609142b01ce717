import { parseConfig, ConfigError } from '@finance/shared';
import { gatewayConfigSchema, upstreamsOf } from '../src/config';
import { parseByteSize } from '../src/domain/byte-size';
import { trustedForwardedFor } from '../src/domain/forwarded-for';
import { mergeOpenApiDocuments, serviceDocumentSchema } from '../src/domain/openapi-merge';
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
    expect(upstreamsOf(config).map((u) => u.name)).toEqual(['auth', 'ledger', 'budgets', 'reports']);
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
