import express, { type Express } from 'express';
import cors from 'cors';
import type { SendCommandFn } from 'rate-limit-redis';
import {
  HttpProblem,
  Readiness,
  TokenVerifier,
  httpMetrics,
  requestContext,
  type Logger,
} from '@finance/shared/http';
import { upstreamsOf, type GatewayConfig } from './config';
import type { EdgeLimits } from './domain/gateway-answers';
import { trustedForwardedFor } from './domain/forwarded-for';
import { buildRouteTable, hasDotSegments, resolveUpstream, type UpstreamName } from './domain/route-table';
import { adminStatsRouter, requireAdminRole } from './http/admin-stats';
import { verifyAccessToken, requireAuthentication } from './http/authentication';
import { declaredBodyLimit } from './http/body-limit';
import { OpenApiAggregator, docsRouter } from './http/docs';
import { answerOptions } from './http/options';
import { gatewayErrorHandler, gatewayNotFound, noStore, problem } from './http/own-answers';
import { upstreamProxy } from './http/proxy';
import { clientRateLimit, credentialRateLimit } from './http/rate-limits';
import { readinessRouter } from './http/readiness';
import { requestHeadChecks } from './http/request-head';
import { RevocationFeed, type RevocationCheck } from './http/revocation-feed';
import { securityHeaders } from './http/security-headers';

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
  /**
   * Revoked tokens refused at the edge. {@link startGateway} passes the feed it starts and
   * stops; without one the app starts its own {@link RevocationFeed} (its timer does not hold
   * the process open), so no wiring of the gateway lacks the check. `false`: none (a test that
   * needs no feed).
   */
  revocations?: RevocationCheck | false;
}

/** The limits the gateway's own answers in the OpenAPI document describe. */
export function edgeLimitsOf(config: GatewayConfig): EdgeLimits {
  return {
    bodyLimitBytes: config.BODY_LIMIT,
    importBodyLimitBytes: config.IMPORT_BODY_LIMIT,
    ratePerMinute: config.RATE_LIMIT_PER_MINUTE,
    credentialRatePerMinute: config.AUTH_RATE_LIMIT_PER_MINUTE,
    maxHeaderBytes: config.MAX_HEADER_SIZE,
    maxRequestHeaders: config.MAX_REQUEST_HEADERS,
    upstreamTimeoutMs: config.UPSTREAM_TIMEOUT_MS,
  };
}

/** The revocation feed of a gateway's configuration, not yet started. */
export function revocationFeedOf(config: GatewayConfig, logger: Logger): RevocationFeed {
  const auth = upstreamsOf(config).find((upstream) => upstream.name === 'auth');
  if (!auth) throw new Error('AUTH_URL is empty: the gateway needs auth (its JWKS and revocation feed)');
  return new RevocationFeed({
    authUrl: auth.url,
    pollMs: config.REVOCATION_POLL_MS,
    fetchTimeoutMs: config.PROBE_TIMEOUT_MS,
    maxUsers: config.REVOCATION_MAX_USERS,
    logger,
  });
}

/**
 * The gateway's express app. Bodies are never parsed here: they stream to the services.
 * Order matters: ids and metrics → security headers and CORS → request-head checks →
 * OPTIONS → the gateway's own routes (health, docs) → credential rate limit → token check
 * (with revocations) → client rate limit → 401 → admin role on /admin/* and the gateway's own
 * GET /admin/stats → body limit → proxy → 404 / problem+json.
 * Metrics are not here: {@link startGateway} serves them on METRICS_PORT only.
 */
export function buildApp(config: GatewayConfig, deps: GatewayDeps): Express {
  const { logger } = deps;
  const readiness = deps.readiness ?? new Readiness();
  const upstreams = upstreamsOf(config);
  const routeTable = buildRouteTable(upstreams);
  const verifier =
    deps.verifier ??
    new TokenVerifier({ jwksUrl: config.JWKS_URL, issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE });
  const revocations =
    deps.revocations === undefined ? revocationFeedOf(config, logger).start() : deps.revocations || undefined;
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
  app.use(securityHeaders);
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
        // Preflights go on to answerOptions, which ends every OPTIONS request.
        preflightContinue: true,
      }),
    );
  }
  app.use(requestHeadChecks({ maxRequestHeaders: config.MAX_REQUEST_HEADERS }));
  const aggregator = new OpenApiAggregator({
    upstreams,
    routeTable,
    fetchTimeoutMs: config.PROBE_TIMEOUT_MS,
    cacheMs: config.OPENAPI_CACHE_MS,
    limits: edgeLimitsOf(config),
    logger,
  });
  app.use(
    answerOptions({
      routeTable,
      documentedPaths: () => aggregator.paths(),
      corsEnabled: config.CORS_ORIGINS.length > 0,
    }),
  );
  app.use(
    readinessRouter({
      readiness,
      upstreams,
      jwksUrl: config.JWKS_URL,
      timeoutMs: config.PROBE_TIMEOUT_MS,
      requireUpstreams: config.READYZ_REQUIRES_UPSTREAMS,
    }),
  );
  app.get('/healthz', (_req, res) => {
    noStore(res);
    res.json({ status: 'ok' });
  });
  // Never on the public port (served on METRICS_PORT); said plainly rather than as an unknown path's 401.
  app.all('/metrics', (_req, _res, next) => next(problem(404, 'Metrics are not served on the public port')));
  app.use(docsRouter(aggregator));

  app.use((req, _res, next) => {
    next(
      hasDotSegments(req.path)
        ? new HttpProblem(400, 'The path must not contain "." or ".." segments')
        : undefined,
    );
  });
  app.use(credentialRateLimit(rateLimits));
  app.use(verifyAccessToken(verifier, revocations));
  app.use(clientRateLimit(rateLimits));
  app.use(requireAuthentication);
  app.use(requireAdminRole);
  app.use(adminStatsRouter({ upstreams, timeoutMs: config.PROBE_TIMEOUT_MS }));
  app.use(declaredBodyLimit(bodyLimits));

  const proxies = new Map(
    upstreams.map((upstream) => [
      upstream.name,
      upstreamProxy(upstream, {
        timeoutMs: config.UPSTREAM_TIMEOUT_MS,
        bodyLimits,
        logger,
        proxySecret: config.PROXY_SECRET,
      }),
    ]),
  ) as Map<UpstreamName, express.RequestHandler>;
  app.use((req, res, next) => {
    const upstream = resolveUpstream(routeTable, req.path);
    if (!upstream) return next();
    proxies.get(upstream.name)?.(req, res, next);
  });

  app.use(gatewayNotFound);
  app.use(gatewayErrorHandler(logger));
  return app;
}
