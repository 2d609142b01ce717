import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Split transactions (issue 21): a transaction's parts in the read model, as the event carries
 * them (`[{categoryId, amountMinor, baseAmountMinor, notes, tags}]`, minor units as strings), so a
 * replaced or deleted transaction's parts can be taken back out of the roll-ups and the CSV export
 * writes one row per part. Additive: every existing row is not split ([]).
 */
export class TransactionSplits1796700000000 implements MigrationInterface {
  name = 'TransactionSplits1796700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE report_transactions ADD COLUMN splits jsonb NOT NULL DEFAULT '[]'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE report_transactions DROP COLUMN splits`);
  }
}
