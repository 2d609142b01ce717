import {
  SHARED_MIGRATIONS,
  acceptAggregateVersion,
  createDataSource,
  findUser,
  inboxMigrations,
  openDatabase,
  outboxMigrations,
  userSettingsOf,
} from '@finance/shared';
import { createTestDatabase, dropTestDatabase } from '@finance/shared/testing';
import type { DataSource } from 'typeorm';
import { budgetMigrations } from '../src/data/migrations';
import { BudgetsInitial1763700000000 } from '../src/data/migrations/1763700000000-budgets-initial';
import budgets from '../src/service';
import { newId, userUpdated } from './fixtures';

/**
 * A database of budgets as it was before the user directory (its own `user_settings`), migrated
 * to today's schema: the settings and the versions they were applied at move to the shared
 * directory, and the old table goes.
 */
describe('budgets migrations', () => {
  let url: string;
  const open: DataSource[] = [];

  beforeAll(async () => {
    url = await createTestDatabase('budgets_migrations');
  });

  afterAll(async () => {
    for (const dataSource of open) if (dataSource.isInitialized) await dataSource.destroy();
    await dropTestDatabase(url);
  });

  async function migrated(migrations: Parameters<typeof createDataSource>[0]['migrations']) {
    const dataSource = await openDatabase(
      createDataSource({ url, entities: budgets.entities ?? [], migrations }),
    );
    open.push(dataSource);
    return dataSource;
  }

  it('moves user_settings into the user directory, with their versions, and drops it', async () => {
    const before = await migrated([...outboxMigrations, ...inboxMigrations, BudgetsInitial1763700000000]);
    const [eur, jpy] = [newId(), newId()];
    await before.query(
      `INSERT INTO user_settings (user_id, base_currency, timezone, version) VALUES ($1, 'EUR', 'Europe/Berlin', 3), ($2, 'JPY', 'Asia/Tokyo', 1)`,
      [eur, jpy],
    );
    await before.destroy();

    const after = await migrated([...SHARED_MIGRATIONS, ...budgetMigrations]);
    expect(await userSettingsOf(after, eur)).toEqual({ baseCurrency: 'EUR', timezone: 'Europe/Berlin' });
    expect(await userSettingsOf(after, jpy)).toEqual({ baseCurrency: 'JPY', timezone: 'Asia/Tokyo' });
    expect(await findUser(after, eur)).toMatchObject({ known: true, deleted: false, isActive: true });
    const [table] = await after.query(`SELECT to_regclass('user_settings') AS name`);
    expect(table.name).toBeNull();

    // An auth.user.updated older than what budgets had applied is still refused; a newer one applies.
    await after.transaction(async (manager) => {
      expect(await acceptAggregateVersion(manager, userUpdated(eur, 3, { baseCurrency: 'USD' }))).toBe(false);
      expect(await acceptAggregateVersion(manager, userUpdated(eur, 4, { baseCurrency: 'USD' }))).toBe(true);
      expect(await acceptAggregateVersion(manager, userUpdated(jpy, 2, { baseCurrency: 'USD' }))).toBe(true);
    });
  });
});
