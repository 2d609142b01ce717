import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The ledger's own copy of users' settings (`user_profiles`) gives way to the shared user
 * directory (created by the shared migrations, which run first). The settings move over; the
 * versions they were applied at are already in `aggregate_versions` as `auth.user` (the ledger's
 * handlers recorded them there), so an older auth.user.updated arriving later is still refused.
 *
 * A user with an applied `auth.user` version but no profile was deleted (deletion removed the
 * profile and nothing else does): they get the directory's tombstone, so their still-valid tokens
 * and any late event of theirs are refused from the start.
 */
export class MoveUserProfilesToDirectory1796200000000 implements MigrationInterface {
  name = 'MoveUserProfilesToDirectory1796200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      INSERT INTO user_directory (user_id, base_currency, timezone, updated_at)
      SELECT user_id, base_currency, timezone, updated_at FROM user_profiles
      ON CONFLICT (user_id) DO NOTHING`);
    await q.query(`
      INSERT INTO user_directory (user_id, is_active, deleted_at, updated_at)
      SELECT v.aggregate_id::uuid, false, v.updated_at, v.updated_at
        FROM aggregate_versions v
       WHERE v.aggregate_type = 'auth.user'
         AND NOT EXISTS (SELECT 1 FROM user_profiles p WHERE p.user_id::text = v.aggregate_id)
      ON CONFLICT (user_id) DO NOTHING`);
    await q.query(`
      INSERT INTO deleted_users (user_id, deleted_at)
      SELECT user_id, deleted_at FROM user_directory WHERE deleted_at IS NOT NULL
      ON CONFLICT (user_id) DO NOTHING`);
    await q.query(`DROP TABLE user_profiles`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE user_profiles (
        user_id uuid PRIMARY KEY,
        base_currency char(3) NOT NULL,
        timezone text NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      INSERT INTO user_profiles (user_id, base_currency, timezone, updated_at)
      SELECT user_id, base_currency, timezone, updated_at FROM user_directory
       WHERE base_currency IS NOT NULL AND timezone IS NOT NULL AND deleted_at IS NULL`);
  }
}
