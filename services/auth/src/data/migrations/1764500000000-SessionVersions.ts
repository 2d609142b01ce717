import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Session versions (claim `sv`) and the revocation feed the gateway polls. */
export class SessionVersions1764500000000 implements MigrationInterface {
  name = 'SessionVersions1764500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE users ADD COLUMN session_version integer NOT NULL DEFAULT 0 CHECK (session_version >= 0)`,
    );
    // No foreign key: the row of a deleted user must outlive the user.
    await q.query(`
      CREATE TABLE session_revocations (
        seq bigserial PRIMARY KEY,
        user_id uuid NOT NULL,
        session_version integer NOT NULL,
        at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX session_revocations_at_idx ON session_revocations (at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE session_revocations`);
    await q.query(`ALTER TABLE users DROP COLUMN session_version`);
  }
}
