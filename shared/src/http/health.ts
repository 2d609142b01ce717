import express, { type RequestHandler, type Router } from 'express';
import client from 'prom-client';

/** A named dependency check for /readyz; resolves true when the dependency can serve. */
export type ReadinessCheck = () => Promise<boolean> | boolean;

export class Readiness {
  private draining = false;
  constructor(private readonly checks: Record<string, ReadinessCheck> = {}) {}

  add(name: string, check: ReadinessCheck): void {
    this.checks[name] = check;
  }
  /** Called at SIGTERM: readiness turns red so load balancers stop sending traffic. */
  startDraining(): void {
    this.draining = true;
  }
  get isDraining(): boolean {
    return this.draining;
  }

  async report(): Promise<{ ready: boolean; checks: Record<string, 'up' | 'down'> }> {
    const entries = await Promise.all(
      Object.entries(this.checks).map(async ([name, check]) => {
        try {
          const ok = await Promise.race([
            Promise.resolve(check()),
            new Promise<boolean>((resolve) => setTimeout(resolve, 2000, false).unref()),
          ]);
          return [name, ok ? 'up' : 'down'] as const;
        } catch {
          return [name, 'down'] as const;
        }
      }),
    );
    const checks = Object.fromEntries(entries) as Record<string, 'up' | 'down'>;
    return { ready: !this.draining && entries.every(([, s]) => s === 'up'), checks };
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
    res.status(report.ready ? 200 : 503).json({
      status: report.ready ? 'ready' : readiness.isDraining ? 'draining' : 'not ready',
      checks: report.checks,
    });
  });
  router.get('/metrics', async (_req, res) => {
    res.type(metricsRegistry.contentType).send(await metricsRegistry.metrics());
  });
  return router;
}
