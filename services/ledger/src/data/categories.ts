import { In, type EntityManager } from 'typeorm';
import { z } from 'zod';
import { changedRows, newId, uniqueViolation } from '@finance/shared';
import type { CategoryKind, CategoryState, DefaultCategory } from '../domain/categories';
import type { TransactionType } from '../domain/transactions';
import { Category, Transaction } from './entities';
import { moveSplitsToCategory, withSplits } from './transaction-splits';

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

/** Where a page of categories (by name, case-insensitive) ended. */
export const categoryCursorSchema = z.object({ n: z.string(), id: z.uuid() });
export type CategoryCursor = z.output<typeof categoryCursorSchema>;

export function categoryCursorAfter(c: Category): CategoryCursor {
  return { n: c.name.toLowerCase(), id: c.id };
}

/** One keyset page of a user's categories by name (limit + 1 rows). */
export async function listCategories(
  manager: EntityManager,
  userId: string,
  options: { kind?: CategoryKind; after?: CategoryCursor; limit: number },
): Promise<Category[]> {
  const qb = manager.createQueryBuilder(Category, 'c').where('c.user_id = :userId', { userId });
  if (options.kind) qb.andWhere('c.kind = :kind', { kind: options.kind });
  if (options.after) qb.andWhere('(lower(c.name), c.id) > (:n, CAST(:id AS uuid))', options.after);
  return qb
    .orderBy('lower(c.name)', 'ASC')
    .addOrderBy('c.id', 'ASC')
    .limit(options.limit + 1)
    .getMany();
}

export async function insertCategory(
  manager: EntityManager,
  userId: string,
  state: CategoryState,
  now: Date,
): Promise<Category> {
  const category = manager.create(Category, {
    ...state,
    id: newId(),
    userId,
    version: 1,
    createdAt: now,
    updatedAt: now,
  });
  await manager.insert(Category, category);
  return category;
}

/** Writes a new state onto a locked category as its next version. */
export async function updateCategory(
  manager: EntityManager,
  category: Category,
  state: CategoryState,
  now: Date,
): Promise<Category> {
  Object.assign(category, { ...state, version: category.version + 1, updatedAt: now });
  await manager.save(Category, category);
  return category;
}

export async function deleteCategory(manager: EntityManager, category: Category): Promise<void> {
  await manager.delete(Category, { id: category.id, userId: category.userId });
}

/** Makes a category's sub-categories top-level, each as a new version; returns them. */
export async function liftChildrenOf(
  manager: EntityManager,
  category: Category,
  now: Date,
): Promise<Category[]> {
  const lifted = await changedRows<{ id: string }>(
    manager,
    `UPDATE categories SET parent_id = NULL, version = version + 1, updated_at = $3
     WHERE user_id = $1 AND parent_id = $2 RETURNING id`,
    [category.userId, category.id, now],
  );
  return lifted.length ? manager.findBy(Category, { id: In(lifted.map((r) => r.id)) }) : [];
}

/**
 * Moves a category's transactions, and the parts of split transactions in it, to another (or
 * none), each transaction as a new version; returns them with their parts.
 */
export async function moveTransactions(
  manager: EntityManager,
  from: Category,
  to: string | null,
  now: Date,
): Promise<Transaction[]> {
  const moved = await changedRows<{ id: string }>(
    manager,
    `UPDATE transactions SET category_id = $3, version = version + 1, updated_at = $4
     WHERE user_id = $1 AND category_id = $2 RETURNING id`,
    [from.userId, from.id, to, now],
  );
  const split = await moveSplitsToCategory(manager, from.userId, from.id, to);
  if (split.length)
    await manager.query(
      `UPDATE transactions SET version = version + 1, updated_at = $3 WHERE user_id = $1 AND id = ANY($2::uuid[])`,
      [from.userId, split, now],
    );
  const ids = [...moved.map((r) => r.id), ...split];
  return ids.length ? withSplits(manager, await manager.findBy(Transaction, { id: In(ids) })) : [];
}

/**
 * A new user's default categories, each unless the user already has one of that name
 * (case-insensitive, as the unique index decides); returns the ones made.
 */
export async function insertDefaultCategories(
  manager: EntityManager,
  userId: string,
  defaults: readonly DefaultCategory[],
  now: Date,
): Promise<Category[]> {
  const made: string[] = [];
  for (const d of defaults) {
    const rows: Array<{ id: string }> = await manager.query(
      `INSERT INTO categories (id, user_id, name, color, icon, kind, parent_id, version, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, NULL, 1, $7, $7)
       ON CONFLICT (user_id, lower(name)) DO NOTHING RETURNING id`,
      [newId(), userId, d.name, d.color, d.icon, d.kind, now],
    );
    made.push(...rows.map((r) => r.id));
  }
  return made.length ? manager.findBy(Category, { id: In(made) }) : [];
}

export async function hasChildren(manager: EntityManager, userId: string, id: string): Promise<boolean> {
  return (await manager.countBy(Category, { userId, parentId: id })) > 0;
}

/** The transaction types filed under a category, directly or by a part (to check a kind change or a reassignment fits). */
export async function transactionTypesIn(
  manager: EntityManager,
  userId: string,
  categoryId: string,
): Promise<TransactionType[]> {
  const rows: Array<{ transaction_type: TransactionType }> = await manager.query(
    `SELECT transaction_type FROM transactions WHERE user_id = $1 AND category_id = $2
     UNION
     SELECT t.transaction_type FROM transaction_splits s JOIN transactions t ON t.id = s.transaction_id
      WHERE s.user_id = $1 AND s.category_id = $2`,
    [userId, categoryId],
  );
  return rows.map((r) => r.transaction_type);
}

/** Whether a failed write broke the per-user, case-insensitive unique index on names. */
export function isDuplicateCategoryName(error: unknown): boolean {
  return uniqueViolation(error)?.constraint === 'categories_user_name';
}
