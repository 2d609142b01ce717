import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import {
  createDataSource,
  idempotencyMigrations,
  inboxMigrations,
  openDatabase,
  outboxMigrations,
  storedIdempotentAnswer,
} from '@finance/shared';
import { createTestDatabase, dropTestDatabase } from '@finance/shared/testing';
import { createLedgerDataSource } from '../src/data/data-source';
import { ledgerEntities } from '../src/data/entities';
import { LedgerSchema1763780000000 } from '../src/data/migrations/1763780000000-LedgerSchema';

jest.setTimeout(60_000);

/** Columns, primary key and indexes of a table, in an order-independent form. */
async function shapeOf(dataSource: DataSource, table: string) {
  const columns: Array<Record<string, string>> = await dataSource.query(
    `SELECT column_name, data_type, is_nullable, coalesce(column_default, '') AS column_default
       FROM information_schema.columns WHERE table_name = $1 ORDER BY column_name`,
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
    `SELECT indexdef FROM pg_indexes WHERE tablename = $1 ORDER BY indexname`,
    [table],
  );
  return { columns, key, indexes: indexes.map((i) => i.indexdef) };
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

  it("turn the ledger's own idempotency_keys into the shared table, and keys stored before keep replaying", async () => {
    // A ledger database as the previous release left it, with a live key of POST /transactions.
    const url = await database('ledger_upgrade');
    const before = await openDatabase(
      createDataSource({
        url,
        entities: ledgerEntities,
        migrations: [...outboxMigrations, ...inboxMigrations, LedgerSchema1763780000000],
      }),
    );
    const userId = randomUUID();
    await before.query(
      `INSERT INTO idempotency_keys (user_id, key, request_hash, response_status, response_body)
       VALUES ($1, 'k', 'hash', 201, '{"id": "t1"}')`,
      [userId],
    );
    await before.destroy();

    const after = await openDatabase(createLedgerDataSource(url, 2));
    open.push(after);
    expect(
      await storedIdempotentAnswer(after.manager, { scope: 'POST /transactions', userId, key: 'k' }),
    ).toEqual({
      requestHash: 'hash',
      status: 201,
      body: { id: 't1' },
    });

    // Exactly the table a service that starts with the shared migration gets.
    const fresh = await openDatabase(
      createDataSource({
        url: await database('shared_only'),
        entities: [],
        migrations: idempotencyMigrations,
      }),
    );
    open.push(fresh);
    const shared = await shapeOf(fresh, 'idempotency_keys');
    expect(shared.key).toBe('scope,user_id,key');
    expect(await shapeOf(after, 'idempotency_keys')).toEqual(shared);
  });
});
