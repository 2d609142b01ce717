import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The read model fed by ledger and auth events, and the daily roll-ups the analytics read.
 * Uncategorised roll-up rows use the nil UUID as their category key so one plain unique
 * index covers them (NULL would never conflict in ON CONFLICT).
 */
export class ReadModel1700000000000 implements MigrationInterface {
  name = 'ReadModel1700000000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE user_settings (
        user_id uuid PRIMARY KEY,
        base_currency char(3) NOT NULL,
        timezone text NOT NULL DEFAULT 'UTC',
        -- null: only inferred from a transaction until auth's event arrives
        version integer
      )`);
    await runner.query(`
      CREATE TABLE report_categories (
        id uuid PRIMARY KEY,
        user_id uuid NOT NULL,
        name text NOT NULL,
        color text NOT NULL,
        kind text NOT NULL,
        deleted boolean NOT NULL DEFAULT false,
        version integer NOT NULL
      )`);
    await runner.query(`CREATE INDEX report_categories_user ON report_categories (user_id)`);
    await runner.query(`
      CREATE TABLE report_accounts (
        id uuid PRIMARY KEY,
        user_id uuid NOT NULL,
        name text NOT NULL,
        type text NOT NULL,
        currency char(3) NOT NULL,
        opening_balance_minor bigint NOT NULL,
        archived boolean NOT NULL DEFAULT false,
        deleted boolean NOT NULL DEFAULT false,
        version integer NOT NULL
      )`);
    await runner.query(`CREATE INDEX report_accounts_user ON report_accounts (user_id)`);
    await runner.query(`
      CREATE TABLE report_transactions (
        id uuid PRIMARY KEY,
        user_id uuid NOT NULL,
        account_id uuid NOT NULL,
        to_account_id uuid,
        category_id uuid,
        type text NOT NULL CHECK (type IN ('income', 'expense', 'transfer')),
        base_amount_minor bigint NOT NULL,
        base_currency char(3) NOT NULL,
        amount_minor bigint NOT NULL,
        currency char(3) NOT NULL,
        date date NOT NULL,
        description text NOT NULL,
        payee text,
        notes text,
        tags text[] NOT NULL DEFAULT '{}',
        version integer NOT NULL
      )`);
    // Serves the CSV export's keyset scan and the top-expenses list of the PDF.
    await runner.query(
      `CREATE INDEX report_transactions_user_date ON report_transactions (user_id, date, id)`,
    );
    await runner.query(`
      CREATE TABLE daily_rollups (
        user_id uuid NOT NULL,
        date date NOT NULL,
        category_key uuid NOT NULL,
        type text NOT NULL CHECK (type IN ('income', 'expense')),
        total_minor bigint NOT NULL,
        count integer NOT NULL,
        PRIMARY KEY (user_id, date, category_key, type)
      )`);
    // Per account as well: the account filter and per-account cash flow read this one.
    // Transfers appear here only, as transfer_out on the source and transfer_in on the target.
    await runner.query(`
      CREATE TABLE daily_account_rollups (
        user_id uuid NOT NULL,
        account_id uuid NOT NULL,
        date date NOT NULL,
        category_key uuid NOT NULL,
        type text NOT NULL CHECK (type IN ('income', 'expense', 'transfer_in', 'transfer_out')),
        total_minor bigint NOT NULL,
        count integer NOT NULL,
        PRIMARY KEY (user_id, account_id, date, category_key, type)
      )`);
    await runner.query(
      `CREATE INDEX daily_account_rollups_user_date ON daily_account_rollups (user_id, date)`,
    );
    await runner.query(`
      CREATE TABLE monthly_reports (
        id uuid PRIMARY KEY,
        user_id uuid NOT NULL,
        month char(7) NOT NULL,
        currency char(3) NOT NULL,
        income_minor bigint NOT NULL,
        expense_minor bigint NOT NULL,
        pdf bytea NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (user_id, month)
      )`);
    await runner.query(
      `CREATE INDEX monthly_reports_user_month ON monthly_reports (user_id, month DESC, id DESC)`,
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    for (const table of [
      'monthly_reports',
      'daily_account_rollups',
      'daily_rollups',
      'report_transactions',
      'report_accounts',
      'report_categories',
      'user_settings',
    ]) {
      await runner.query(`DROP TABLE IF EXISTS ${table}`);
    }
  }
}
