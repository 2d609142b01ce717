import type { EntityManager } from 'typeorm';
import type { FinanceEvent, UserEventHooks } from '@finance/shared';
import { insertDefaultCategories } from '../data/categories';
import { deleteLedgerDataOf, lockUserUnlessDeleted } from '../data/users';
import { DEFAULT_CATEGORIES } from '../domain/categories';
import { onBaseCurrencySet } from '../use-cases/fx-base-change';
import { publishCategoryChange } from './publish';

/**
 * A new user gets the default categories (names they already made are kept). Also when a newer
 * auth.user.updated overtook the registration (the directory keeps the newer settings); never for
 * a user deleted meanwhile: the consumer skips events of a deleted user, and a deletion racing
 * this one waits for the row lock taken here, then purges what was made. They are created as of
 * the registration (handlers have no clock of their own; the event says when).
 */
export async function createDefaultCategories(
  event: FinanceEvent<'auth.user.registered'>,
  manager: EntityManager,
): Promise<void> {
  if (!(await lockUserUnlessDeleted(manager, event.userId))) return;
  const made = await insertDefaultCategories(
    manager,
    event.userId,
    DEFAULT_CATEGORIES,
    new Date(event.occurredAt),
  );
  for (const category of made) await publishCategoryChange(manager, 'created', category);
}

/** `auth.user.deleted`, after the shared directory left its tombstone: everything the ledger holds of the user goes. */
export async function purgeUser(
  event: FinanceEvent<'auth.user.deleted'>,
  manager: EntityManager,
): Promise<void> {
  await deleteLedgerDataOf(manager, event.userId);
}

/** What the ledger adds to the shared handling of auth.user.* (it registers no handler of its own). */
export const ledgerUserEvents: UserEventHooks = {
  onRegistered: createDefaultCategories,
  // A new base currency: the user's base amounts are recomputed in the background (fx-base-change).
  onUpdated: (event, manager) =>
    onBaseCurrencySet(manager, event.userId, event.payload.baseCurrency, new Date(event.occurredAt)),
  onDeleted: purgeUser,
};
