import type { EntityManager } from 'typeorm';

/**
 * Whether an id a client put in a filter is theirs, read from the read model: the one lookup every
 * route uses for its id filters, so an id of another user and an unknown id answer alike (404, as
 * the ledger answers), never 200 with empty data. One function per kind of id, each of the shape
 * `(manager, userId, id) => Promise<boolean>`, so a read-your-writes wait can wrap it.
 */
export type OwnershipCheck = (manager: EntityManager, userId: string, id: string) => Promise<boolean>;

/** A live (not deleted) account of the user; archived accounts still count, as in the ledger. */
export const ownsAccount: OwnershipCheck = async (manager, userId, id) =>
  (
    (await manager.query(`SELECT 1 FROM report_accounts WHERE id = $1 AND user_id = $2 AND NOT deleted`, [
      id,
      userId,
    ])) as unknown[]
  ).length === 1;

/** A live (not deleted) category of the user: the ledger forgets a deleted one too. */
export const ownsCategory: OwnershipCheck = async (manager, userId, id) =>
  (
    (await manager.query(`SELECT 1 FROM report_categories WHERE id = $1 AND user_id = $2 AND NOT deleted`, [
      id,
      userId,
    ])) as unknown[]
  ).length === 1;
