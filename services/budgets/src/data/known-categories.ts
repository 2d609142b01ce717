import type { EntityManager } from 'typeorm';

/**
 * Read model of the ledger's categories (`ledger.category.*`): which user each belongs to and
 * whether it was deleted, so budgets can check a category id without calling the ledger.
 */

/**
 * 'own' = a live category of the user; 'deleted' = theirs but deleted; 'foreign' = another user's
 * (answered like 'unknown', so it is not revealed); 'unknown' = never seen: possibly created a
 * moment ago, its event still on the way.
 */
export type CategoryStanding = 'own' | 'deleted' | 'foreign' | 'unknown';

/**
 * THE lookup of a category id a client sent (in a body or a query filter). Every route checks
 * ids through it, so one place decides what "your category" means; 'unknown' is the one answer
 * worth waiting on (read-your-writes), since any other means the ledger's event has arrived.
 */
export async function findCategoryStanding(
  manager: EntityManager,
  userId: string,
  categoryId: string,
): Promise<CategoryStanding> {
  const rows: Array<{ theirs: boolean; deleted: boolean }> = await manager.query(
    `SELECT user_id = $2 AS theirs, deleted FROM known_categories WHERE id = $1`,
    [categoryId, userId],
  );
  if (!rows[0]) return 'unknown';
  if (!rows[0].theirs) return 'foreign';
  return rows[0].deleted ? 'deleted' : 'own';
}

/** The version of the category last applied, locking its row until the transaction ends. */
export async function knownCategoryVersion(manager: EntityManager, id: string): Promise<number | undefined> {
  const rows: Array<{ version: number }> = await manager.query(
    `SELECT version FROM known_categories WHERE id = $1 FOR UPDATE`,
    [id],
  );
  return rows[0]?.version;
}

/** Records the category as live (created or updated) or deleted, at `version`. */
export async function recordKnownCategory(
  manager: EntityManager,
  category: { id: string; userId: string; version: number; deleted: boolean },
): Promise<void> {
  await manager.query(
    `INSERT INTO known_categories (id, user_id, deleted, version) VALUES ($1, $2, $3, $4)
     ON CONFLICT (id) DO UPDATE SET user_id = EXCLUDED.user_id, deleted = EXCLUDED.deleted, version = EXCLUDED.version`,
    [category.id, category.userId, category.deleted, category.version],
  );
}
