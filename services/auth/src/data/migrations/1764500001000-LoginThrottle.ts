import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Throttle buckets counted before the password is checked (replacing the failure log, whose
 * read-then-write let parallel guesses through), and the addresses users logged in from.
 */
export class LoginThrottle1764500001000 implements MigrationInterface {
  name = 'LoginThrottle1764500001000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE login_failures`);
    await q.query(`
      CREATE TABLE login_throttle (
        kind text NOT NULL CHECK (kind IN ('pair', 'account', 'address')),
        account_key text NOT NULL,
        client_ip text NOT NULL,
        attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
        locked_until timestamptz,
        last_attempt_at timestamptz,
        PRIMARY KEY (kind, account_key, client_ip)
      )`);
    await q.query(`CREATE INDEX login_throttle_last_attempt_idx ON login_throttle (last_attempt_at)`);
    await q.query(`
      CREATE TABLE login_known_addresses (
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        client_ip text NOT NULL,
        last_login_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (user_id, client_ip)
      )`);
    await q.query(
      `CREATE INDEX login_known_addresses_last_login_idx ON login_known_addresses (last_login_at)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE login_known_addresses`);
    await q.query(`DROP TABLE login_throttle`);
    await q.query(`
      CREATE TABLE login_failures (
        id bigserial PRIMARY KEY,
        account_key text NOT NULL,
        client_ip text NOT NULL,
        failed_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX login_failures_account_idx ON login_failures (account_key, failed_at)`);
    await q.query(`CREATE INDEX login_failures_ip_idx ON login_failures (client_ip, failed_at)`);
  }
}
