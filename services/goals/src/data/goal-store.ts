import { pageInCreationOrder, type CreationCursor } from '@finance/shared';
import type { EntityManager } from 'typeorm';
import { managerOf, type Db } from './db';
import type { GoalStatus } from '../domain/goal-status';
import { Goal } from './entities';

export type GoalRecord = Goal;

/** What a client sets on a goal (everything else is derived). */
export type GoalFields = Pick<Goal, 'name' | 'targetMinor' | 'deadline' | 'accountId' | 'notes'>;

/** The default of MAX_GOALS_PER_USER: bounds what one user's goals cost every lookup and list. */
export const MAX_GOALS_PER_USER = 500;

/**
 * How many goals the user holds, counted under a per-user lock held until the transaction ends,
 * so two concurrent creations cannot both pass the limit.
 */
export async function countGoalsForCreation(manager: EntityManager, userId: string): Promise<number> {
  await manager.query(`SELECT pg_advisory_xact_lock(hashtext('goals:create:' || $1))`, [userId]);
  return manager.countBy(Goal, { userId });
}

export async function insertGoal(
  manager: EntityManager,
  goal: GoalFields & { id: string; userId: string; currency: string },
  now: Date,
): Promise<GoalRecord> {
  const record = manager.create(Goal, {
    ...goal,
    currentMinor: 0n,
    status: 'active',
    announcedLevel: 0,
    // Millisecond timestamps (a Date has no more), so a created_at in a keyset cursor round-trips exactly.
    createdAt: now,
    updatedAt: now,
    version: 1,
  });
  await manager.insert(Goal, record);
  return record;
}

/**
 * The user's goal, or undefined (another user's goal is as absent as a missing one). With
 * `lock`, its row is held until the transaction ends: every change of the goal and of its
 * contributions takes it, so its current amount, status and milestones never lose an update.
 */
export async function findGoal(
  db: Db,
  userId: string,
  id: string,
  options: { lock?: boolean } = {},
): Promise<GoalRecord | undefined> {
  const goal = await managerOf(db).findOne(Goal, {
    where: { id, userId },
    lock: options.lock ? { mode: 'pessimistic_write' } : undefined,
  });
  return goal ?? undefined;
}

/** Locks several goals of the user, in id order (every path locks goals in that order). */
export async function lockGoals(
  manager: EntityManager,
  userId: string,
  ids: string[],
): Promise<GoalRecord[]> {
  if (ids.length === 0) return [];
  return manager
    .createQueryBuilder(Goal, 'g')
    .where('g.user_id = :userId AND g.id IN (:...ids)', { userId, ids })
    .orderBy('g.id', 'ASC')
    .setLock('pessimistic_write')
    .getMany();
}

/** Writes changes as the goal's next version (the caller holds its row lock). */
export async function updateGoal(
  manager: EntityManager,
  goal: GoalRecord,
  changes: Partial<Omit<Goal, 'id' | 'userId' | 'currency' | 'createdAt' | 'version' | 'updatedAt'>>,
  now: Date,
): Promise<GoalRecord> {
  const next = { ...changes, version: goal.version + 1, updatedAt: now };
  await manager.update(Goal, { id: goal.id, userId: goal.userId }, next);
  return Object.assign(goal, next);
}

export async function deleteGoal(manager: EntityManager, goal: GoalRecord): Promise<void> {
  // Its contributions go with it (ON DELETE CASCADE); the transactions stay in the ledger.
  await manager.delete(Goal, { id: goal.id, userId: goal.userId });
}

/** One keyset page (limit + 1 rows), oldest first. */
export async function listGoals(
  db: Db,
  userId: string,
  filter: { status?: GoalStatus; after?: CreationCursor; limit: number },
): Promise<GoalRecord[]> {
  const qb = managerOf(db).createQueryBuilder(Goal, 'g').where('g.user_id = :userId', { userId });
  if (filter.status) qb.andWhere('g.status = :status', { status: filter.status });
  return pageInCreationOrder(qb, 'g', filter).getMany();
}

/** The user's goals held in an account the ledger deleted, locked (id order). */
export async function goalsInAccount(
  manager: EntityManager,
  userId: string,
  accountId: string,
): Promise<GoalRecord[]> {
  return manager
    .createQueryBuilder(Goal, 'g')
    .where('g.user_id = :userId AND g.account_id = :accountId', { userId, accountId })
    .orderBy('g.id', 'ASC')
    .setLock('pessimistic_write')
    .getMany();
}

export async function deleteGoalsOf(manager: EntityManager, userId: string): Promise<void> {
  await manager.query(`DELETE FROM goals WHERE user_id = $1`, [userId]);
}
