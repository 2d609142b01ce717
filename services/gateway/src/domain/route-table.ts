import {
  compareRouteSpecificity,
  matchesRoutePath,
  registeredServices,
  type RegisteredService,
} from '@finance/shared/registry';

/**
 * The services behind the gateway and the public path prefixes each serves come from the service
 * registry (services.json); nothing here lists them. Their documentation is merged in registry order.
 */
export type UpstreamName = string;

/** The services the gateway routes to (every registered service but the edge itself). */
export function upstreamServices(
  services: readonly RegisteredService[] = registeredServices(),
): RegisteredService[] {
  return services.filter((service) => service.role === 'api');
}

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
 * has no routes, so its paths answer 404 at the gateway. Most specific first (the registry's
 * order: more segments, fewer `*`, longer), so the first rule matching a path routes it.
 */
export function buildRouteTable(
  upstreams: Upstream[],
  services: readonly RegisteredService[] = registeredServices(),
): RouteRule[] {
  const prefixesOf = (name: string) => services.find((service) => service.name === name)?.paths ?? [];
  return upstreams
    .flatMap((upstream) => prefixesOf(upstream.name).map((prefix) => ({ prefix, upstream })))
    .sort((a, b) => compareRouteSpecificity(a.prefix, b.prefix));
}

// A prefix matches whole path segments only: `/accounts` matches `/accounts/1`, not `/accountsX`;
// a `*` segment matches any one segment (`/accounts/*/balance-history`).
export function matchesPrefix(path: string, prefix: string): boolean {
  return matchesRoutePath(path, prefix);
}

/** The upstream serving `path`, if any. */
export function resolveUpstream(table: readonly RouteRule[], path: string): Upstream | undefined {
  return table.find((rule) => matchesPrefix(path, rule.prefix))?.upstream;
}

/** Proxied routes a caller may use without an access token (each service's `openRoutes`). */
const OPEN_ROUTES = registeredServices().flatMap((service) => service.openRoutes);

/** Routes where a client proves who it is with a password, so they get the strict per-IP limit. */
const CREDENTIAL_ROUTES = registeredServices().flatMap((service) => service.credentialRoutes);

function withoutTrailingSlash(path: string): string {
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}

export function isPublicRoute(method: string, path: string): boolean {
  const normalized = withoutTrailingSlash(path);
  return OPEN_ROUTES.some(
    (route) => route.path === normalized && (route.methods as readonly string[]).includes(method),
  );
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
