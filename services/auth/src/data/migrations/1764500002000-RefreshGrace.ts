import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Who used a refresh token up, and the pair it was exchanged for (sealed), for the grace window. */
export class RefreshGrace1764500002000 implements MigrationInterface {
  name = 'RefreshGrace1764500002000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE refresh_tokens ADD COLUMN used_by text, ADD COLUMN successor_sealed text`);
    await q.query(
      `CREATE INDEX refresh_tokens_sealed_used_at_idx ON refresh_tokens (used_at) WHERE successor_sealed IS NOT NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX refresh_tokens_sealed_used_at_idx`);
    await q.query(`ALTER TABLE refresh_tokens DROP COLUMN used_by, DROP COLUMN successor_sealed`);
  }
}
