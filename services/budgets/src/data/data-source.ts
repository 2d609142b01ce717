import { createDataSource, inboxMigrations, outboxMigrations } from '@finance/shared';
import type { DataSource } from 'typeorm';
import { budgetEntities } from './entities';
import { BudgetsInitial1763700000000 } from './migrations/1763700000000-budgets-initial';

/** Classes, not globs, so the compiled `dist/main.js` finds them too. */
export const budgetMigrations = [...outboxMigrations, ...inboxMigrations, BudgetsInitial1763700000000];

export function createBudgetsDataSource(url: string, poolSize?: number): DataSource {
  return createDataSource({
    url,
    entities: budgetEntities,
    migrations: budgetMigrations,
    poolSize,
    applicationName: 'budgets',
  });
}
