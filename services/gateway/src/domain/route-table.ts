/** The services behind the gateway, in the order their documentation is merged. */
export const UPSTREAM_NAMES = ['auth', 'ledger', 'budgets', 'goals', 'notifier', 'reports'] as const;
export type UpstreamName = (typeof UPSTREAM_NAMES)[number];

/** Which public path prefixes each service serves (ARCHITECTURE.md §1). */
export const PUBLIC_PREFIXES: Record<UpstreamName, readonly string[]> = {
  auth: ['/auth', '/users/me', '/admin/users', '/.well-known/jwks.json'],
  ledger: [
    '/accounts',
    '/categories',
    '/transactions',
    '/recurring',
    '/import',
    '/currencies',
    '/exchange-rates',
  ],
  budgets: ['/budgets', '/analytics/budget-status'],
  goals: ['/goals'],
  notifier: ['/notifications', '/webhooks'],
  // `/analytics/budget-status` is longer, so it wins over this prefix for budgets.
  reports: ['/analytics', '/export', '/reports'],
};

export interface Upstream {
  name: UpstreamName;
  /** Base URL, without a trailing slash. */
  url: string;
}

export interface RouteRule {
  prefix: string;
  upstream: Upstream;
}

/**
 * The route table for the upstreams that are configured: a service without a URL simply
 * has no routes, so its paths answer 404 at the gateway. Longest prefix first.
 */
export function buildRouteTable(upstreams: Upstream[]): RouteRule[] {
  return upstreams
    .flatMap((upstream) => PUBLIC_PREFIXES[upstream.name].map((prefix) => ({ prefix, upstream })))
    .sort((a, b) => b.prefix.length - a.prefix.length);
}

/** A prefix matches whole path segments only: `/accounts` matches `/accounts/1`, not `/accountsX`. */
export function matchesPrefix(path: string, prefix: string): boolean {
  return path === prefix || path.startsWith(`${prefix}/`);
}

/** The upstream serving `path`, if any. */
export function resolveUpstream(table: readonly RouteRule[], path: string): Upstream | undefined {
  return table.find((rule) => matchesPrefix(path, rule.prefix))?.upstream;
}

/** Proxied routes a caller may use without an access token. */
const PUBLIC_ROUTES: ReadonlyArray<{ methods: readonly string[]; path: string }> = [
  { methods: ['POST'], path: '/auth/register' },
  { methods: ['POST'], path: '/auth/login' },
  { methods: ['POST'], path: '/auth/refresh' },
  { methods: ['POST'], path: '/auth/logout' },
  { methods: ['GET', 'HEAD'], path: '/.well-known/jwks.json' },
];

/** Routes where a client proves who it is with a password, so they get the strict per-IP limit. */
const CREDENTIAL_ROUTES: readonly string[] = ['/auth/login', '/auth/register'];

function withoutTrailingSlash(path: string): string {
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}

export function isPublicRoute(method: string, path: string): boolean {
  const normalized = withoutTrailingSlash(path);
  return PUBLIC_ROUTES.some((route) => route.path === normalized && route.methods.includes(method));
}

export function isCredentialRoute(method: string, path: string): boolean {
  return method === 'POST' && CREDENTIAL_ROUTES.includes(withoutTrailingSlash(path));
}

/**
 * A path with `.` or `..` segments (also percent-encoded) could be resolved differently by
 * a service than by the gateway's prefix match, so the gateway refuses it outright.
 */
export function hasDotSegments(path: string): boolean {
  return path.split('/').some((segment) => /^(\.|%2e){1,2}$/i.test(segment));
}
