import express, { type Router } from 'express';
import swaggerUi from 'swagger-ui-express';
import type { Logger } from '@finance/shared/http';
import { withGatewayAnswers, type EdgeLimits } from '../domain/gateway-answers';
import {
  mergeOpenApiDocuments,
  serviceDocumentSchema,
  type ServiceDocumentSource,
} from '../domain/openapi-merge';
import { isPublicRoute, resolveUpstream, type RouteRule, type Upstream } from '../domain/route-table';
import { ADMIN_STATS_OPERATION, ADMIN_STATS_PATH } from './admin-stats';
import { noStore } from './own-answers';

export interface OpenApiAggregatorOptions {
  upstreams: Upstream[];
  routeTable: readonly RouteRule[];
  fetchTimeoutMs: number;
  /** How long a complete document is reused. */
  cacheMs: number;
  /** The edge's limits, described in the gateway's own answers added to every operation. */
  limits: EdgeLimits;
  logger: Logger;
}

/** A document missing a service is retried sooner, so /docs recovers quickly once it is back. */
const INCOMPLETE_CACHE_MS = 5_000;

const DESCRIPTION =
  'Finance Tracker: accounts, transactions, budgets, goals, reports and notifications, behind one gateway. ' +
  'Use "Authorize" with your username and password (OAuth2 password flow against /auth/login), ' +
  'or paste an access token as a bearer token.';

/**
 * The one OpenAPI document of the whole API, merged from every service's /openapi.json.
 * Fetched on demand with a short timeout and cached briefly; a service that is down just
 * leaves its paths out, and the description says which one is missing.
 */
export class OpenApiAggregator {
  private cached?: { document: Record<string, unknown>; until: number };
  private inflight?: Promise<Record<string, unknown>>;

  constructor(private readonly options: OpenApiAggregatorOptions) {}

  /** The merged document's paths, for the `Allow` of OPTIONS answers. */
  async paths(): Promise<Record<string, unknown>> {
    return ((await this.document()).paths ?? {}) as Record<string, unknown>;
  }

  async document(): Promise<Record<string, unknown>> {
    if (this.cached && Date.now() < this.cached.until) return this.cached.document;
    this.inflight ??= this.build().finally(() => (this.inflight = undefined));
    return this.inflight;
  }

  private async build(): Promise<Record<string, unknown>> {
    const sources = await Promise.all(this.options.upstreams.map((upstream) => this.fetchFrom(upstream)));
    const merged = mergeOpenApiDocuments(sources, {
      title: 'Finance Tracker API',
      version: '1.0.0',
      description: DESCRIPTION,
      routes: (service, path) => resolveUpstream(this.options.routeTable, path)?.name === service,
    });
    // The gateway's own route, answered from every service's /internal/stats.
    const paths = { ...(merged.paths as object), [ADMIN_STATS_PATH]: ADMIN_STATS_OPERATION };
    const own = {
      ...merged,
      paths: Object.fromEntries(Object.entries(paths).sort(([a], [b]) => a.localeCompare(b))),
    };
    const document = withGatewayAnswers(own, { limits: this.options.limits, isPublic: isPublicRoute });
    const complete = sources.every((source) => 'document' in source);
    const ttl = complete ? this.options.cacheMs : Math.min(this.options.cacheMs, INCOMPLETE_CACHE_MS);
    this.cached = { document, until: Date.now() + ttl };
    return document;
  }

  private async fetchFrom(upstream: Upstream): Promise<ServiceDocumentSource> {
    try {
      const response = await fetch(`${upstream.url}/openapi.json`, {
        signal: AbortSignal.timeout(this.options.fetchTimeoutMs),
        headers: { accept: 'application/json' },
      });
      if (!response.ok) return { service: upstream.name, unavailable: `answered ${response.status}` };
      const parsed = serviceDocumentSchema.safeParse(await response.json());
      if (!parsed.success) return { service: upstream.name, unavailable: 'not an OpenAPI 3 document' };
      return { service: upstream.name, document: parsed.data };
    } catch (error) {
      const reason = error instanceof Error && error.name === 'TimeoutError' ? 'timed out' : 'unreachable';
      this.options.logger.warn(
        { upstream: upstream.name, reason: error instanceof Error ? error.message : String(error) },
        'could not fetch openapi.json',
      );
      return { service: upstream.name, unavailable: reason };
    }
  }
}

/** GET /openapi.json (the merged document) and /docs (Swagger UI over it, assets served locally). */
export function docsRouter(aggregator: OpenApiAggregator): Router {
  const router = express.Router();
  router.get('/openapi.json', async (_req, res) => {
    noStore(res);
    res.json(await aggregator.document());
  });
  const uiOptions = {
    swaggerUrl: '/openapi.json',
    customSiteTitle: 'Finance Tracker API',
    swaggerOptions: {
      // The default validator badge would load an image from the internet.
      validatorUrl: null,
      persistAuthorization: true,
    },
  };
  // Swagger UI's assets are relative (`./swagger-ui.css`), so the page must end with a slash.
  router.get('/docs', (req, res, next) => {
    if (req.originalUrl.split('?')[0] === '/docs') return res.redirect(301, '/docs/');
    next();
  });
  router.use('/docs', swaggerUi.serveFiles(undefined, uiOptions), swaggerUi.setup(undefined, uiOptions));
  return router;
}
