import { Readiness, createServiceApp, databaseCheck, type Logger } from '@finance/shared';
import express, { type Express, type RequestHandler } from 'express';
import type { DataSource } from 'typeorm';
import { analyticsRouter } from './http/analytics-router';
import { exportRouter } from './http/export-router';
import { reportsRouter } from './http/reports-router';
import type { PdfRenderer } from './pdf/renderer';

export interface AppDeps {
  dataSource: DataSource;
  logger: Logger;
  /** `authenticate(new TokenVerifier({ jwksUrl, issuer, audience }))`: startService's, or a test's. */
  authenticate: RequestHandler;
  /** Defaults to a database check only; main.ts passes startService's (database and broker). */
  readiness?: Readiness;
  /** "Now"; tests pin it. */
  clock?: () => Date;
  /** The warm Chromium behind the PDF endpoints (owned, and closed, by the caller). */
  renderer: PdfRenderer;
}

export function buildApp(deps: AppDeps): Express {
  const clock = deps.clock ?? (() => new Date());
  const readiness = deps.readiness ?? new Readiness({ db: databaseCheck(deps.dataSource) });
  const common = {
    dataSource: deps.dataSource,
    authenticate: deps.authenticate,
    clock,
    logger: deps.logger,
  };
  const app = createServiceApp({
    logger: deps.logger,
    readiness,
    openapi: {
      title: 'Finance Tracker — reports',
      version: '1.0.0',
      description: 'Analytics over daily roll-ups, CSV and PDF exports, stored monthly reports.',
    },
    routers: [
      analyticsRouter(common),
      exportRouter(common),
      reportsRouter({ ...common, renderer: deps.renderer }),
    ],
  });
  return withRendererReadiness(app, readiness, deps.renderer);
}

/**
 * /readyz with the PDF renderer as a *degraded* dependency: without a browser reports still serves
 * analytics and CSV, so it stays ready (200) and says `"pdf_renderer": "degraded"`. Shared's
 * Readiness knows only up and down, so until it can say degraded itself this answers /readyz in
 * front of the shared app: the same status and checks, plus the renderer's state.
 */
function withRendererReadiness(app: Express, readiness: Readiness, renderer: PdfRenderer): Express {
  const front = express();
  front.disable('x-powered-by');
  front.get('/readyz', async (_req, res) => {
    const report = await readiness.report();
    res.status(report.ready ? 200 : 503).json({
      status: report.ready ? 'ready' : readiness.isDraining ? 'draining' : 'not ready',
      checks: { ...report.checks, pdf_renderer: renderer.state },
    });
  });
  front.use(app);
  return front;
}
