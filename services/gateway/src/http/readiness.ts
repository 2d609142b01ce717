import express, { type Router } from 'express';
import type { Readiness } from '@finance/shared/http';
import type { Upstream } from '../domain/route-table';
import { noStore } from './own-answers';

export interface UpstreamReadinessOptions {
  readiness: Readiness;
  upstreams: Upstream[];
  jwksUrl: string;
  timeoutMs: number;
  /** When true, any service or the JWKS being down makes the gateway not ready (503). */
  requireUpstreams: boolean;
}

async function answersOk(url: string, timeoutMs: number): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}

/**
 * GET /readyz: the gateway's own readiness (not draining) plus each service's /readyz and the
 * JWKS, probed in parallel. By default a service being down is reported ("degraded") but does
 * not take the gateway out of its load balancer: the other services' routes still work.
 */
export function readinessRouter(options: UpstreamReadinessOptions): Router {
  const router = express.Router();
  router.get('/readyz', async (_req, res) => {
    const probes: Array<[string, Promise<boolean>]> = [
      ['jwks', answersOk(options.jwksUrl, options.timeoutMs)],
      ...options.upstreams.map((upstream): [string, Promise<boolean>] => [
        upstream.name,
        answersOk(`${upstream.url}/readyz`, options.timeoutMs),
      ]),
    ];
    const [own, results] = await Promise.all([
      options.readiness.report(),
      Promise.all(probes.map(async ([name, probe]) => [name, (await probe) ? 'up' : 'down'] as const)),
    ]);
    const checks: Record<string, string> = { ...own.checks, ...Object.fromEntries(results) };
    const allUp = results.every(([, state]) => state === 'up');
    const ready = own.ready && (allUp || !options.requireUpstreams);
    const status = options.readiness.isDraining
      ? 'draining'
      : !ready
        ? 'not ready'
        : allUp
          ? 'ready'
          : 'degraded';
    noStore(res);
    res.status(ready ? 200 : 503).json({ status, checks });
  });
  return router;
}
