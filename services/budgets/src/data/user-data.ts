import type { EntityManager } from 'typeorm';

/**
 * Serialises the events of one user until the transaction ends, so two concurrent transactions
 * cannot each miss the threshold their sum crosses (each would otherwise see only its own
 * addition under READ COMMITTED).
 */
export async function lockUserEvents(manager: EntityManager, userId: string): Promise<void> {
  await manager.query(`SELECT pg_advisory_xact_lock(hashtext('budgets:user:' || $1))`, [userId]);
}

/** Everything budgets holds of a user: their budgets (alerts cascade) and read-model rows. */
export async function purgeUserData(manager: EntityManager, userId: string): Promise<void> {
  await lockUserEvents(manager, userId);
  for (const table of ['budgets', 'spending_transaction_parts', 'spending_transactions', 'known_categories'])
    await manager.query(`DELETE FROM ${table} WHERE user_id = $1`, [userId]);
}
