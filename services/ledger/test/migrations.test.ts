import { randomUUID } from 'node:crypto';
import type { DataSource, MigrationInterface } from 'typeorm';
import {
  CreateInbox1700000000200,
  SHARED_MIGRATIONS,
  acceptAggregateVersion,
  createDataSource,
  findUser,
  idempotencyMigrations,
  newId,
  openDatabase,
  outboxMigrations,
  recordInInbox,
  storedIdempotentAnswer,
  userSettingsOf,
} from '@finance/shared';
import { createTestDatabase, dropTestDatabase, openTestDataSource } from '@finance/shared/testing';
import { ledgerEntities } from '../src/data/entities';
import { ledgerMigrations } from '../src/data/migrations';
import { LedgerSchema1763780000000 } from '../src/data/migrations/1763780000000-LedgerSchema';
import { SharedIdempotencyKeys1796112700000 } from '../src/data/migrations/1796112700000-SharedIdempotencyKeys';
import ledger from '../src/service';
import { userEvent } from './support';

jest.setTimeout(60_000);

type Migrations = Array<new () => MigrationInterface>;

/** Columns, primary key and indexes of a table, in an order-independent form. */
async function shapeOf(dataSource: DataSource, table: string) {
  const columns: Array<Record<string, string>> = await dataSource.query(
    `SELECT column_name, data_type, is_nullable, coalesce(column_default, '') AS column_default
       FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1 ORDER BY column_name`,
    [table],
  );
  const [{ key }] = await dataSource.query(
    `SELECT array_to_string(array_agg(a.attname ORDER BY k.n), ',') AS key
       FROM pg_index i
       CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, n)
       JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
      WHERE i.indrelid = $1::regclass AND i.indisprimary`,
    [table],
  );
  const indexes: Array<{ indexdef: string }> = await dataSource.query(
    `SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename = $1 ORDER BY indexname`,
    [table],
  );
  return { columns, key, indexes: indexes.map((i) => i.indexdef) };
}

/** Every table of the schema (but TypeORM's own bookkeeping) with its shape. */
async function schemaOf(dataSource: DataSource) {
  const tables: Array<{ table_name: string }> = await dataSource.query(
    `SELECT table_name FROM information_schema.tables
      WHERE table_schema = 'public' AND table_name <> 'migrations' ORDER BY table_name`,
  );
  const schema: Record<string, Awaited<ReturnType<typeof shapeOf>>> = {};
  for (const { table_name } of tables) schema[table_name] = await shapeOf(dataSource, table_name);
  return schema;
}

