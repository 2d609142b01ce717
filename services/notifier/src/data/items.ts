import type { DataSource, EntityManager } from 'typeorm';

/** An example aggregate of notifier (replace it): SQL stays in data/. */
export interface Item {
  id: string;
  userId: string;
  name: string;
  version: number;
  createdAt: Date;
}

interface ItemRow {
  id: string;
  user_id: string;
  name: string;
  version: number;
  created_at: Date;
}

const itemOf = (row: ItemRow): Item => ({
  id: row.id,
  userId: row.user_id,
  name: row.name,
  version: row.version,
  createdAt: row.created_at,
});

export async function insertItem(
  manager: EntityManager,
  item: { id: string; userId: string; name: string },
): Promise<Item> {
  const [row]: ItemRow[] = await manager.query(
    `INSERT INTO items (id, user_id, name) VALUES ($1, $2, $3) RETURNING *`,
    [item.id, item.userId, item.name],
  );
  return itemOf(row);
}

export async function findItem(
  db: DataSource | EntityManager,
  userId: string,
  id: string,
): Promise<Item | undefined> {
  const [row]: ItemRow[] = await db.query(`SELECT * FROM items WHERE user_id = $1 AND id = $2`, [userId, id]);
  return row ? itemOf(row) : undefined;
}

/** One keyset page of the user's items, oldest first: `limit + 1` rows (the extra proves a next page). */
export async function listItems(
  db: DataSource | EntityManager,
  userId: string,
  limit: number,
  after?: { createdAt: string; id: string },
): Promise<Item[]> {
  const rows: ItemRow[] = await db.query(
    `SELECT * FROM items WHERE user_id = $1 AND ($2::timestamptz IS NULL OR (created_at, id) > ($2, $3::uuid))
     ORDER BY created_at, id LIMIT $4`,
    [userId, after?.createdAt ?? null, after?.id ?? null, limit + 1],
  );
  return rows.map(itemOf);
}

export async function deleteItemsOf(manager: EntityManager, userId: string): Promise<void> {
  await manager.query(`DELETE FROM items WHERE user_id = $1`, [userId]);
}
