import { defineService } from '@finance/shared';
import { budgetsConfigSchema } from './config';
import { budgetEntities } from './data/entities';
import { budgetMigrations } from './data/migrations';
import { budgetEventBatchHandlers, budgetEventHandlers, purgeUser } from './events/handlers';
import { budgetsRouter } from './http/budgets-router';

/** Budgets: per category or overall, payday-anchored windows, rollover, alerts from ledger events. */
export default defineService({
  name: 'budgets',
  configSchema: budgetsConfigSchema,
  migrations: budgetMigrations,
  entities: budgetEntities,
  openapi: {
    title: 'Finance Tracker — budgets',
    description:
      'Budgets per category or overall with payday-anchored windows, rollover, and spending analysis ' +
      "computed from the service's own read model of the ledger's transactions.",
  },
  userEvents: { onDeleted: purgeUser },
  handlers: budgetEventHandlers,
  batchHandlers: budgetEventBatchHandlers,
  routes: (context) => [budgetsRouter(context)],
});
