import express, { type RequestHandler, type Router } from 'express';
import client from 'prom-client';

/** What /readyz says of one dependency: up; degraded (the service still serves, with less); down. */
export type CheckState = 'up' | 'degraded' | 'down';

/** A named dependency check for /readyz: true/'up' when it can serve, false/'down' when not, or 'degraded'. */
export type ReadinessCheck = () => Promise<boolean | CheckState> | boolean | CheckState;

interface RegisteredCheck {
  check: ReadinessCheck;
  /** A non-critical dependency that fails makes the service degraded, not unready. */
  critical: boolean;
}

export class Readiness {
  private draining = false;
  private readonly checks = new Map<string, RegisteredCheck>();

  constructor(checks: Record<string, ReadinessCheck> = {}) {
    for (const [name, check] of Object.entries(checks)) this.add(name, check);
  }

  /**
   * Adds a check. A critical one (the default: the database, the broker) takes the service out of
   * its load balancer when down; a non-critical one (the PDF renderer, a dead-letter queue that is
   * not empty) only shows as degraded.
   */
  add(name: string, check: ReadinessCheck, options: { critical?: boolean } = {}): void {
    this.checks.set(name, { check, critical: options.critical ?? true });
  }
  /** Called at SIGTERM: readiness turns red so load balancers stop sending traffic. */
  startDraining(): void {
    this.draining = true;
  }
  get isDraining(): boolean {
    return this.draining;
  }

  async report(): Promise<{ ready: boolean; degraded: boolean; checks: Record<string, CheckState> }> {
    const entries = await Promise.all(
      [...this.checks].map(async ([name, { check, critical }]) => {
        let state: CheckState;
        try {
          const result = await Promise.race([
            Promise.resolve(check()),
            new Promise<boolean>((resolve) => setTimeout(resolve, 2000, false).unref()),
          ]);
          state = result === true ? 'up' : result === false ? 'down' : result;
        } catch {
          state = 'down';
        }
        if (!critical && state === 'down') state = 'degraded';
        return [name, state] as const;
      }),
    );
    const checks = Object.fromEntries(entries) as Record<string, CheckState>;
    return {
      ready: !this.draining && entries.every(([, state]) => state !== 'down'),
      degraded: entries.some(([, state]) => state === 'degraded'),
      checks,
    };
  }
}

/** One metrics registry per process, with Node's default metrics. */
export const metricsRegistry = new client.Registry();
client.collectDefaultMetrics({ register: metricsRegistry });

const httpDuration = new client.Histogram({
  name: 'http_request_duration_seconds',
  help: 'HTTP request duration by route and status',
  labelNames: ['method', 'route', 'status'],
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  registers: [metricsRegistry],
});

/** Times each request, labelled by its route pattern (not the raw path, to keep cardinality bounded). */
export const httpMetrics: RequestHandler = (req, res, next) => {
  const end = httpDuration.startTimer();
  res.on('finish', () => {
    const route =
      (req.route?.path as string | undefined) ??
      (res.statusCode === 404 ? 'unmatched' : req.baseUrl || 'other');
    end({
      method: req.method,
      route: `${req.baseUrl}${req.route ? route : ''}` || route,
      status: String(res.statusCode),
    });
  });
  next();
};

/** GET /healthz (the process is alive), /readyz (it can serve: dependencies up, not draining), /metrics. */
export function operationalRoutes(readiness: Readiness): Router {
  const router = express.Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const report = await readiness.report();
    const status = readiness.isDraining
      ? 'draining'
      : !report.ready
        ? 'not ready'
        : report.degraded
          ? 'degraded'
          : 'ready';
    res.status(report.ready ? 200 : 503).json({ status, checks: report.checks });
  });
  router.get('/metrics', async (_req, res) => {
    res.type(metricsRegistry.contentType).send(await metricsRegistry.metrics());
  });
  return router;
}
