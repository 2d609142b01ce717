import express, { type RequestHandler, type Router } from 'express';
import {
  HttpProblem,
  INTERNAL_STATS_PATH,
  internalStatsSchema,
  type InternalStats,
} from '@finance/shared/http';
import { matchesPrefix, type Upstream } from '../domain/route-table';
import { noStore } from './own-answers';

export const ADMIN_PREFIX = '/admin';
export const ADMIN_STATS_PATH = '/admin/stats';

/**
 * Every `/admin/*` request needs a token with the admin role, refused here (403 problem+json)
 * before it reaches a service, which checks again against its own data (auth reads the caller's
 * current role). A demotion bumps the session version, so a demoted admin's token is refused by
 * the revocation feed within seconds, before it gets here.
 */
export const requireAdminRole: RequestHandler = (req, _res, next) => {
  if (!matchesPrefix(req.path, ADMIN_PREFIX)) return next();
  next(req.user?.role === 'admin' ? undefined : new HttpProblem(403, 'This needs the admin role'));
};

type ServiceStats =
  (InternalStats & { status: 'up' }) | { service: string; status: 'unavailable'; reason: string };

export interface AdminStats {
  /** Every user (auth's count); null while auth does not answer. */
  users: number | null;
  /** Every transaction (ledger's count); null while the ledger does not answer. */
  transactions: number | null;
  /** Events waiting in the outboxes of the services that answered. */
  outbox_pending: number;
  /** Messages in the dead-letter queues of the services that answered (and whose broker answered). */
  dead_letters: number;
  /** True when every service answered. */
  complete: boolean;
  services: ServiceStats[];
}

async function statsOf(upstream: Upstream, timeoutMs: number): Promise<ServiceStats> {
  const unavailable = (reason: string): ServiceStats => ({
    service: upstream.name,
    status: 'unavailable',
    reason,
  });
  try {
    const response = await fetch(`${upstream.url}${INTERNAL_STATS_PATH}`, {
      headers: { accept: 'application/json' },
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (response.status !== 200) {
      await response.body?.cancel();
      return unavailable(`answered ${response.status}`);
    }
    const parsed = internalStatsSchema.safeParse(await response.json());
    if (!parsed.success) return unavailable('malformed answer');
    return { ...parsed.data, service: upstream.name, status: 'up' };
  } catch (error) {
    return unavailable(error instanceof Error && error.name === 'TimeoutError' ? 'timed out' : 'unreachable');
  }
}

/** Asks every service at once; one that is down is reported as such, the rest still count. */
export async function gatherAdminStats(upstreams: Upstream[], timeoutMs: number): Promise<AdminStats> {
  const services = await Promise.all(upstreams.map((upstream) => statsOf(upstream, timeoutMs)));
  const up = services.filter((entry): entry is InternalStats & { status: 'up' } => entry.status === 'up');
  const count = (service: string, name: string): number | null =>
    up.find((entry) => entry.service === service)?.counts[name] ?? null;
  return {
    users: count('auth', 'users'),
    transactions: count('ledger', 'transactions'),
    outbox_pending: up.reduce((sum, entry) => sum + entry.outbox.pending, 0),
    dead_letters: up.reduce((sum, entry) => sum + (entry.dead_letters ?? 0), 0),
    complete: up.length === services.length && up.every((entry) => entry.dead_letters !== null),
    services,
  };
}

/**
 * `GET /admin/stats`, answered by the gateway itself: it is the one part that knows every service
 * (the registry), and each service answers for its own data at its cluster-internal
 * `/internal/stats`, so no service reads another's database. Mounted after the token check and
 * {@link requireAdminRole}.
 */
export function adminStatsRouter(options: { upstreams: Upstream[]; timeoutMs: number }): Router {
  const router = express.Router();
  router.get(ADMIN_STATS_PATH, (req, res, next) => {
    const unknown = Object.keys(req.query)[0];
    if (unknown !== undefined)
      return next(
        new HttpProblem(400, `Unknown query parameter: ${unknown}`, {
          errors: [{ field: `query.${unknown}`, message: 'Unknown parameter' }],
        }),
      );
    gatherAdminStats(options.upstreams, options.timeoutMs).then((stats) => {
      noStore(res);
      res.json(stats);
    }, next);
  });
  return router;
}

/** The route's entry in the merged OpenAPI document (the gateway's own; no service documents it). */
export const ADMIN_STATS_OPERATION = {
  get: {
    summary: 'System statistics (admin)',
    description:
      'Users, transactions, events waiting in every outbox and messages in every dead-letter queue, gathered by ' +
      'the gateway from every service (each answers for its own database). A service that does not answer is ' +
      'listed as `unavailable` and `complete` is false; the totals cover the services that answered.',
    tags: ['admin'],
    // Answered by the gateway itself: no service behind it has this path.
    'x-answered-by': 'gateway',
    'x-required-role': 'admin',
    responses: {
      200: {
        description: 'The statistics',
        content: {
          'application/json': {
            schema: {
              type: 'object',
              required: ['users', 'transactions', 'outbox_pending', 'dead_letters', 'complete', 'services'],
              properties: {
                users: { type: ['integer', 'null'] },
                transactions: { type: ['integer', 'null'] },
                outbox_pending: { type: 'integer' },
                dead_letters: { type: 'integer' },
                complete: { type: 'boolean' },
                services: {
                  type: 'array',
                  items: {
                    type: 'object',
                    required: ['service', 'status'],
                    properties: {
                      service: { type: 'string' },
                      status: { enum: ['up', 'unavailable'] },
                      reason: { type: 'string' },
                      outbox: {
                        type: 'object',
                        properties: {
                          pending: { type: 'integer' },
                          oldest_pending_seconds: { type: 'number' },
                        },
                      },
                      dead_letters: { type: ['integer', 'null'] },
                      counts: { type: 'object', additionalProperties: { type: 'integer' } },
                    },
                  },
                },
              },
            },
          },
        },
      },
      403: { description: 'The caller is not an admin' },
    },
  },
};
