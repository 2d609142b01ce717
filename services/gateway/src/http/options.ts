import type { RequestHandler } from 'express';
import { documentedMethods } from '../domain/gateway-answers';
import { matchesPrefix, resolveUpstream, type RouteRule } from '../domain/route-table';
import { noStore, problem } from './own-answers';

/** The gateway's own public paths and their methods. */
const OWN_METHODS = 'GET, HEAD, OPTIONS';
function isOwnPath(path: string): boolean {
  return ['/healthz', '/readyz', '/openapi.json'].includes(path) || matchesPrefix(path, '/docs');
}

export interface OptionsAnswerDeps {
  routeTable: readonly RouteRule[];
  /** The merged OpenAPI document's paths (cached by the aggregator). */
  documentedPaths: () => Promise<Record<string, unknown>>;
  /** Whether CORS is configured: then a preflight's headers were set by the cors middleware before. */
  corsEnabled: boolean;
}

/**
 * Every OPTIONS request is answered here and never proxied (a service would give express's
 * default `200 text/plain`). A CORS preflight gets 204 with the CORS headers already set (or
 * withheld, for an origin not allowed). Any other OPTIONS gets 204 with `Allow` listing the
 * methods of that path: the gateway's own, or those the merged OpenAPI document lists for the
 * service's path. A path neither knows is a 404 problem+json. No token is needed: the methods
 * are public in /openapi.json anyway.
 */
export function answerOptions(deps: OptionsAnswerDeps): RequestHandler {
  return async (req, res, next) => {
    if (req.method !== 'OPTIONS') return next();
    noStore(res);
    const preflight = req.headers.origin !== undefined && req.headers['access-control-request-method'];
    if (deps.corsEnabled && preflight) return void res.status(204).end();
    try {
      const methods = isOwnPath(req.path)
        ? OWN_METHODS
        : resolveUpstream(deps.routeTable, req.path)
          ? documentedMethods(await deps.documentedPaths(), req.path)?.join(', ')
          : undefined;
      if (!methods) return next(problem(404, `No route for OPTIONS ${req.path}`));
      res.setHeader('Allow', methods);
      res.status(204).end();
    } catch (error) {
      next(error);
    }
  };
}
