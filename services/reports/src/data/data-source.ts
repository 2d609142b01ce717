import { createDataSource, inboxMigrations, outboxMigrations } from '@finance/shared';
import type { DataSource } from 'typeorm';
import { ReadModel1700000000000 } from './migrations/1700000000000-ReadModel';
import { RollupsPerBaseCurrency1750000000000 } from './migrations/1750000000000-RollupsPerBaseCurrency';

/** The shared outbox (reports.monthly.ready) and inbox tables, then this service's own. */
export const reportMigrations = [
  ...outboxMigrations,
  ...inboxMigrations,
  ReadModel1700000000000,
  RollupsPerBaseCurrency1750000000000,
];

/**
 * The reports database. The read model is written and read with SQL (upserts with version
 * guards, aggregates over roll-ups), so there are no entity classes: TypeORM provides the
 * pool, transactions and migrations.
 */
export function createReportsDataSource(options: { url: string; poolSize?: number }): DataSource {
  return createDataSource({
    url: options.url,
    entities: [],
    migrations: reportMigrations,
    poolSize: options.poolSize,
    applicationName: 'reports',
  });
}
