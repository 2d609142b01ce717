import { newId, pageInCreationOrder, type CreationCursor } from '@finance/shared';
import { In, type EntityManager } from 'typeorm';
import type { BudgetPeriod, CalendarDate } from '../domain/budget-window';
import { Budget } from './entities';

/** A budget as the service works with it (dates as `YYYY-MM-DD`, money as bigint minor units). */
export type BudgetRecord = Budget;

export type BudgetFields = Pick<
  Budget,
  'name' | 'categoryId' | 'amountMinor' | 'currency' | 'period' | 'startDate' | 'endDate' | 'rollover'
>;

/**
 * How many budgets the user holds, counted under a per-user lock held until the transaction
 * ends, so two concurrent creations cannot both pass the limit.
 */
export async function countBudgetsForCreation(manager: EntityManager, userId: string): Promise<number> {
  await manager.query(`SELECT pg_advisory_xact_lock(hashtext('budgets:create:' || $1))`, [userId]);
  return manager.countBy(Budget, { userId });
}

/** A new budget at version 1, created `now` (the service's clock). */
export async function insertBudget(
  manager: EntityManager,
  userId: string,
  fields: BudgetFields,
  now: Date,
): Promise<BudgetRecord> {
  // A JavaScript Date has millisecond precision, so a created_at in a keyset cursor round-trips exactly.
  const budget = manager.create(Budget, {
    ...fields,
    id: newId(),
    userId,
    createdAt: now,
    updatedAt: now,
    version: 1,
  });
  await manager.insert(Budget, budget);
  return budget;
}

/** The user's budget, or undefined (another user's budget is as absent as a missing one). */
export async function findBudget(
  manager: EntityManager,
  userId: string,
  id: string,
  options: { lock?: boolean } = {},
): Promise<BudgetRecord | undefined> {
  const budget = await manager.findOne(Budget, {
    where: { id, userId },
    // Held until the transaction ends: a concurrent write of the same budget waits, then sees the new version.
    lock: options.lock ? { mode: 'pessimistic_write' } : undefined,
  });
  return budget ?? undefined;
}

/** Writes new field values as the next version, changed `now` (the caller holds the row lock from findBudget). */
export async function updateBudget(
  manager: EntityManager,
  budget: BudgetRecord,
  fields: BudgetFields,
  now: Date,
): Promise<BudgetRecord> {
  const changes = { ...fields, version: budget.version + 1, updatedAt: now };
  await manager.update(Budget, { id: budget.id, userId: budget.userId }, changes);
  return Object.assign(budget, changes);
}

export async function deleteBudget(manager: EntityManager, budget: BudgetRecord): Promise<void> {
  await manager.delete(Budget, { id: budget.id, userId: budget.userId });
}

export interface BudgetFilter {
  period?: BudgetPeriod;
  categoryId?: string;
  /** Active on this date (true) or not (false). */
  active?: { on: CalendarDate; value: boolean };
  after?: CreationCursor;
  limit: number;
}

const activeOn = (alias: string, param: string) =>
  `(${alias}.start_date <= CAST(:${param} AS date) AND (${alias}.end_date IS NULL OR ${alias}.end_date >= CAST(:${param} AS date)))`;

/** One keyset page (limit + 1 rows) ordered by creation, oldest first. */
export async function listBudgets(
  manager: EntityManager,
  userId: string,
  filter: BudgetFilter,
): Promise<BudgetRecord[]> {
  const qb = manager.createQueryBuilder(Budget, 'b').where('b.user_id = :userId', { userId });
  if (filter.period) qb.andWhere('b.period = :period', { period: filter.period });
  if (filter.categoryId) qb.andWhere('b.category_id = :categoryId', { categoryId: filter.categoryId });
  if (filter.active) {
    const active = activeOn('b', 'on');
    qb.andWhere(filter.active.value ? active : `NOT ${active}`, { on: filter.active.on });
  }
  return pageInCreationOrder(qb, 'b', filter).getMany();
}

/** Every budget of the user active on `on`, for the status overview (at most MAX_BUDGETS_PER_USER). */
export async function activeBudgets(
  manager: EntityManager,
  userId: string,
  on: CalendarDate,
): Promise<BudgetRecord[]> {
  return manager
    .createQueryBuilder(Budget, 'b')
    .where('b.user_id = :userId', { userId })
    .andWhere(activeOn('b', 'on'), { on })
    .orderBy('b.createdAt', 'ASC')
    .addOrderBy('b.id', 'ASC')
    .getMany();
}

/** The user's budgets that count an expense: same currency, its category or none, active on its date. */
export async function budgetsCovering(
  manager: EntityManager,
  userId: string,
  spending: { categoryId: string | null; date: CalendarDate; currency: string },
): Promise<BudgetRecord[]> {
  const qb = manager
    .createQueryBuilder(Budget, 'b')
    .where('b.user_id = :userId', { userId })
    .andWhere('b.currency = :currency', { currency: spending.currency })
    .andWhere(activeOn('b', 'date'), { date: spending.date });
  if (spending.categoryId === null) qb.andWhere('b.category_id IS NULL');
  else qb.andWhere('(b.category_id IS NULL OR b.category_id = :categoryId)', spending);
  // In creation order: the order their alerts are announced in (the batch handler keeps it too).
  return qb.orderBy('b.createdAt', 'ASC').addOrderBy('b.id', 'ASC').getMany();
}

/** {@link budgetsCovering}'s rule for budgets already loaded (a run of events judged in memory). */
export function budgetCovers(
  budget: BudgetRecord,
  spending: { categoryId: string | null; date: CalendarDate; currency: string },
): boolean {
  if (budget.currency !== spending.currency) return false;
  if (budget.startDate > spending.date || (budget.endDate !== null && budget.endDate < spending.date))
    return false;
  if (budget.categoryId === null) return true;
  return (
    spending.categoryId !== null && budget.categoryId.toLowerCase() === spending.categoryId.toLowerCase()
  );
}

/** Every budget of these users (a run of events judges them in memory). */
export async function budgetsOfUsers(
  manager: EntityManager,
  userIds: readonly string[],
): Promise<BudgetRecord[]> {
  return manager
    .createQueryBuilder(Budget, 'b')
    .where('b.user_id IN (:...userIds)', { userIds })
    .orderBy('b.createdAt', 'ASC')
    .addOrderBy('b.id', 'ASC')
    .getMany();
}

/** A deleted category's budgets follow its transactions to the category they were reassigned to; answers them as changed. */
export async function moveBudgetsToCategory(
  manager: EntityManager,
  userId: string,
  from: string,
  to: string,
): Promise<BudgetRecord[]> {
  const [moved]: [Array<{ id: string }>, number] = await manager.query(
    `UPDATE budgets SET category_id = $3, version = version + 1,
       updated_at = date_trunc('milliseconds', clock_timestamp())
     WHERE user_id = $1 AND category_id = $2 RETURNING id`,
    [userId, from, to],
  );
  if (moved.length === 0) return [];
  return manager.find(Budget, { where: { userId, id: In(moved.map((m) => m.id)) }, order: { id: 'ASC' } });
}

/** Removes a deleted category's budgets; answers them as they were (their last version + 1 is the removal's). */
export async function removeBudgetsOfCategory(
  manager: EntityManager,
  userId: string,
  categoryId: string,
): Promise<BudgetRecord[]> {
  const removed = await manager.find(Budget, {
    where: { userId, categoryId },
    order: { id: 'ASC' },
    lock: { mode: 'pessimistic_write' },
  });
  if (removed.length > 0) await manager.delete(Budget, { userId, categoryId });
  return removed;
}
