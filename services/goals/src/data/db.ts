import { DataSource, type EntityManager } from 'typeorm';

/** Reads run on the data source or inside a caller's transaction (its manager). */
export type Db = DataSource | EntityManager;

export function managerOf(db: Db): EntityManager {
  return db instanceof DataSource ? db.manager : db;
}
