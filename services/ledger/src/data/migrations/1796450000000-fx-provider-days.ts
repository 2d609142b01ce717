import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The past days the rate provider has answered for, per provider base: what is stored for such a
 * day is all the provider has (a holiday has no rate of its own), so it is never asked for that
 * day again — also after a restart, and by another replica. A new table only (expand).
 */
export class FxProviderDays1796450000000 implements MigrationInterface {
  name = 'FxProviderDays1796450000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE fx_provider_days (
        base char(3) NOT NULL,
        date date NOT NULL,
        answered_at timestamptz NOT NULL,
        PRIMARY KEY (base, date)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE fx_provider_days`);
  }
}
