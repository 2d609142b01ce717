import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Recurring templates and the record of each of their occurrences. An occurrence is unique on
 * (template, date): whatever books it (the scheduler on any replica, a manual process, an
 * approval) inserts that row in the same transaction as the booked transaction, so a date is never
 * booked twice. Templates go with their account (an account is deleted only while no transaction
 * uses it); a deleted category leaves them uncategorised, as it does transactions.
 */
export class RecurringTemplates1796300000000 implements MigrationInterface {
  name = 'RecurringTemplates1796300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE recurring_templates (
        id uuid PRIMARY KEY,
        user_id uuid NOT NULL,
        account_id uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
        to_account_id uuid REFERENCES accounts (id) ON DELETE CASCADE,
        category_id uuid REFERENCES categories (id) ON DELETE SET NULL,
        transaction_type text NOT NULL CHECK (transaction_type IN ('income','expense','transfer')),
        amount_minor bigint NOT NULL CHECK (amount_minor > 0),
        currency char(3) NOT NULL,
        description text NOT NULL DEFAULT '',
        notes text,
        payee text,
        tags text[] NOT NULL DEFAULT '{}',
        frequency text NOT NULL CHECK (frequency IN ('daily','weekly','monthly','yearly')),
        "interval" int NOT NULL DEFAULT 1 CHECK ("interval" BETWEEN 1 AND 1000),
        start_date date NOT NULL,
        end_date date,
        max_occurrences int CHECK (max_occurrences >= 1),
        auto_create boolean NOT NULL DEFAULT true,
        remind_days_before int NOT NULL DEFAULT 0 CHECK (remind_days_before BETWEEN 0 AND 30),
        is_active boolean NOT NULL DEFAULT true,
        next_occurrence_index int,
        next_occurrence_date date,
        reminded_date date,
        version int NOT NULL DEFAULT 1,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CHECK ((transaction_type = 'transfer') = (to_account_id IS NOT NULL)),
        CHECK ((next_occurrence_index IS NULL) = (next_occurrence_date IS NULL))
      )`);
    await q.query(
      `CREATE INDEX recurring_templates_user_created ON recurring_templates (user_id, created_at, id)`,
    );
    // What a scheduler tick reads: only active templates with a next date, so a tick with nothing
    // due is one empty index range, whatever the number of templates.
    await q.query(`
      CREATE INDEX recurring_templates_due ON recurring_templates (next_occurrence_date, id)
       WHERE is_active AND next_occurrence_date IS NOT NULL`);
    // Templates whose next occurrence still owes its reminder, by the day the reminder is due.
    await q.query(`
      CREATE INDEX recurring_templates_reminders ON recurring_templates ((next_occurrence_date - remind_days_before), id)
       WHERE is_active AND remind_days_before > 0 AND next_occurrence_date IS NOT NULL
         AND reminded_date IS DISTINCT FROM next_occurrence_date`);
    await q.query(`CREATE INDEX recurring_templates_account ON recurring_templates (account_id)`);
    await q.query(
      `CREATE INDEX recurring_templates_category ON recurring_templates (category_id) WHERE category_id IS NOT NULL`,
    );
    await q.query(`
      CREATE TABLE recurring_occurrences (
        id uuid PRIMARY KEY,
        template_id uuid NOT NULL REFERENCES recurring_templates (id) ON DELETE CASCADE,
        user_id uuid NOT NULL,
        occurrence_date date NOT NULL,
        occurrence_index int NOT NULL,
        status text NOT NULL CHECK (status IN ('pending','booked','skipped','failed')),
        transaction_id uuid REFERENCES transactions (id) ON DELETE SET NULL,
        failure text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT recurring_occurrences_once UNIQUE (template_id, occurrence_date)
      )`);
    await q.query(`
      CREATE INDEX recurring_occurrences_waiting ON recurring_occurrences (user_id, occurrence_date, id)
       WHERE status IN ('pending','failed')`);
    await q.query(
      `CREATE INDEX recurring_occurrences_transaction ON recurring_occurrences (transaction_id) WHERE transaction_id IS NOT NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE recurring_occurrences`);
    await q.query(`DROP TABLE recurring_templates`);
  }
}
