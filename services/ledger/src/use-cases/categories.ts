import type { EntityManager } from 'typeorm';
import { lockUserForWrite } from '@finance/shared';
import {
  kindChangeViolation,
  parentProblems,
  reassignmentViolation,
  type CategoryField,
  type CategoryKind,
  type CategoryState,
} from '../domain/categories';
import { isEmptyPatch, mergePatch, type MergePatch } from '../domain/merge-patch';
import { RuleViolation, missing, notFoundIn } from '../domain/problems';
import {
  deleteCategory as deleteCategoryRow,
  findCategory,
  hasChildren,
  insertCategory,
  isDuplicateCategoryName,
  liftChildrenOf,
  listCategories,
  moveTransactions,
  transactionTypesIn,
  updateCategory,
  type CategoryCursor,
} from '../data/categories';
import type { Category } from '../data/entities';
import { moveTemplatesToCategory } from '../data/recurring';
import { publishCategoryChange, publishCategoryDeleted, publishTransactionChange } from '../events/publish';
import type { LedgerContext } from './context';
import type { VersionCheck } from './version-check';

const duplicateName = () =>
  new RuleViolation<CategoryField>('conflict', 'You already have a category with this name', [
    { field: 'name', message: 'A category with this name already exists (names are case-insensitive)' },
  ]);

/** Runs a write; the unique index on (user, lower(name)) decides duplicates, even under races. */
async function naming<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (isDuplicateCategoryName(error)) throw duplicateName();
    throw error;
  }
}

/** A proposed parent: the caller's own (else 404) and nesting one level deep (else 422). */
async function checkParent(
  manager: EntityManager,
  userId: string,
  categoryId: string | null,
  parentId: string,
) {
  const parent = await findCategory(manager, userId, parentId);
  if (!parent) throw notFoundIn<CategoryField>('Category', 'parentId');
  const problems = parentProblems({
    categoryId,
    parentId,
    parentsParentId: parent.parentId,
    hasChildren: categoryId !== null && (await hasChildren(manager, userId, categoryId)),
  });
  if (problems.length) throw new RuleViolation('unprocessable', problems[0].message, problems);
}

export async function createCategory(
  context: LedgerContext,
  userId: string,
  state: CategoryState,
): Promise<Category> {
  return naming(() =>
    context.dataSource.transaction(async (manager) => {
      await lockUserForWrite(manager, userId);
      if (state.parentId) await checkParent(manager, userId, null, state.parentId);
      const category = await insertCategory(manager, userId, state, context.clock());
      await publishCategoryChange(manager, 'created', category);
      return category;
    }),
  );
}

export async function getCategory(context: LedgerContext, userId: string, id: string): Promise<Category> {
  const category = await findCategory(context.dataSource.manager, userId, id);
  if (!category) throw missing('Category');
  return category;
}

export function listCategoriesPage(
  context: LedgerContext,
  userId: string,
  options: { kind?: CategoryKind; after?: CategoryCursor; limit: number },
): Promise<Category[]> {
  return listCategories(context.dataSource.manager, userId, options);
}

/** Locks the user and the category, checks its version, and applies `change` (undefined: nothing to change). */
async function changeCategory(
  context: LedgerContext,
  userId: string,
  id: string,
  check: VersionCheck,
  change: (current: Category) => CategoryState | undefined,
): Promise<Category> {
  return naming(() =>
    context.dataSource.transaction(async (manager) => {
      await lockUserForWrite(manager, userId);
      const category = await findCategory(manager, userId, id, { lock: 'update' });
      if (!category) throw missing('Category');
      check(category.version);
      const state = change(category);
      if (!state) return category; // an empty PATCH: no new version, no event
      // The hierarchy stays one level deep and the kind keeps fitting the filed transactions.
      if (state.parentId) await checkParent(manager, userId, category.id, state.parentId);
      if (state.kind !== category.kind) {
        const violation = kindChangeViolation(
          state.kind,
          await transactionTypesIn(manager, userId, category.id),
        );
        if (violation) throw violation;
      }
      await updateCategory(manager, category, state, context.clock());
      await publishCategoryChange(manager, 'updated', category);
      return category;
    }),
  );
}

export function replaceCategory(
  context: LedgerContext,
  userId: string,
  id: string,
  state: CategoryState,
  check: VersionCheck,
): Promise<Category> {
  return changeCategory(context, userId, id, check, () => state);
}

/** PATCH: a JSON merge onto the category (null clears icon or parent_id), then the rules of a PUT. */
export function patchCategory(
  context: LedgerContext,
  userId: string,
  id: string,
  patch: MergePatch<CategoryState>,
  check: VersionCheck,
): Promise<Category> {
  return changeCategory(context, userId, id, check, (current) => {
    if (isEmptyPatch(patch)) return undefined;
    const merged = mergePatch<CategoryState>(
      {
        name: current.name,
        color: current.color,
        icon: current.icon,
        kind: current.kind,
        parentId: current.parentId,
      },
      patch,
    );
    return { ...merged, icon: merged.icon ?? null, parentId: merged.parentId ?? null };
  });
}

/**
 * Deletes a category in one DB transaction: its transactions move to `reassignTo` (or become
 * uncategorised), its sub-categories become top-level, and every row that changed publishes its
 * new version, so read models stay exact.
 */
export async function deleteCategory(
  context: LedgerContext,
  userId: string,
  id: string,
  reassignTo: string | null,
  check: VersionCheck,
): Promise<void> {
  await context.dataSource.transaction(async (manager) => {
    await lockUserForWrite(manager, userId);
    const category = await findCategory(manager, userId, id, { lock: 'update' });
    if (!category) throw missing('Category');
    check(category.version);
    if (reassignTo !== null) {
      const target =
        reassignTo === category.id
          ? category
          : await findCategory(manager, userId, reassignTo, { lock: 'share' });
      if (!target) throw notFoundIn<CategoryField>('Category', 'reassignTo');
      const violation = reassignmentViolation(
        category.id,
        target,
        await transactionTypesIn(manager, userId, category.id),
      );
      if (violation) throw violation;
    }
    const now = context.clock();
    for (const child of await liftChildrenOf(manager, category, now))
      await publishCategoryChange(manager, 'updated', child);
    for (const moved of await moveTransactions(manager, category, reassignTo, now))
      await publishTransactionChange(manager, 'updated', moved);
    await moveTemplatesToCategory(manager, userId, category.id, reassignTo);
    await deleteCategoryRow(manager, category);
    await publishCategoryDeleted(manager, category, reassignTo);
  });
}
