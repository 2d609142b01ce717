import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Known transactions keep their own amount and currency beside the base ones, so that after a
 * base-currency change a goal in the old currency still counts a transaction made in it.
 * Rows from before stay null (only their base amount is known) until the ledger re-publishes them.
 */
export class TransactionOwnCurrency1796600000000 implements MigrationInterface {
  name = 'TransactionOwnCurrency1796600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE known_transactions ADD COLUMN amount_minor bigint, ADD COLUMN currency text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE known_transactions DROP COLUMN amount_minor, DROP COLUMN currency`);
  }
}
