import {
  Readiness,
  TokenVerifier,
  authenticate,
  createServiceApp,
  databaseCheck,
  type Logger,
} from '@finance/shared';
import type { Express } from 'express';
import type { DataSource } from 'typeorm';
import { analyticsRouter } from './http/analytics-router';
import { exportRouter } from './http/export-router';
import { reportsRouter } from './http/reports-router';
import type { PdfRenderer } from './pdf/renderer';

export interface AppDeps {
  dataSource: DataSource;
  logger: Logger;
  auth: { jwksUrl: string; issuer: string; audience: string };
  readiness?: Readiness;
  /** "Now"; tests pin it. */
  clock?: () => Date;
  /** The warm Chromium behind the PDF endpoints (owned, and closed, by the caller). */
  renderer: PdfRenderer;
}

export function buildApp(deps: AppDeps): Express {
  const authenticateRequest = authenticate(new TokenVerifier(deps.auth));
  const clock = deps.clock ?? (() => new Date());
  const readiness = deps.readiness ?? new Readiness({ db: databaseCheck(deps.dataSource) });
  const common = {
    dataSource: deps.dataSource,
    authenticate: authenticateRequest,
    clock,
    logger: deps.logger,
  };
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
