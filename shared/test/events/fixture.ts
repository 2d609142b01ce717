import { randomUUID } from 'node:crypto';
import type { DataSource, MigrationInterface, QueryRunner } from 'typeorm';
import { SHARED_MIGRATIONS, createDataSource, openDatabase, type NewEvent } from '@finance/shared';
import { createTestDatabase, dropTestDatabase } from '@finance/shared/testing';

/** What the test handlers write: one row per applied event, plus a small read model. */
class CreateTestTables1700000000900 implements MigrationInterface {
  name = 'CreateTestTables1700000000900';
  async up(queryRunner: QueryRunner): Promise<void> {
    // No unique constraint on purpose: an event applied twice would show up as two rows.
    await queryRunner.query(
      `CREATE TABLE effects (event_id uuid NOT NULL, user_id uuid NOT NULL, aggregate_id text NOT NULL, correlation_id text)`,
    );
    await queryRunner.query(
      `CREATE TABLE transaction_view (id text PRIMARY KEY, user_id uuid NOT NULL, description text NOT NULL, version integer NOT NULL)`,
    );
    await queryRunner.query(`CREATE TABLE accounts (id uuid PRIMARY KEY, name text NOT NULL)`);
  }
  async down(): Promise<void> {}
}

export interface TestStore {
  dataSource: DataSource;
  url: string;
  close(): Promise<void>;
}

export async function openTestStore(label: string): Promise<TestStore> {
  const url = await createTestDatabase(label);
  const dataSource = createDataSource({
    url,
    entities: [],
    migrations: [...SHARED_MIGRATIONS, CreateTestTables1700000000900],
    poolSize: 12,
  });
  await openDatabase(dataSource);
  return {
    dataSource,
    url,
    close: async () => {
      await dataSource.destroy();
      await dropTestDatabase(url);
    },
  };
}

export function transactionCreated(
  userId: string,
  options: { aggregateId?: string; aggregateVersion?: number; description?: string } = {},
): NewEvent<'ledger.transaction.created'> {
  return {
    type: 'ledger.transaction.created',
    userId,
    aggregateId: options.aggregateId ?? randomUUID(),
    aggregateVersion: options.aggregateVersion ?? 1,
    payload: {
      accountId: randomUUID(),
      toAccountId: null,
      type: 'expense',
      amount: '12.34',
      currency: 'USD',
      baseAmount: '12.34',
      baseCurrency: 'USD',
      categoryId: null,
      date: '2026-11-22',
      description: options.description ?? 'coffee',
      payee: null,
      notes: null,
      tags: [],
    },
  };
}

export async function countOf(dataSource: DataSource, sql: string, params: unknown[] = []): Promise<number> {
  const [row]: { count: string }[] = await dataSource.query(sql, params);
  return Number(row.count);
}
