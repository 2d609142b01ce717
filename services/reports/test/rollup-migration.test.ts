import { randomUUID } from 'node:crypto';
import { SHARED_MIGRATIONS, createDataSource, openDatabase } from '@finance/shared';
import { createTestDatabase, dropTestDatabase } from '@finance/shared/testing';
import type { DataSource } from 'typeorm';
import { reportsMigrations } from '../src/data/migrations';
import { ReadModel1700000000000 } from '../src/data/migrations/1700000000000-ReadModel';
import { RollupsPerBaseCurrency1750000000000 } from '../src/data/migrations/1750000000000-RollupsPerBaseCurrency';
import { rebuildRollups } from '../src/data/rollups';
import { TransactionSplits1796700000000 } from '../src/data/migrations/1796700000000-transaction-splits';

/** Reports' database with its migrations up to and including `last` (the shared tables' first). */
function databaseUpTo(url: string, last: (typeof reportsMigrations)[number]): Promise<DataSource> {
  const own = reportsMigrations.slice(0, reportsMigrations.indexOf(last) + 1);
  return openDatabase(
    createDataSource({ url, entities: [], migrations: [...SHARED_MIGRATIONS, ...own], poolSize: 2 }),
  );
}

/** Upgrading a database that holds roll-ups of the bigint, currency-blind kind. */
describe('migration RollupsPerBaseCurrency', () => {
  let url: string;
  let before: DataSource | undefined;
  let after: DataSource | undefined;
  const userId = randomUUID();
  const account = randomUUID();
  const food = randomUUID();

  beforeAll(async () => {
    url = await createTestDatabase('reports_rollup_migration');
  });
  afterAll(async () => {
    if (before?.isInitialized) await before.destroy();
    if (after?.isInitialized) await after.destroy();
    await dropTestDatabase(url);
  });

  const snapshot = async (db: DataSource, table: string) =>
    db.query(`SELECT * FROM ${table} WHERE user_id = $1 ORDER BY 1, 2, 3, 4, 5, 6`, [userId]);

  it('recomputes the roll-ups per base currency from the transactions, and down merges them back', async () => {
    before = await databaseUpTo(url, ReadModel1700000000000);
    // Two USD expenses (before a base-currency change) and one EUR expense on one day, one category,
    // and a transfer; the old roll-ups had summed USD and EUR together.
    const rows: Array<[string, string, string, string | null]> = [
      ['expense', 'USD', '1000', food],
      ['expense', 'USD', '250', food],
      ['expense', 'EUR', '700', food],
      ['transfer', 'EUR', '5000', null],
    ];
    for (const [type, currency, amount, category] of rows)
      await before.query(
        `INSERT INTO report_transactions (id, user_id, account_id, to_account_id, category_id, type, base_amount_minor,
           base_currency, amount_minor, currency, date, description, version)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $7, $8, '2026-02-10', 'x', 1)`,
        [
          randomUUID(),
          userId,
          account,
          type === 'transfer' ? randomUUID() : null,
          category,
          type,
          amount,
          currency,
        ],
      );
    await before.query(
      `INSERT INTO daily_rollups (user_id, date, category_key, type, total_minor, count)
       VALUES ($1, '2026-02-10', $2, 'expense', 1950, 3)`,
      [userId, food],
    );
    await before.destroy();

    after = await databaseUpTo(url, RollupsPerBaseCurrency1750000000000);
    expect(
      await after.query(
        `SELECT base_currency, total_minor::text AS total, count FROM daily_rollups WHERE user_id = $1 ORDER BY 1`,
        [userId],
      ),
    ).toEqual([
      { base_currency: 'EUR', total: '700', count: 1 },
      { base_currency: 'USD', total: '1250', count: 2 },
    ]);
    const migrated = [await snapshot(after, 'daily_rollups'), await snapshot(after, 'daily_account_rollups')];
    expect(migrated[1]).toHaveLength(4); // USD expense, EUR expense, transfer out, transfer in
    // Today's repair path reads a later column too (a transaction's parts): add it as its migration does.
    const runner = after.createQueryRunner();
    await new TransactionSplits1796700000000().up(runner);
    await runner.release();
    await rebuildRollups(after, userId);
    expect([await snapshot(after, 'daily_rollups'), await snapshot(after, 'daily_account_rollups')]).toEqual(
      migrated,
    );
    // Beyond 64 bits now fits.
    await after.query(
      `UPDATE daily_rollups SET total_minor = total_minor * 10000000000000000 WHERE user_id = $1`,
      [userId],
    );
    expect(
      await after.query(
        `SELECT total_minor::text AS total FROM daily_rollups WHERE user_id = $1 ORDER BY 1`,
        [userId],
      ),
    ).toEqual([{ total: '12500000000000000000' }, { total: '7000000000000000000' }]);
    await after.query(
      `UPDATE daily_rollups SET total_minor = total_minor / 10000000000000000 WHERE user_id = $1`,
      [userId],
    );
    await after.undoLastMigration({ transaction: 'each' });
    expect(
      await after.query(`SELECT total_minor::text AS total, count FROM daily_rollups WHERE user_id = $1`, [
        userId,
      ]),
    ).toEqual([{ total: '1950', count: 3 }]);
    const [{ type }] = await after.query(
      `SELECT data_type AS type FROM information_schema.columns
       WHERE table_name = 'daily_account_rollups' AND column_name = 'total_minor'`,
    );
    expect(type).toBe('bigint');
  });
});
