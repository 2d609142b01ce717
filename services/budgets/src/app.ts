import { Readiness, createServiceApp, databaseCheck } from '@finance/shared';
import type { Express, RequestHandler } from 'express';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import { budgetsRouter } from './http/budgets-router';

export interface BudgetsAppDeps {
  dataSource: DataSource;
  logger: Logger;
  /** `authenticate(new TokenVerifier({ jwksUrl, issuer, audience }))` */
  authenticate: RequestHandler;
  /** Defaults to a database check only; main.ts adds the broker. */
  readiness?: Readiness;
  /** The current instant (tests pin "today"). */
  now?: () => Date;
  /** How many budgets one user may hold (defaults to MAX_BUDGETS_PER_USER; tests lower it). */
  maxBudgetsPerUser?: number;
}

export function buildApp(deps: BudgetsAppDeps): Express {
  return createServiceApp({
    logger: deps.logger,
    readiness: deps.readiness ?? new Readiness({ db: databaseCheck(deps.dataSource) }),
    openapi: {
      title: 'Finance Tracker — budgets',
      version: '1.0.0',
      description:
        'Budgets per category or overall with payday-anchored windows, rollover, and spending analysis ' +
        "computed from the service's own read model of the ledger's transactions.",
    },
    routers: [
      budgetsRouter({
        dataSource: deps.dataSource,
        authenticate: deps.authenticate,
        now: deps.now,
        maxBudgetsPerUser: deps.maxBudgetsPerUser,
      }),
    ],
  });
}
