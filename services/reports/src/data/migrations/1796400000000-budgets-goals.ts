import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The monthly report's budgets and goals, from budgets' and goals' events: every version of each
 * budget's definition and of each goal's state, with the instant it took effect (the event's
 * `occurredAt`). A report reads, per budget and goal, the highest version in effect at a given
 * instant (the month's end, and for goals its start too), so a month already over keeps showing
 * what held then, and events arriving twice or out of order change nothing: a version is stored
 * once (its key), and which one counts never depends on the order they came in.
 */
export class BudgetsAndGoals1796400000000 implements MigrationInterface {
  name = 'BudgetsAndGoals1796400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE report_budget_versions (
        budget_id uuid NOT NULL,
        version integer NOT NULL,
        user_id uuid NOT NULL,
        occurred_at timestamptz NOT NULL,
        deleted boolean NOT NULL,
        name text NOT NULL,
        -- null: every expense counts
        category_id uuid,
        amount_minor bigint NOT NULL,
        currency char(3) NOT NULL,
        period text NOT NULL,
        start_date date NOT NULL,
        end_date date,
        rollover boolean NOT NULL,
        PRIMARY KEY (budget_id, version)
      )`);
    await q.query(
      `CREATE INDEX report_budget_versions_user ON report_budget_versions (user_id, occurred_at)`,
    );
    await q.query(`
      CREATE TABLE report_goal_versions (
        goal_id uuid NOT NULL,
        version integer NOT NULL,
        user_id uuid NOT NULL,
        occurred_at timestamptz NOT NULL,
        deleted boolean NOT NULL,
        name text NOT NULL,
        target_minor bigint NOT NULL,
        current_minor bigint NOT NULL,
        currency char(3) NOT NULL,
        status text NOT NULL,
        deadline date,
        PRIMARY KEY (goal_id, version)
      )`);
    await q.query(`CREATE INDEX report_goal_versions_user ON report_goal_versions (user_id, occurred_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS report_goal_versions`);
    await q.query(`DROP TABLE IF EXISTS report_budget_versions`);
  }
}
