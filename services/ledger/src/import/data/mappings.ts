import type { EntityManager } from 'typeorm';
import { newId } from '@finance/shared';

export interface SavedMapping {
  id: string;
  userId: string;
  name: string;
  mapping: unknown;
  accountId: string | null;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

interface MappingRow {
  id: string;
  user_id: string;
  name: string;
  mapping: unknown;
  account_id: string | null;
  version: number;
  created_at: Date;
  updated_at: Date;
}

const of = (r: MappingRow): SavedMapping => ({
  id: r.id,
  userId: r.user_id,
  name: r.name,
  mapping: r.mapping,
  accountId: r.account_id,
  version: r.version,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export type MappingState = Pick<SavedMapping, 'name' | 'mapping' | 'accountId'>;

export async function insertMapping(
  manager: EntityManager,
  userId: string,
  state: MappingState,
  now: Date,
): Promise<SavedMapping> {
  const rows: MappingRow[] = await manager.query(
    `INSERT INTO import_mappings (id, user_id, name, mapping, account_id, version, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, 1, $6, $6) RETURNING *`,
    [newId(), userId, state.name, JSON.stringify(state.mapping), state.accountId, now],
  );
  return of(rows[0]);
}

export async function updateMapping(
  manager: EntityManager,
  current: SavedMapping,
  state: MappingState,
  now: Date,
): Promise<SavedMapping> {
  // An UPDATE answers [rows, affected count] through TypeORM's query().
  const [rows]: [MappingRow[], number] = await manager.query(
    `UPDATE import_mappings SET name = $3, mapping = $4, account_id = $5, version = version + 1, updated_at = $6
      WHERE id = $1 AND user_id = $2 RETURNING *`,
    [current.id, current.userId, state.name, JSON.stringify(state.mapping), state.accountId, now],
  );
  return of(rows[0]);
}

export async function deleteMapping(manager: EntityManager, m: SavedMapping): Promise<void> {
  await manager.query(`DELETE FROM import_mappings WHERE id = $1 AND user_id = $2`, [m.id, m.userId]);
}

export async function findMapping(
  manager: EntityManager,
  userId: string,
  ref: { id: string } | { name: string },
  options: { lock?: boolean } = {},
): Promise<SavedMapping | null> {
  const rows: MappingRow[] =
    'id' in ref
      ? await manager.query(
          `SELECT * FROM import_mappings WHERE user_id = $1 AND id = $2 ${options.lock ? 'FOR UPDATE' : ''}`,
          [userId, ref.id],
        )
      : await manager.query(`SELECT * FROM import_mappings WHERE user_id = $1 AND lower(name) = lower($2)`, [
          userId,
          ref.name,
        ]);
  return rows[0] ? of(rows[0]) : null;
}

/** One keyset page by name (limit + 1 rows). */
export async function listMappings(
  manager: EntityManager,
  userId: string,
  after: { n: string; id: string } | undefined,
  limit: number,
): Promise<SavedMapping[]> {
  const rows: MappingRow[] = await manager.query(
    `SELECT * FROM import_mappings WHERE user_id = $1
        AND ($2::text IS NULL OR (lower(name), id) > (lower($2), $3::uuid))
      ORDER BY lower(name), id LIMIT $4`,
    [userId, after?.n ?? null, after?.id ?? null, limit + 1],
  );
  return rows.map(of);
}
