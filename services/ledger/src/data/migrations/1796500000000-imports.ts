import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Statement imports (issue 18): each import's record and progress, the file of a background one
 * (staged in chunks while it arrives, before its import exists: so a job survives a restart; a file whose import never came is dropped after an hour), saved column mappings, and on transactions the
 * bank's own id of the entry and the import that created it. The new transaction columns are
 * nullable (expand first: the previous release keeps writing). Duplicate lookups go by the bank's
 * id, and by date (the file's date range: transactions_user_date); undo goes by import.
 */
export class Imports1796500000000 implements MigrationInterface {
  name = 'Imports1796500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE imports (
        id uuid PRIMARY KEY,
        user_id uuid NOT NULL,
        format text NOT NULL,
        file_name text,
        status text NOT NULL CHECK (status IN ('pending', 'running', 'completed', 'failed', 'undone')),
        options jsonb NOT NULL,
        account_id uuid,
        rows_total integer,
        rows_done integer NOT NULL DEFAULT 0,
        imported integer NOT NULL DEFAULT 0,
        duplicates integer NOT NULL DEFAULT 0,
        invalid integer NOT NULL DEFAULT 0,
        problems jsonb NOT NULL DEFAULT '[]',
        failure text,
        attempts integer NOT NULL DEFAULT 0,
        version integer NOT NULL DEFAULT 1,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        finished_at timestamptz
      )`);
    await q.query(`CREATE INDEX imports_by_user ON imports (user_id, created_at DESC, id DESC)`);
    await q.query(
      `CREATE INDEX imports_to_run ON imports (created_at) WHERE status IN ('pending', 'running')`,
    );
    await q.query(`
      CREATE TABLE import_uploads (
        import_id uuid NOT NULL,
        seq integer NOT NULL,
        chunk bytea NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (import_id, seq)
      )`);
    await q.query(`
      CREATE TABLE import_mappings (
        id uuid PRIMARY KEY,
        user_id uuid NOT NULL,
        name text NOT NULL,
        mapping jsonb NOT NULL,
        account_id uuid,
        version integer NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
      )`);
    await q.query(`CREATE UNIQUE INDEX import_mappings_name ON import_mappings (user_id, lower(name))`);
    await q.query(`ALTER TABLE transactions ADD COLUMN external_id text, ADD COLUMN import_id uuid`);
    await q.query(
      `CREATE INDEX transactions_external_id ON transactions (user_id, external_id) WHERE external_id IS NOT NULL`,
    );
    await q.query(
      `CREATE INDEX transactions_by_import ON transactions (import_id) WHERE import_id IS NOT NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE transactions DROP COLUMN external_id, DROP COLUMN import_id`);
    await q.query(`DROP TABLE import_mappings`);
    await q.query(`DROP TABLE import_uploads`);
    await q.query(`DROP TABLE imports`);
  }
}
