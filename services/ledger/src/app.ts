import type { Express, RequestHandler } from 'express';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import { createServiceApp, type Readiness } from '@finance/shared';
import { accountsRouter } from './http/accounts';
import { categoriesRouter } from './http/categories';
import { transactionsRouter } from './http/transactions';

export interface LedgerAppDeps {
  dataSource: DataSource;
  logger: Logger;
  readiness: Readiness;
  /** Verifies the caller's access token (shared `authenticate(new TokenVerifier(...))`). */
  authenticate: RequestHandler;
}

export function buildApp(deps: LedgerAppDeps): Express {
  return createServiceApp({
    logger: deps.logger,
    readiness: deps.readiness,
    openapi: {
      title: 'Ledger',
      version: '1.0.0',
      description:
        'Accounts, categories and transactions: the source of truth for money. Amounts are exact decimal strings.',
    },
    routers: [
      accountsRouter(deps.dataSource, deps.authenticate),
      categoriesRouter(deps.dataSource, deps.authenticate),
      transactionsRouter(deps.dataSource, deps.authenticate),
    ],
  });
}
