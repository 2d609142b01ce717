import { randomUUID } from 'node:crypto';
import {
  SHARED_MIGRATIONS,
  acceptAggregateVersion,
  createDataSource,
  openDatabase,
  parseEvent,
  userSettingsOf,
} from '@finance/shared';
import { createTestDatabase, dropTestDatabase } from '@finance/shared/testing';
import type { DataSource } from 'typeorm';
import { reportsMigrations } from '../src/data/migrations';
import { RollupsPerBaseCurrency1750000000000 } from '../src/data/migrations/1750000000000-RollupsPerBaseCurrency';
import { MoveUserSettingsToDirectory1796300000000 } from '../src/data/migrations/1796300000000-user-directory';
import { profile } from './support';

/** Reports' database with its migrations up to and including `last` (all of them by default). */
function databaseUpTo(url: string, last?: (typeof reportsMigrations)[number]): Promise<DataSource> {
  const own = last ? reportsMigrations.slice(0, reportsMigrations.indexOf(last) + 1) : reportsMigrations;
  return openDatabase(
    createDataSource({ url, entities: [], migrations: [...SHARED_MIGRATIONS, ...own], poolSize: 2 }),
  );
}

/** Upgrading a database that kept its own copy of users' settings (`user_settings`). */
describe('migration MoveUserSettingsToDirectory', () => {
  let url: string;
  let db: DataSource | undefined;
  const fromAuth = randomUUID();
  const inferred = randomUUID();

  beforeAll(async () => {
    url = await createTestDatabase('reports_user_directory_migration');
  });
  afterAll(async () => {
    if (db?.isInitialized) await db.destroy();
    await dropTestDatabase(url);
  });

  it('moves settings and their versions into the shared directory, drops the table, and down brings it back', async () => {
    const before = await databaseUpTo(url, RollupsPerBaseCurrency1750000000000);
    // One user auth told reports of (at version 3), one only inferred from a first transaction.
    await before.query(
      `INSERT INTO user_settings (user_id, base_currency, timezone, version)
       VALUES ($1, 'EUR', 'Europe/Berlin', 3), ($2, 'GBP', 'UTC', NULL)`,
      [fromAuth, inferred],
    );
    await before.destroy();

    // Up to this migration, so that undoing the last one undoes it.
    db = await databaseUpTo(url, MoveUserSettingsToDirectory1796300000000);
    expect(await db.query(`SELECT to_regclass('user_settings') AS t`)).toEqual([{ t: null }]);
    expect(await userSettingsOf(db, fromAuth)).toEqual({ baseCurrency: 'EUR', timezone: 'Europe/Berlin' });
    expect(await userSettingsOf(db, inferred)).toEqual({ baseCurrency: 'GBP', timezone: 'UTC' });
    expect(
      await db.query(
        `SELECT aggregate_id, version FROM aggregate_versions WHERE aggregate_type = 'auth.user'`,
      ),
    ).toEqual([{ aggregate_id: fromAuth, version: 3 }]);

    // An auth.user.updated older than what reports had applied is still refused by the shared handler's check…
    const update = (userId: string, version: number) =>
      parseEvent({
        id: randomUUID(),
        type: 'auth.user.updated',
        version: 1,
        occurredAt: new Date().toISOString(),
        userId,
        correlationId: randomUUID(),
        aggregateId: userId,
        aggregateVersion: version,
        payload: profile('USD', 'UTC'),
      });
    expect(await db.transaction((m) => acceptAggregateVersion(m, update(fromAuth, 2)))).toBe(false);
    // …and the inferred user's first event from auth is taken.
    expect(await db.transaction((m) => acceptAggregateVersion(m, update(inferred, 1)))).toBe(true);

    await db.undoLastMigration({ transaction: 'each' });
    expect(
      await db.query(
        `SELECT user_id, base_currency, timezone, version FROM user_settings ORDER BY base_currency`,
      ),
    ).toEqual([
      { user_id: fromAuth, base_currency: 'EUR', timezone: 'Europe/Berlin', version: 3 },
      { user_id: inferred, base_currency: 'GBP', timezone: 'UTC', version: 1 },
    ]);
  });
});
