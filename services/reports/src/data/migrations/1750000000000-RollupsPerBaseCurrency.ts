import type { MigrationInterface, QueryRunner } from 'typeorm';

const UNCATEGORISED = '00000000-0000-0000-0000-000000000000';

/**
 * Sums that always fit, kept per base currency.
 *
 * - Every sum reports keeps (roll-up totals, stored monthly totals) becomes `numeric(38,0)`: a
 *   roll-up row adds at most 2^31 − 1 transactions (its `count` is an integer) of less than 2^63
 *   minor units each (the ledger's bigint), so under 2^94 ≈ 2·10^28 — far inside 38 digits. As
 *   bigint, ten BHD 999,999,999,999,999.000 on one day overflowed and the event was dead-lettered.
 * - Roll-ups gain `base_currency` in their key: after a base-currency change, old and new money
 *   are never added together, and analytics can say what is in another currency.
 *
 * The roll-ups are recomputed from report_transactions (the source they are derived from), as
 * `rebuildRollups` does for one user.
 */
export class RollupsPerBaseCurrency1750000000000 implements MigrationInterface {
  name = 'RollupsPerBaseCurrency1750000000000';

  async up(runner: QueryRunner): Promise<void> {
    for (const table of ['daily_rollups', 'daily_account_rollups']) {
      await runner.query(`DELETE FROM ${table}`);
      await runner.query(`ALTER TABLE ${table} ALTER COLUMN total_minor TYPE numeric(38, 0)`);
      await runner.query(`ALTER TABLE ${table} ADD COLUMN base_currency char(3) NOT NULL`);
    }
    await runner.query(`ALTER TABLE daily_rollups DROP CONSTRAINT daily_rollups_pkey`);
    await runner.query(
      `ALTER TABLE daily_rollups ADD PRIMARY KEY (user_id, date, category_key, type, base_currency)`,
    );
    await runner.query(`ALTER TABLE daily_account_rollups DROP CONSTRAINT daily_account_rollups_pkey`);
    await runner.query(
      `ALTER TABLE daily_account_rollups ADD PRIMARY KEY (user_id, account_id, date, category_key, type, base_currency)`,
    );
    await runner.query(
      `INSERT INTO daily_rollups (user_id, date, category_key, type, base_currency, total_minor, count)
       SELECT user_id, date, coalesce(category_id, $1), type, base_currency, sum(base_amount_minor), count(*)
       FROM report_transactions WHERE type <> 'transfer'
       GROUP BY user_id, date, coalesce(category_id, $1), type, base_currency`,
      [UNCATEGORISED],
    );
    await runner.query(
      `INSERT INTO daily_account_rollups (user_id, account_id, date, category_key, type, base_currency, total_minor, count)
       SELECT user_id, account_id, date, category_key, type, base_currency, sum(amount), count(*)
       FROM (
         SELECT user_id, account_id, date, coalesce(category_id, $1) AS category_key,
                CASE WHEN type = 'transfer' THEN 'transfer_out' ELSE type END AS type, base_currency,
                base_amount_minor AS amount
         FROM report_transactions
         UNION ALL
         SELECT user_id, to_account_id, date, coalesce(category_id, $1), 'transfer_in', base_currency, base_amount_minor
         FROM report_transactions WHERE type = 'transfer' AND to_account_id IS NOT NULL
       ) flows
       GROUP BY user_id, account_id, date, category_key, type, base_currency`,
      [UNCATEGORISED],
    );
    await runner.query(`ALTER TABLE monthly_reports ALTER COLUMN income_minor TYPE numeric(38, 0)`);
    await runner.query(`ALTER TABLE monthly_reports ALTER COLUMN expense_minor TYPE numeric(38, 0)`);
  }

  async down(runner: QueryRunner): Promise<void> {
    // Back to one bigint total per day × category × type: sums of different base currencies merge
    // again (as before this migration) and a sum beyond 64 bits makes this fail rather than wrap.
    await runner.query(`ALTER TABLE monthly_reports ALTER COLUMN income_minor TYPE bigint`);
    await runner.query(`ALTER TABLE monthly_reports ALTER COLUMN expense_minor TYPE bigint`);
    const keys: Record<string, string> = {
      daily_rollups: 'user_id, date, category_key, type',
      daily_account_rollups: 'user_id, account_id, date, category_key, type',
    };
    for (const [table, key] of Object.entries(keys)) {
      await runner.query(`CREATE TEMPORARY TABLE merged AS
        SELECT ${key}, sum(total_minor) AS total_minor, sum(count)::int AS count FROM ${table} GROUP BY ${key}`);
      await runner.query(`DELETE FROM ${table}`);
      await runner.query(`ALTER TABLE ${table} DROP CONSTRAINT ${table}_pkey`);
      await runner.query(`ALTER TABLE ${table} DROP COLUMN base_currency`);
      await runner.query(`ALTER TABLE ${table} ALTER COLUMN total_minor TYPE bigint`);
      await runner.query(`ALTER TABLE ${table} ADD PRIMARY KEY (${key})`);
      await runner.query(
        `INSERT INTO ${table} (${key}, total_minor, count) SELECT ${key}, total_minor, count FROM merged`,
      );
      await runner.query(`DROP TABLE merged`);
    }
  }
}
