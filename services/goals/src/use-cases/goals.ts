import {
  HttpProblem,
  checkIfMatch,
  conflict,
  lockUserForWrite,
  newId,
  notFound,
  type ReadYourWrites,
} from '@finance/shared';
import type { Request } from 'express';
import type { DataSource, EntityManager } from 'typeorm';
import type { SettableGoalStatus } from '../domain/goal-status';
import {
  countGoalsForCreation,
  deleteGoal,
  findGoal,
  insertGoal,
  type GoalFields,
  type GoalRecord,
} from '../data/goal-store';
import { isKnownAccount } from '../data/ledger-read-model';
import { minorUnitsOf } from './amounts';
import { publishGoalChanged, publishGoalDeleted } from './goal-events';
import { changeGoal } from './goal-state';

/** A goal's fields as a request gives them: amounts still decimal text (their currency is the goal's). */
export interface GoalDraft {
  name: string;
  targetAmount: string;
  deadline: string | null;
  accountId: string | null;
  notes: string | null;
  status: SettableGoalStatus;
}

function fieldsOf(draft: Omit<GoalDraft, 'status'>, currency: string): GoalFields {
  return {
    name: draft.name,
    targetMinor: minorUnitsOf(draft.targetAmount, currency, 'body.target_amount'),
    deadline: draft.deadline,
    accountId: draft.accountId,
    notes: draft.notes,
  };
}

/**
 * An account id a client names must be one of their own live accounts as the ledger told us
 * (waiting, bounded, for one created a moment ago); anything else is a 404 naming the field.
 * Called before any row lock is taken, so the wait holds no lock.
 */
export async function checkAccount(
  readYourWrites: ReadYourWrites,
  db: DataSource,
  userId: string,
  accountId: string | null | undefined,
): Promise<void> {
  if (!accountId) return;
  const known = await readYourWrites.find(accountId, async () =>
    (await isKnownAccount(db, userId, accountId)) ? true : undefined,
  );
  if (!known)
    throw new HttpProblem(404, 'Account not found', {
      errors: [{ field: 'body.account_id', message: 'No such account of yours' }],
    });
}

export async function createGoal(
  manager: EntityManager,
  request: { userId: string; draft: Omit<GoalDraft, 'status'>; maxGoals: number; now: Date },
): Promise<GoalRecord> {
  // Locks the user against a racing deletion (401 for a deleted one) and gives the base currency.
  const settings = await lockUserForWrite(manager, request.userId);
  const fields = fieldsOf(request.draft, settings.baseCurrency);
  if ((await countGoalsForCreation(manager, request.userId)) >= request.maxGoals)
    throw conflict(`You already hold ${request.maxGoals} goals, the most one user may; delete one first`);
  const goal = await insertGoal(
    manager,
    { ...fields, id: newId(), userId: request.userId, currency: settings.baseCurrency },
    request.now,
  );
  await publishGoalChanged(manager, goal);
  return goal;
}

/**
 * Changes a goal under its row lock: 404 unless it is the caller's, 412 when If-Match is stale
 * (so of two writers with the same ETag exactly one wins), then the merged fields through
 * {@link changeGoal} (status derived again, a milestone a new target reaches announced).
 */
export async function reviseGoal(
  manager: EntityManager,
  request: {
    userId: string;
    goalId: string;
    req: Request;
    merge: (existing: GoalRecord) => GoalDraft;
    now: Date;
  },
): Promise<GoalRecord> {
  await lockUserForWrite(manager, request.userId);
  const goal = await findGoal(manager, request.userId, request.goalId, { lock: true });
  if (!goal) throw notFound('Goal');
  checkIfMatch(request.req, goal.version);
  const draft = request.merge(goal);
  return changeGoal(
    manager,
    goal,
    { ...fieldsOf(draft, goal.currency), chosenStatus: draft.status },
    request.now,
  );
}

export async function removeGoal(
  manager: EntityManager,
  request: { userId: string; goalId: string; req: Request; now: Date },
): Promise<void> {
  await lockUserForWrite(manager, request.userId);
  const goal = await findGoal(manager, request.userId, request.goalId, { lock: true });
  if (!goal) throw notFound('Goal');
  checkIfMatch(request.req, goal.version);
  await deleteGoal(manager, goal);
  await publishGoalDeleted(manager, goal, request.now);
}
