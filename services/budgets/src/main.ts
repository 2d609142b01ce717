import { loadConfig, runMain, startService, type RunningService } from '@finance/shared';
import { buildApp } from './app';
import { budgetsConfigSchema, type BudgetsConfig } from './config';
import { createBudgetsDataSource } from './data/data-source';
import { registerBudgetHandlers } from './events/handlers';

/** Starts budgets: database, broker, outbox relay, ledger/auth event consumer, HTTP. */
export function startBudgets(
  config: BudgetsConfig,
  options: { consumerName?: string } = {},
): Promise<RunningService> {
  return startService({
    name: 'budgets',
    config,
    consumerName: options.consumerName,
    createDataSource: (c) => createBudgetsDataSource(c.DATABASE_URL, c.DB_POOL_SIZE),
    wire: ({ dataSource, logger, readiness, consumer, authenticate }) => {
      registerBudgetHandlers(consumer);
      return { app: buildApp({ dataSource, logger, readiness, authenticate }) };
    },
  });
}

if (require.main === module) runMain('budgets', () => startBudgets(loadConfig(budgetsConfigSchema)));
