import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Exchange rates (one row per base, quote and day, the rate an exact decimal) and what a
 * transaction records of its conversion: the rate and the rate's date it was converted at, and
 * for a transfer between currencies what arrived in the receiving account. The new columns are
 * nullable, so the previous release's code keeps writing (expand first). A change of a user's
 * base currency is recomputed in the background: `base_currency_changes` is its progress.
 */
export class ExchangeRates1796400000000 implements MigrationInterface {
  name = 'ExchangeRates1796400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE exchange_rates (
        base char(3) NOT NULL,
        quote char(3) NOT NULL,
        date date NOT NULL,
        rate numeric NOT NULL CHECK (rate > 0),
        source text NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (base, quote, date),
        CHECK (base <> quote)
      )`);
    // Lookups go by pair, latest date first; the primary key serves them (date DESC by a backward scan).
    await q.query(`CREATE INDEX exchange_rates_quote ON exchange_rates (quote, base, date)`);
    await q.query(`
      ALTER TABLE transactions
        ADD COLUMN fx_rate numeric,
        ADD COLUMN fx_rate_date date,
        ADD COLUMN to_amount_minor bigint,
        ADD COLUMN to_currency char(3)`);
    await q.query(`
      CREATE TABLE base_currency_changes (
        user_id uuid PRIMARY KEY,
        base_currency char(3) NOT NULL,
        status text NOT NULL,
        total int NOT NULL,
        done int NOT NULL DEFAULT 0,
        failed int NOT NULL DEFAULT 0,
        last_problem text,
        -- The recomputation walks the user's transactions by id: where it got to (resumes after a restart).
        last_id uuid,
        started_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE base_currency_changes`);
    await q.query(`
      ALTER TABLE transactions
        DROP COLUMN fx_rate, DROP COLUMN fx_rate_date, DROP COLUMN to_amount_minor, DROP COLUMN to_currency`);
    await q.query(`DROP TABLE exchange_rates`);
  }
}
