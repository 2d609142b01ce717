import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Split transactions (issue 21): a transaction's parts, each with its share of the amount and of
 * the base amount (minor units), its own category, notes and tags. Additive: a transaction without
 * rows here is not split, as every existing one. The parts go with their transaction (cascade);
 * their category must exist (a category is deleted only after its parts are moved). Lookups by
 * category (the list filter, a category's deletion) go by (user_id, category_id).
 */
export class TransactionSplits1796700000000 implements MigrationInterface {
  name = 'TransactionSplits1796700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE transaction_splits (
        transaction_id uuid NOT NULL REFERENCES transactions (id) ON DELETE CASCADE,
        position integer NOT NULL CHECK (position >= 0),
        user_id uuid NOT NULL,
        amount_minor bigint NOT NULL CHECK (amount_minor > 0),
        base_amount_minor bigint NOT NULL,
        category_id uuid REFERENCES categories (id),
        notes text,
        tags text[] NOT NULL DEFAULT '{}',
        PRIMARY KEY (transaction_id, position)
      )`);
    await q.query(
      `CREATE INDEX transaction_splits_user_category ON transaction_splits (user_id, category_id, transaction_id)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE transaction_splits`);
  }
}
