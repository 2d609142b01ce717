import { createDataSource, inboxMigrations, outboxMigrations } from '@finance/shared';
import type { DataSource } from 'typeorm';
import { ledgerEntities } from './entities';
import { LedgerSchema1763780000000 } from './migrations/1763780000000-LedgerSchema';

/** Entities and migrations are passed as classes so the compiled service needs no globs. */
export const ledgerMigrations = [...outboxMigrations, ...inboxMigrations, LedgerSchema1763780000000];

export function createLedgerDataSource(url: string, poolSize?: number): DataSource {
  return createDataSource({
    url,
    entities: ledgerEntities,
    migrations: ledgerMigrations,
    poolSize,
    applicationName: 'ledger',
  });
}
