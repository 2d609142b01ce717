import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Reports' own copy of users' settings (`user_settings`) gives way to the shared user directory
 * (created by the shared migrations, which run first). The settings move over, and the versions
 * auth's events were applied at move into `aggregate_versions` (as `auth.user`), so an older
 * `auth.user.updated` arriving later is still refused. A row reports had only inferred from a
 * user's first transaction (version NULL: auth's registration never reached reports) moves too,
 * so that user's figures stay in the currency they were shown in; it records no version, and
 * auth's first event for the user replaces it.
 */
export class MoveUserSettingsToDirectory1796300000000 implements MigrationInterface {
  name = 'MoveUserSettingsToDirectory1796300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      INSERT INTO user_directory (user_id, base_currency, timezone)
      SELECT user_id, base_currency, timezone FROM user_settings
      ON CONFLICT (user_id) DO NOTHING`);
    await q.query(`
      INSERT INTO aggregate_versions (aggregate_type, aggregate_id, version)
      SELECT 'auth.user', user_id::text, version FROM user_settings WHERE version IS NOT NULL
      ON CONFLICT (aggregate_type, aggregate_id) DO UPDATE SET version = GREATEST(aggregate_versions.version, EXCLUDED.version)`);
    await q.query(`DROP TABLE user_settings`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE user_settings (
        user_id uuid PRIMARY KEY,
        base_currency char(3) NOT NULL,
        timezone text NOT NULL DEFAULT 'UTC',
        version integer
      )`);
    await q.query(`
      INSERT INTO user_settings (user_id, base_currency, timezone, version)
      SELECT d.user_id, d.base_currency, coalesce(d.timezone, 'UTC'), v.version
      FROM user_directory d
      LEFT JOIN aggregate_versions v ON v.aggregate_type = 'auth.user' AND v.aggregate_id = d.user_id::text
      WHERE d.base_currency IS NOT NULL AND d.deleted_at IS NULL`);
  }
}
