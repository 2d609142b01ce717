import { formatMinorUnits, publishEvent, type EventPayloadInput } from '@finance/shared';
import type { EntityManager } from 'typeorm';
import type { GoalRecord } from '../data/goal-store';

/**
 * A goal's state as `goals.goal.changed/deleted` carry it (reports' monthly report keeps its
 * progress over time from them). Published for every new version of a goal, whatever changed it
 * (an edit, a contribution, the ledger's events), in the transaction of the change.
 */
function goalState(goal: GoalRecord): EventPayloadInput<'goals.goal.changed'> {
  return {
    name: goal.name,
    targetAmount: formatMinorUnits(goal.targetMinor, goal.currency),
    currentAmount: formatMinorUnits(goal.currentMinor, goal.currency),
    currency: goal.currency,
    status: goal.status,
    deadline: goal.deadline,
  };
}

/** A goal created or at a new version. */
export async function publishGoalChanged(manager: EntityManager, goal: GoalRecord): Promise<void> {
  await publishEvent(manager, {
    type: 'goals.goal.changed',
    userId: goal.userId,
    aggregateId: goal.id,
    aggregateVersion: goal.version,
    occurredAt: goal.updatedAt.toISOString(),
    payload: goalState(goal),
  });
}

/** A goal deleted `now` (its last state; the deletion is its last version + 1). */
export async function publishGoalDeleted(manager: EntityManager, goal: GoalRecord, now: Date): Promise<void> {
  await publishEvent(manager, {
    type: 'goals.goal.deleted',
    userId: goal.userId,
    aggregateId: goal.id,
    aggregateVersion: goal.version + 1,
    occurredAt: now.toISOString(),
    payload: goalState(goal),
  });
}
