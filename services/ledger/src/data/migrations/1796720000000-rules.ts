import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Rules (issue 21): each user's ordered rules (conditions and actions as JSON, checked on save),
 * the background applications of a rule to existing transactions (progress and where it got to,
 * so a job resumes after a restart), and for suggestions the manual re-categorisations (one row
 * per transaction: its latest) and the suggestions a user dismissed. New tables only.
 */
export class Rules1796720000000 implements MigrationInterface {
  name = 'Rules1796720000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE rules (
        id uuid PRIMARY KEY,
        user_id uuid NOT NULL,
        name text NOT NULL,
        enabled boolean NOT NULL,
        match text NOT NULL CHECK (match IN ('all', 'any')),
        conditions jsonb NOT NULL,
        actions jsonb NOT NULL,
        stop_processing boolean NOT NULL,
        position integer NOT NULL,
        version integer NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX rules_by_position ON rules (user_id, position, id)`);
    await q.query(`
      CREATE TABLE rule_jobs (
        id uuid PRIMARY KEY,
        user_id uuid NOT NULL,
        rule_id uuid NOT NULL,
        date_from date,
        date_to date,
        status text NOT NULL CHECK (status IN ('pending', 'running', 'completed', 'failed')),
        total integer NOT NULL,
        examined integer NOT NULL DEFAULT 0,
        changed integer NOT NULL DEFAULT 0,
        failed integer NOT NULL DEFAULT 0,
        after_date date,
        after_id uuid,
        failure text,
        attempts integer NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        finished_at timestamptz
      )`);
    await q.query(
      `CREATE INDEX rule_jobs_to_run ON rule_jobs (created_at) WHERE status IN ('pending', 'running')`,
    );
    await q.query(`
      CREATE TABLE recategorisations (
        user_id uuid NOT NULL,
        transaction_id uuid NOT NULL,
        match_field text NOT NULL CHECK (match_field IN ('payee', 'description')),
        match_key text NOT NULL,
        match_text text NOT NULL,
        transaction_type text NOT NULL,
        category_id uuid NOT NULL,
        recorded_at timestamptz NOT NULL,
        PRIMARY KEY (user_id, transaction_id)
      )`);
    await q.query(
      `CREATE INDEX recategorisations_by_key ON recategorisations (user_id, match_field, match_key, category_id)`,
    );
    await q.query(`
      CREATE TABLE rule_suggestion_dismissals (
        user_id uuid NOT NULL,
        match_field text NOT NULL,
        match_key text NOT NULL,
        category_id uuid NOT NULL,
        dismissed_at timestamptz NOT NULL,
        PRIMARY KEY (user_id, match_field, match_key, category_id)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE rule_suggestion_dismissals`);
    await q.query(`DROP TABLE recategorisations`);
    await q.query(`DROP TABLE rule_jobs`);
    await q.query(`DROP TABLE rules`);
  }
}
