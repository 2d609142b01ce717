import type { EntityManager, FinanceEvent } from '@finance/shared';
import { deleteItemsOf } from '../data/items';

/** `auth.user.deleted` (after the shared directory left its tombstone): everything of the user goes. */
export async function purgeUser(
  event: FinanceEvent<'auth.user.deleted'>,
  manager: EntityManager,
): Promise<void> {
  await deleteItemsOf(manager, event.userId);
}
