import type { MigrationInterface, QueryRunner } from 'typeorm';

/** notifier's first tables. Replace the example with what the service owns. */
export class NotifierInitial1796116583144 implements MigrationInterface {
  name = 'NotifierInitial1796116583144';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE items (
        id uuid PRIMARY KEY,
        user_id uuid NOT NULL,
        name text NOT NULL,
        version integer NOT NULL DEFAULT 1,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX items_user_created ON items (user_id, created_at, id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE items`);
  }
}
