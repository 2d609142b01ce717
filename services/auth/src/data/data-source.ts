import { createDataSource } from '@finance/shared';
import type { DataSource } from 'typeorm';
import { outboxMigrations } from '../events/backbone';
import { authEntities } from './entities';
import { CreateAuthSchema1763780000000 } from './migrations/1763780000000-CreateAuthSchema';

/** Entities and migrations are passed as classes so the compiled service needs no globs. */
export function authDataSource(url: string, poolSize?: number): DataSource {
  return createDataSource({
    url,
    entities: authEntities,
    migrations: [...outboxMigrations, CreateAuthSchema1763780000000],
    poolSize,
    applicationName: 'auth',
  });
}
