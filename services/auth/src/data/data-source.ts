import { createDataSource } from '@finance/shared';
import type { DataSource } from 'typeorm';
import { outboxMigrations } from '../events/backbone';
import { authEntities } from './entities';
import { CreateAuthSchema1763780000000 } from './migrations/1763780000000-CreateAuthSchema';
import { SessionVersions1764500000000 } from './migrations/1764500000000-SessionVersions';
import { LoginThrottle1764500001000 } from './migrations/1764500001000-LoginThrottle';
import { RefreshGrace1764500002000 } from './migrations/1764500002000-RefreshGrace';

/** Entities and migrations are passed as classes so the compiled service needs no globs. */
export function authDataSource(url: string, poolSize?: number): DataSource {
  return createDataSource({
    url,
    entities: authEntities,
    migrations: [
      ...outboxMigrations,
      CreateAuthSchema1763780000000,
      SessionVersions1764500000000,
      LoginThrottle1764500001000,
      RefreshGrace1764500002000,
    ],
    poolSize,
    applicationName: 'auth',
  });
}
