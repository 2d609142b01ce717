import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The ledger's idempotency_keys table becomes the shared one (`idempotencyMigrations`, which runs
 * right after this and finds the table in its shape): keys are now scoped by operation, and every
 * key stored so far was sent to POST /transactions. Live keys keep replaying across the upgrade.
 */
export class SharedIdempotencyKeys1796112700000 implements MigrationInterface {
  name = 'SharedIdempotencyKeys1796112700000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE idempotency_keys ADD COLUMN scope text NOT NULL DEFAULT 'POST /transactions'`);
    await q.query(`ALTER TABLE idempotency_keys ALTER COLUMN scope DROP DEFAULT`);
    await q.query(`ALTER TABLE idempotency_keys DROP CONSTRAINT idempotency_keys_pkey`);
    await q.query(`ALTER TABLE idempotency_keys ADD PRIMARY KEY (scope, user_id, key)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM idempotency_keys WHERE scope <> 'POST /transactions'`);
    await q.query(`ALTER TABLE idempotency_keys DROP CONSTRAINT idempotency_keys_pkey`);
    await q.query(`ALTER TABLE idempotency_keys ADD PRIMARY KEY (user_id, key)`);
    await q.query(`ALTER TABLE idempotency_keys DROP COLUMN scope`);
  }
}
