import type { MigrationInterface, QueryRunner } from 'typeorm';

export class BudgetsInitial1763700000000 implements MigrationInterface {
  name = 'BudgetsInitial1763700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE budgets (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL,
        name text NOT NULL,
        category_id uuid,
        amount_minor bigint NOT NULL CHECK (amount_minor > 0),
        currency char(3) NOT NULL,
        period text NOT NULL CHECK (period IN ('daily', 'weekly', 'monthly', 'yearly')),
        start_date date NOT NULL,
        end_date date CHECK (end_date IS NULL OR end_date >= start_date),
        rollover boolean NOT NULL DEFAULT false,
        -- millisecond precision so a created_at in a cursor round-trips through JavaScript exactly
        created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', clock_timestamp()),
        updated_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', clock_timestamp()),
        version integer NOT NULL DEFAULT 1
      )`);
    await q.query(`CREATE INDEX budgets_user_created ON budgets (user_id, created_at, id)`);
    await q.query(`CREATE INDEX budgets_user_category ON budgets (user_id, category_id)`);
    await q.query(`
      CREATE TABLE spending_transactions (
        id uuid PRIMARY KEY,
        user_id uuid NOT NULL,
        category_id uuid,
        type text NOT NULL,
        base_amount_minor bigint NOT NULL,
        base_currency char(3) NOT NULL,
        date date NOT NULL,
        version integer NOT NULL,
        deleted boolean NOT NULL DEFAULT false
      )`);
    await q.query(
      `CREATE INDEX spending_user_category_date ON spending_transactions (user_id, category_id, date)`,
    );
    await q.query(`CREATE INDEX spending_user_date ON spending_transactions (user_id, date)`);
    await q.query(`
      CREATE TABLE known_categories (
        id uuid PRIMARY KEY,
        user_id uuid NOT NULL,
        deleted boolean NOT NULL DEFAULT false,
        version integer NOT NULL
      )`);
    await q.query(`
      CREATE TABLE user_settings (
        user_id uuid PRIMARY KEY,
        base_currency char(3) NOT NULL,
        timezone text NOT NULL,
        version integer NOT NULL
      )`);
    await q.query(`
      CREATE TABLE budget_alerts (
        budget_id uuid NOT NULL REFERENCES budgets (id) ON DELETE CASCADE,
        window_start date NOT NULL,
        threshold integer NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (budget_id, window_start, threshold)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE budget_alerts`);
    await q.query(`DROP TABLE user_settings`);
    await q.query(`DROP TABLE known_categories`);
    await q.query(`DROP TABLE spending_transactions`);
    await q.query(`DROP TABLE budgets`);
  }
}
