import express, { type Express, type RequestHandler, type Router } from 'express';
import { match } from 'path-to-regexp';
import type { Logger } from 'pino';
import type { ApiRouter } from './api-router';
import { errorHandler, notFoundHandler } from './error-handler';
import { httpMetrics, operationalRoutes, type Readiness } from './health';
import { buildOpenApiDocument, type OpenApiInfo } from './openapi';
import { refuseDeepJson } from './json-limits';
import { requestContext } from './request-context';

export interface ServiceAppOptions {
  logger: Logger;
  readiness: Readiness;
  openapi: OpenApiInfo;
  routers: ApiRouter[];
  /** Largest JSON body accepted (default 100kb). */
  bodyLimit?: string;
  /** Middleware mounted before the routers (e.g. a form parser for OAuth2 login). */
  before?: Array<RequestHandler | Router>;
  /** Plain express routers mounted after the API routers (e.g. streaming endpoints). */
  after?: Array<RequestHandler | Router>;
}

/**
 * `OPTIONS` answered on purpose: 204 with the methods the path takes in `Allow` (express would
 * answer `200 text/plain "GET, HEAD, POST"`), or the usual 404 problem for a path no route has.
 * Browsers' CORS preflights are the gateway's business; services are not called from browsers.
 */
function answerOptions(routers: ApiRouter[]): RequestHandler {
  const routes = routers.flatMap((api) =>
    api.routes.map((route) => ({ method: route.method.toUpperCase(), matches: match(route.path) })),
  );
  return (req, res, next) => {
    const methods = new Set(routes.filter((route) => route.matches(req.path)).map((route) => route.method));
    if (methods.size === 0) return next();
    if (methods.has('GET')) methods.add('HEAD');
    methods.add('OPTIONS');
    res
      .set('Allow', [...methods].join(', '))
      .set('Cache-Control', 'no-store')
      .status(204)
      .end();
  };
}

/**
 * Builds a service's express app in the one shape every service shares: request id and
 * logging, metrics, /healthz /readyz /metrics, JSON parsing, /openapi.json, the service's
 * routers, then 404 and problem+json errors. Tests import the app and listen on port 0.
 */
export function createServiceApp(options: ServiceAppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  // No forwarding header is believed here; startService puts its forwarding guard in front and trusts one hop.
  app.set('trust proxy', false);
  app.set('query parser', 'simple');
  app.use(requestContext(options.logger));
  app.use(httpMetrics);
  app.use(operationalRoutes(options.readiness));
  app.use(express.json({ limit: options.bodyLimit ?? '100kb', verify: refuseDeepJson }));
  for (const middleware of options.before ?? []) app.use(middleware);

  let document: unknown;
  app.get('/openapi.json', (_req, res) => {
    document ??= buildOpenApiDocument(options.openapi, options.routers);
    res.json(document);
  });
  app.options(/.*/, answerOptions(options.routers));
  for (const api of options.routers) app.use(api.router);
  for (const middleware of options.after ?? []) app.use(middleware);
  app.use(notFoundHandler);
  app.use(errorHandler(options.logger));
  return app;
}
