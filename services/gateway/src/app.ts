import express, { type Express } from 'express';
import cors from 'cors';
import helmet from 'helmet';
import type { SendCommandFn } from 'rate-limit-redis';
import {
  HttpProblem,
  Readiness,
  TokenVerifier,
  errorHandler,
  httpMetrics,
  notFoundHandler,
  operationalRoutes,
  requestContext,
  type Logger,
} from '@finance/shared';
import { upstreamsOf, type GatewayConfig } from './config';
import { trustedForwardedFor } from './domain/forwarded-for';
import { buildRouteTable, hasDotSegments, resolveUpstream, type UpstreamName } from './domain/route-table';
import { verifyAccessToken, requireAuthentication } from './http/authentication';
import { declaredBodyLimit } from './http/body-limit';
import { OpenApiAggregator, docsRouter } from './http/docs';
import { upstreamProxy } from './http/proxy';
import { clientRateLimit, credentialRateLimit } from './http/rate-limits';
import { readinessRouter } from './http/readiness';

export interface GatewayDeps {
  logger: Logger;
  /** Shared with the shutdown, which turns it to "draining". */
  readiness?: Readiness;
  /** Defaults to one built from JWKS_URL, JWT_ISSUER and JWT_AUDIENCE. */
  verifier?: TokenVerifier;
  /** A raw Redis command sender (from the connected REDIS_URL client) for shared rate-limit counters. */
  redisCommand?: SendCommandFn;
  /** Key prefix for the rate-limit counters in Redis. */
  redisPrefix?: string;
}

/**
 * The gateway's express app. Bodies are never parsed here: they stream to the services.
 * Order matters: ids and metrics → security headers and CORS → the gateway's own routes
 * (health, docs) → credential rate limit → token check → client rate limit → 401 →
 * body limit → proxy → 404 / problem+json.
 */
export function buildApp(config: GatewayConfig, deps: GatewayDeps): Express {
  const { logger } = deps;
  const readiness = deps.readiness ?? new Readiness();
  const upstreams = upstreamsOf(config);
  const routeTable = buildRouteTable(upstreams);
  const verifier =
    deps.verifier ??
    new TokenVerifier({ jwksUrl: config.JWKS_URL, issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE });
  const bodyLimits = { default: config.BODY_LIMIT, import: config.IMPORT_BODY_LIMIT };
  const rateLimits = {
    perMinute: config.RATE_LIMIT_PER_MINUTE,
    credentialPerMinute: config.AUTH_RATE_LIMIT_PER_MINUTE,
    redisCommand: deps.redisCommand,
    redisPrefix: deps.redisPrefix,
    logger,
  };

  const app = express();
  app.disable('x-powered-by');
  // The client address (for per-IP limits and X-Forwarded-For) comes from this many trusted proxies.
  app.set('trust proxy', config.TRUST_PROXY_HOPS);
  app.use(requestContext(logger));
  // Only what the trusted proxies in front wrote survives; the proxy then appends the client.
  app.use((req, _res, next) => {
    const forwardedFor = trustedForwardedFor(req.headers['x-forwarded-for'], config.TRUST_PROXY_HOPS);
    if (forwardedFor) req.headers['x-forwarded-for'] = forwardedFor;
    else delete req.headers['x-forwarded-for'];
    if (config.TRUST_PROXY_HOPS === 0) {
      for (const name of ['x-forwarded-proto', 'x-forwarded-host', 'x-forwarded-port', 'forwarded'])
        delete req.headers[name];
    }
    next();
  });
  app.use(httpMetrics);
  app.use(
    helmet({
      contentSecurityPolicy: {
        useDefaults: false,
        // Swagger UI is served from here, scripts and styles included; nothing from elsewhere.
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'"],
          styleSrc: ["'self'", "'unsafe-inline'"],
          imgSrc: ["'self'", 'data:'],
          fontSrc: ["'self'", 'data:'],
          connectSrc: ["'self'"],
          objectSrc: ["'none'"],
          baseUri: ["'self'"],
          formAction: ["'self'"],
          frameAncestors: ["'none'"],
        },
      },
    }),
  );
  if (config.CORS_ORIGINS.length) {
    app.use(
      cors({
        origin: config.CORS_ORIGINS.includes('*') ? '*' : config.CORS_ORIGINS,
        methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
        exposedHeaders: [
          'x-request-id',
          'Retry-After',
          'RateLimit',
          'RateLimit-Policy',
          'Location',
          'ETag',
          'Content-Disposition',
        ],
        maxAge: 600,
      }),
    );
  }
  app.use(
    readinessRouter({
      readiness,
      upstreams,
      jwksUrl: config.JWKS_URL,
      timeoutMs: config.PROBE_TIMEOUT_MS,
      requireUpstreams: config.READYZ_REQUIRES_UPSTREAMS,
    }),
  );
  app.use(operationalRoutes(readiness));
  app.use(
    docsRouter(
      new OpenApiAggregator({
        upstreams,
        routeTable,
        fetchTimeoutMs: config.PROBE_TIMEOUT_MS,
        cacheMs: config.OPENAPI_CACHE_MS,
        logger,
      }),
    ),
  );

  app.use((req, _res, next) => {
    next(
      hasDotSegments(req.path)
        ? new HttpProblem(400, 'The path must not contain "." or ".." segments')
        : undefined,
    );
  });
  app.use(credentialRateLimit(rateLimits));
  app.use(verifyAccessToken(verifier));
  app.use(clientRateLimit(rateLimits));
  app.use(requireAuthentication);
  app.use(declaredBodyLimit(bodyLimits));

  const proxies = new Map(
    upstreams.map((upstream) => [
      upstream.name,
      upstreamProxy(upstream, { timeoutMs: config.UPSTREAM_TIMEOUT_MS, bodyLimits, logger }),
    ]),
  ) as Map<UpstreamName, express.RequestHandler>;
  app.use((req, res, next) => {
    const upstream = resolveUpstream(routeTable, req.path);
    if (!upstream) return next();
    proxies.get(upstream.name)?.(req, res, next);
  });

  app.use(notFoundHandler);
  app.use(errorHandler(logger));
  return app;
}
