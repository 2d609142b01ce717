import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Goals' tables: the goals and contributions it owns, and its read models of the ledger's
 * transactions and accounts (fed by `ledger.transaction.*` / `ledger.account.*`; their applied
 * versions live in the shared `aggregate_versions`). Timestamps have millisecond precision so a
 * created_at in a keyset cursor round-trips through JavaScript exactly.
 */
export class GoalsInitial1796116572593 implements MigrationInterface {
  name = 'GoalsInitial1796116572593';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE goals (
        id uuid PRIMARY KEY,
        user_id uuid NOT NULL,
        name text NOT NULL,
        target_minor bigint NOT NULL CHECK (target_minor > 0),
        current_minor bigint NOT NULL DEFAULT 0 CHECK (current_minor >= 0),
        currency text NOT NULL,
        deadline date,
        status text NOT NULL CHECK (status IN ('active', 'completed', 'cancelled')),
        account_id uuid,
        notes text,
        announced_level smallint NOT NULL DEFAULT 0 CHECK (announced_level IN (0, 25, 50, 75, 100)),
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        version integer NOT NULL DEFAULT 1
      )`);
    await q.query(`CREATE INDEX goals_user_created ON goals (user_id, created_at, id)`);
    await q.query(
      `CREATE INDEX goals_user_account ON goals (user_id, account_id) WHERE account_id IS NOT NULL`,
    );
    await q.query(`
      CREATE TABLE goal_contributions (
        id uuid PRIMARY KEY,
        goal_id uuid NOT NULL REFERENCES goals (id) ON DELETE CASCADE,
        user_id uuid NOT NULL,
        kind text NOT NULL CHECK (kind IN ('transaction', 'manual', 'withdrawal')),
        transaction_id uuid,
        whole_transaction boolean NOT NULL DEFAULT false,
        amount_minor bigint NOT NULL,
        date date NOT NULL,
        note text,
        created_at timestamptz NOT NULL,
        CONSTRAINT goal_contributions_one_per_transaction UNIQUE (goal_id, transaction_id),
        CHECK ((kind = 'transaction') = (transaction_id IS NOT NULL)),
        CHECK (whole_transaction = false OR kind = 'transaction'),
        CHECK (CASE WHEN kind = 'withdrawal' THEN amount_minor < 0 ELSE amount_minor > 0 END)
      )`);
    await q.query(
      `CREATE INDEX goal_contributions_goal_created ON goal_contributions (goal_id, created_at, id)`,
    );
    await q.query(`CREATE INDEX goal_contributions_goal_date ON goal_contributions (goal_id, date)`);
    await q.query(
      `CREATE INDEX goal_contributions_transaction ON goal_contributions (transaction_id) WHERE transaction_id IS NOT NULL`,
    );
    await q.query(`CREATE INDEX goal_contributions_user ON goal_contributions (user_id)`);
    await q.query(`
      CREATE TABLE known_transactions (
        id uuid PRIMARY KEY,
        user_id uuid NOT NULL,
        account_id uuid NOT NULL,
        type text NOT NULL,
        base_amount_minor bigint NOT NULL,
        base_currency text NOT NULL,
        date date NOT NULL
      )`);
    await q.query(`CREATE INDEX known_transactions_user ON known_transactions (user_id)`);
    await q.query(`
      CREATE TABLE known_accounts (
        id uuid PRIMARY KEY,
        user_id uuid NOT NULL
      )`);
    await q.query(`CREATE INDEX known_accounts_user ON known_accounts (user_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE known_accounts`);
    await q.query(`DROP TABLE known_transactions`);
    await q.query(`DROP TABLE goal_contributions`);
    await q.query(`DROP TABLE goals`);
  }
}
