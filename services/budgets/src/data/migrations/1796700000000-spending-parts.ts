import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Split transactions (issue 21): the parts of a split transaction as the spending read model
 * counts them, each in its own category. The transaction's own row (spending_transactions) keeps
 * its whole base amount with no category — what budgets on all expenses count — and its version;
 * the parts are replaced whenever that row is written (and emptied when it is deleted), so they are
 * always the parts of the version it holds. Additive: nothing existing is split.
 */
export class SpendingParts1796700000000 implements MigrationInterface {
  name = 'SpendingParts1796700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE spending_transaction_parts (
        transaction_id uuid NOT NULL REFERENCES spending_transactions (id) ON DELETE CASCADE,
        position integer NOT NULL,
        user_id uuid NOT NULL,
        category_id uuid,
        type text NOT NULL,
        base_amount_minor bigint NOT NULL,
        base_currency char(3) NOT NULL,
        date date NOT NULL,
        PRIMARY KEY (transaction_id, position)
      )`);
    await q.query(
      `CREATE INDEX spending_parts_user_category_date ON spending_transaction_parts (user_id, category_id, date)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE spending_transaction_parts`);
  }
}
