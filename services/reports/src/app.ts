import { Readiness, createServiceApp, databaseCheck, type Logger } from '@finance/shared';
import type { Express, RequestHandler } from 'express';
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
  // Without a browser reports still serves analytics and CSV: the renderer is a degraded dependency, not a down one.
  readiness.add('pdf_renderer', () => deps.renderer.state, { critical: false });
  return createServiceApp({
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
}
