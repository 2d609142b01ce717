import type { EntityManager } from 'typeorm';
import { newId, pageInCreationOrder, type CreationCursor } from '@finance/shared';
import { TransactionAudit } from './entities';

export async function insertAudit(
  manager: EntityManager,
  values: Omit<TransactionAudit, 'id'>,
): Promise<TransactionAudit> {
  const entry = manager.create(TransactionAudit, { ...values, id: newId() });
  await manager.insert(TransactionAudit, entry);
  return entry;
}

/** One keyset page of a transaction's audit, oldest first (limit + 1 rows); also of a deleted one. */
export async function listAudit(
  manager: EntityManager,
  userId: string,
  transactionId: string,
  page: { after?: CreationCursor; limit: number },
): Promise<TransactionAudit[]> {
  const qb = manager
    .createQueryBuilder(TransactionAudit, 'x')
    .where('x.user_id = :userId', { userId })
    .andWhere('x.transaction_id = :transactionId', { transactionId });
  return pageInCreationOrder(qb, 'x', page).getMany();
}
