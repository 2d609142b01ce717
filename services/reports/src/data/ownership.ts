import type { EntityManager } from 'typeorm';

/**
 * What the read model knows of an id a client put in a filter: `true` for one of the caller's own
 * live accounts / categories, `false` for an id it holds that is not theirs (another user's, or
 * deleted), `undefined` for an id it has never seen — perhaps one the ledger created a moment ago
 * whose event is still on its way, which is worth a (bounded) wait before answering 404. One
 * function per kind of id, each of the shape `(manager, userId, id)`, so the read-your-writes wait
 * wraps every one alike.
 */
export type OwnershipCheck = (
  manager: EntityManager,
  userId: string,
  id: string,
) => Promise<boolean | undefined>;

async function ownership(
  manager: EntityManager,
  table: 'report_accounts' | 'report_categories',
  userId: string,
  id: string,
): Promise<boolean | undefined> {
  const [row] = (await manager.query(
    `SELECT user_id = $2 AND NOT deleted AS own FROM ${table} WHERE id = $1`,
    [id, userId],
  )) as Array<{ own: boolean }>;
  return row?.own;
}

/** A live (not deleted) account of the user; archived accounts still count, as in the ledger. */
export const ownsAccount: OwnershipCheck = (manager, userId, id) =>
  ownership(manager, 'report_accounts', userId, id);

/** A live (not deleted) category of the user: the ledger forgets a deleted one too. */
export const ownsCategory: OwnershipCheck = (manager, userId, id) =>
  ownership(manager, 'report_categories', userId, id);
