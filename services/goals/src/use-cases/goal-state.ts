import { formatMinorUnits, publishEvent } from '@finance/shared';
import type { EntityManager } from 'typeorm';
import {
  announcementOf,
  derivedStatus,
  milestoneLevel,
  type SettableGoalStatus,
} from '../domain/goal-status';
import { updateGoal, type GoalFields, type GoalRecord } from '../data/goal-store';
import { publishGoalChanged } from './goal-events';

export interface GoalChange extends Partial<GoalFields> {
  /** The new sum of the goal's contributions. */
  currentMinor?: bigint;
  /** The status the user chose (`cancelled` or back to `active`); absent keeps their choice. */
  chosenStatus?: SettableGoalStatus;
  /** A new version even when no field changes (its contributions moved to other days). */
  newVersion?: boolean;
}

/** What the user chose, read back from the stored status (completed is an active goal that reached its target). */
export function chosenStatusOf(goal: Pick<GoalRecord, 'status'>): SettableGoalStatus {
  return goal.status === 'cancelled' ? 'cancelled' : 'active';
}

const FIELDS = ['name', 'targetMinor', 'deadline', 'accountId', 'notes', 'currentMinor'] as const;

/**
 * THE way a goal changes, whoever changes it (a client's edit, a contribution, the ledger's
 * events): under the goal's row lock (the caller holds it), its status is derived again, its
 * milestone level judged, the row written as the next version, and a milestone or completion
 * reached by this change announced through the outbox in the same transaction (and every new
 * version published as `goals.goal.changed`) — so each
 * crossing is announced exactly once however events are duplicated or reordered
 * (domain/goal-status.ts has the rules). A change that changes nothing writes nothing and keeps
 * the version.
 */
export async function changeGoal(
  manager: EntityManager,
  goal: GoalRecord,
  change: GoalChange,
  now: Date,
): Promise<GoalRecord> {
  const current = change.currentMinor ?? goal.currentMinor;
  const target = change.targetMinor ?? goal.targetMinor;
  const status = derivedStatus(change.chosenStatus ?? chosenStatusOf(goal), current, target);
  const { announcement, announced } = announcementOf(
    goal.announcedLevel,
    milestoneLevel(current, target),
    status,
  );
  const changedFields = FIELDS.filter((key) => change[key] !== undefined && change[key] !== goal[key]);
  const unchanged = changedFields.length === 0 && status === goal.status && announced === goal.announcedLevel;
  if (unchanged && !change.newVersion) return goal;

  const fields: Partial<GoalRecord> = Object.fromEntries(changedFields.map((key) => [key, change[key]]));
  const updated = await updateGoal(manager, goal, { ...fields, status, announcedLevel: announced }, now);
  await publishGoalChanged(manager, updated);
  if (announcement) {
    const payload = {
      goalId: updated.id,
      name: updated.name,
      targetAmount: formatMinorUnits(updated.targetMinor, updated.currency),
      currentAmount: formatMinorUnits(updated.currentMinor, updated.currency),
      currency: updated.currency,
    };
    const envelope = { userId: updated.userId, aggregateId: updated.id, aggregateVersion: updated.version };
    if (announcement.type === 'completed')
      await publishEvent(manager, { ...envelope, type: 'goals.goal.completed', payload });
    else
      await publishEvent(manager, {
        ...envelope,
        type: 'goals.goal.milestone-reached',
        payload: { ...payload, milestone: announcement.milestone },
      });
  }
  return updated;
}
