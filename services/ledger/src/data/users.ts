import type { EntityManager } from 'typeorm';
import { forgetIdempotencyKeysOf } from '@finance/shared';
import { deleteRulesOf } from '../rules/data/rules';
import { deleteRecurringOf } from './recurring';

/**
 * Share-locks the user's directory row unless the user was deleted; false for a deleted (or
 * unknown) user. For what the ledger writes on a user's behalf from an event (the default
 * categories): a deletion takes the row exclusively, so it waits for this write and then purges it.
 */
export async function lockUserUnlessDeleted(manager: EntityManager, userId: string): Promise<boolean> {
  const rows: unknown[] = await manager.query(
    `SELECT 1 FROM user_directory WHERE user_id = $1 AND deleted_at IS NULL FOR SHARE`,
    [userId],
  );
  return rows.length > 0;
}

/**
 * Removes everything the ledger holds for a user: recurring templates and their occurrences,
 * rules, transactions with their audit, reconciliations, categories, accounts and their Idempotency-Keys
 * (the directory keeps its tombstone). No per-row events: every consumer purges on
 * the same auth.user.deleted.
 */
export async function deleteLedgerDataOf(manager: EntityManager, userId: string): Promise<void> {
  await deleteRecurringOf(manager, userId);
  await manager.query(`DELETE FROM transaction_audit WHERE user_id = $1`, [userId]);
  await manager.query(`DELETE FROM reconciliations WHERE user_id = $1`, [userId]);
  await deleteRulesOf(manager, userId);
  await manager.query(`DELETE FROM transactions WHERE user_id = $1`, [userId]);
  await manager.query(`DELETE FROM categories WHERE user_id = $1`, [userId]);
  await manager.query(`DELETE FROM accounts WHERE user_id = $1`, [userId]);
  await manager.query(`DELETE FROM base_currency_changes WHERE user_id = $1`, [userId]);
  await forgetIdempotencyKeysOf(manager, userId);
}
