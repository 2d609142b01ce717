import type { EntityManager } from 'typeorm';
import type { TransactionType } from '../domain/categories';
import { Category } from './entities';

export async function findCategory(
  manager: EntityManager,
  userId: string,
  id: string,
  options: { lock?: 'update' | 'share' } = {},
): Promise<Category | null> {
  // 'update' for deleting; 'share' for a reassignment target; transaction writes share-lock in draftReferences.
  const mode = options.lock === 'update' ? 'pessimistic_write' : 'pessimistic_read';
  return manager.findOne(Category, { where: { id, userId }, ...(options.lock ? { lock: { mode } } : {}) });
}

export async function hasChildren(manager: EntityManager, userId: string, id: string): Promise<boolean> {
  return (await manager.countBy(Category, { userId, parentId: id })) > 0;
}

/** The transaction types filed under a category (to check a kind change or a reassignment fits). */
export async function transactionTypesIn(
  manager: EntityManager,
  userId: string,
  categoryId: string,
): Promise<TransactionType[]> {
  const rows: Array<{ transaction_type: TransactionType }> = await manager.query(
    `SELECT DISTINCT transaction_type FROM transactions WHERE user_id = $1 AND category_id = $2`,
    [userId, categoryId],
  );
  return rows.map((r) => r.transaction_type);
}

/** PostgreSQL's unique_violation on the per-user, case-insensitive name index. */
export function isDuplicateCategoryName(error: unknown): boolean {
  const e = error as {
    code?: string;
    constraint?: string;
    driverError?: { code?: string; constraint?: string };
  };
  const code = e.driverError?.code ?? e.code;
  const constraint = e.driverError?.constraint ?? e.constraint;
  return code === '23505' && constraint === 'categories_user_name';
}