describe('ledger migrations', () => {
  const urls: string[] = [];
  const open: DataSource[] = [];
  afterAll(async () => {
    for (const d of open) if (d.isInitialized) await d.destroy();
    for (const url of urls) await dropTestDatabase(url);
  });
  async function database(label: string) {
    const url = await createTestDatabase(label);
    urls.push(url);
    return url;
  }
  /** Opens a database with exactly these migrations run (those already run are skipped). */
  async function migrated(url: string, migrations: Migrations) {
    const dataSource = await openDatabase(
      createDataSource({ url, entities: ledgerEntities, migrations, poolSize: 2 }),
    );
    open.push(dataSource);
    return dataSource;
  }
  const alice = newId(); // registered, settings EUR / Europe/Paris, auth.user version 3 applied
  const deleted = newId(); // registered, then deleted (version 5): no profile left

  /** A ledger database as an older release left it, holding a live Idempotency-Key, a profile and a deletion. */
  async function olderLedger(label: string, migrations: Migrations) {
    const url = await database(label);
    const before = await migrated(url, migrations);
    const scoped =
      (
        await before.query(
          `SELECT 1 FROM information_schema.columns WHERE table_name = 'idempotency_keys' AND column_name = 'scope'`,
        )
      ).length > 0;
    await before.query(
      `INSERT INTO idempotency_keys (${scoped ? 'scope, ' : ''}user_id, key, request_hash, response_status, response_body)
       VALUES (${scoped ? `'POST /transactions', ` : ''}$1, 'k', 'hash', 201, '{"id": "t1"}')`,
      [alice],
    );
    await before.query(
      `INSERT INTO user_profiles (user_id, base_currency, timezone) VALUES ($1, 'EUR', 'Europe/Paris')`,
      [alice],
    );
    await before.query(
      `INSERT INTO aggregate_versions (aggregate_type, aggregate_id, version) VALUES ('auth.user', $1, 3), ('auth.user', $2, 5)`,
      [alice, deleted],
    );
    await before.destroy();
    return url;
  }

  it('a fresh database and upgraded ones end in the same schema: the shared idempotency_keys and user directory, no user_profiles', async () => {
    const fresh = await openTestDataSource(ledger, 'ledger_fresh');
    try {
      const freshSchema = await schemaOf(fresh.dataSource);
      expect(Object.keys(freshSchema)).toEqual(
        expect.arrayContaining([
          'accounts',
          'categories',
          'transactions',
          'idempotency_keys',
          'user_directory',
          'deleted_users',
          'outbox',
          'inbox',
          'aggregate_versions',
        ]),
      );
      expect(freshSchema).not.toHaveProperty('user_profiles');

      // Exactly the tables a service gets from the shared migrations alone.
      const sharedOnly = await migrated(await database('shared_only'), SHARED_MIGRATIONS);
      for (const table of ['idempotency_keys', 'user_directory'])
        expect({ table, shape: freshSchema[table] }).toEqual({
          table,
          shape: await shapeOf(sharedOnly, table),
        });
      expect(freshSchema.idempotency_keys.key).toBe('scope,user_id,key');

      // From before the shared idempotency table, and from the release before the user directory.
      const beforeReshape = await olderLedger('ledger_before_reshape', [
        ...outboxMigrations,
        CreateInbox1700000000200,
        LedgerSchema1763780000000,
      ]);
      const beforeDirectory = await olderLedger('ledger_before_directory', [
        ...outboxMigrations,
        CreateInbox1700000000200,
        LedgerSchema1763780000000,
        SharedIdempotencyKeys1796112700000,
        ...idempotencyMigrations,
      ]);
      for (const url of [beforeReshape, beforeDirectory]) {
        const upgraded = await migrated(url, [...SHARED_MIGRATIONS, ...ledgerMigrations]);
        expect(await schemaOf(upgraded)).toEqual(freshSchema);
      }
    } finally {
      await fresh.close();
    }
  });

  it('upgrading keeps what the older release held: Idempotency-Keys replay, settings and their versions move to the directory, a deleted user stays deleted', async () => {
    const url = await olderLedger('ledger_upgrade', [
      ...outboxMigrations,
      CreateInbox1700000000200,
      LedgerSchema1763780000000,
    ]);
    const after = await migrated(url, [...SHARED_MIGRATIONS, ...ledgerMigrations]);

    expect(
      await storedIdempotentAnswer(after.manager, { scope: 'POST /transactions', userId: alice, key: 'k' }),
    ).toEqual({ requestHash: 'hash', status: 201, body: { id: 't1' } });

    expect(await userSettingsOf(after, alice)).toEqual({ baseCurrency: 'EUR', timezone: 'Europe/Paris' });
    expect(await findUser(after, alice)).toMatchObject({ known: true, deleted: false, isActive: true });
    // The versions applied before still count: an older update arriving now is refused, a newer one taken.
    await after
      .transaction(async (manager) => {
        expect(await acceptAggregateVersion(manager, userEvent('auth.user.updated', alice, 2))).toBe(false);
        expect(await acceptAggregateVersion(manager, userEvent('auth.user.updated', alice, 4))).toBe(true);
        throw new Error('rolled back on purpose');
      })
      .catch((error: Error) => expect(error.message).toBe('rolled back on purpose'));

    // The deleted user has the directory's tombstone, and consumers skip their events from now on.
    expect(await findUser(after, deleted)).toMatchObject({ deleted: true, isActive: false, known: false });
    await after.transaction(async (manager) => {
      expect(await recordInInbox(manager, 'ledger', userEvent('auth.user.updated', deleted, 6))).toBe(false);
      expect(await recordInInbox(manager, 'ledger', userEvent('auth.user.updated', randomUUID(), 1))).toBe(
        true,
      );
    });
    const [{ exists }] = await after.query(`SELECT to_regclass('user_profiles') IS NOT NULL AS exists`);
    expect(exists).toBe(false);
  });
});
