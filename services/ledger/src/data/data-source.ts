import { createDataSource, idempotencyMigrations, inboxMigrations, outboxMigrations } from '@finance/shared';
import type { DataSource } from 'typeorm';
import { ledgerEntities } from './entities';
import { LedgerSchema1763780000000 } from './migrations/1763780000000-LedgerSchema';
import { SharedIdempotencyKeys1796112700000 } from './migrations/1796112700000-SharedIdempotencyKeys';

/**
 * Entities and migrations are passed as classes so the compiled service needs no globs. TypeORM
 * runs them by timestamp: the ledger's schema, then its idempotency_keys reshaped into the shared
 * table, then the shared idempotency migration (which finds it in place).
 */
export const ledgerMigrations = [
  ...outboxMigrations,
  ...inboxMigrations,
  LedgerSchema1763780000000,
  SharedIdempotencyKeys1796112700000,
  ...idempotencyMigrations,
];

export function createLedgerDataSource(url: string, poolSize?: number): DataSource {
  return createDataSource({
    url,
    entities: ledgerEntities,
    migrations: ledgerMigrations,
    poolSize,
    applicationName: 'ledger',
  });
}
