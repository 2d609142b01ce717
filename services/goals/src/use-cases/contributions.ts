import {
  HttpProblem,
  compareDates,
  conflict,
  formatMinorUnits,
  lockUserForWrite,
  newId,
  notFound,
  unprocessable,
  type CalendarDate,
} from '@finance/shared';
import type { EntityManager } from 'typeorm';
import { unallocated } from '../domain/contributions';
import {
  contributedOfTransaction,
  countContributions,
  deleteContribution,
  findContribution,
  insertContribution,
  isLinked,
  type ContributionRecord,
} from '../data/contribution-store';
import { findGoal, type GoalRecord } from '../data/goal-store';
import { findKnownTransaction, valueIn } from '../data/ledger-read-model';
import { MAX_MINOR_UNITS, minorUnitsOf } from './amounts';
import { changeGoal } from './goal-state';

/**
 * Contributions to a goal, as a client makes them. Every one runs in one DB transaction under
 * the user's directory lock (`lockUserForWrite`), then — for a linked one — the transaction's
 * row lock, then the goal's row lock (always in that order, as the ledger's events take them),
 * so concurrent contributions to one goal or of one transaction never lose an update and never
 * over-allocate a transaction.
 */

export interface ContributionLimits {
  maxContributionsPerGoal: number;
}

export interface Contributed {
  contribution: ContributionRecord;
  goal: GoalRecord;
}

const TRANSACTION_FIELD = 'body.transaction_id';

export function transactionNotFound(): HttpProblem {
  return new HttpProblem(404, 'Transaction not found', {
    errors: [{ field: TRANSACTION_FIELD, message: 'No such transaction of yours' }],
  });
}

async function lockedGoal(manager: EntityManager, userId: string, goalId: string): Promise<GoalRecord> {
  const goal = await findGoal(manager, userId, goalId, { lock: true });
  if (!goal) throw notFound('Goal');
  return goal;
}

function refuseCancelled(goal: GoalRecord): void {
  if (goal.status === 'cancelled')
    throw conflict('The goal is cancelled and takes no contributions; set its status to active first');
}

async function refuseOverLimit(manager: EntityManager, goal: GoalRecord, limits: ContributionLimits) {
  if ((await countContributions(manager, goal.id)) >= limits.maxContributionsPerGoal)
    throw conflict(
      `The goal already has ${limits.maxContributionsPerGoal} contributions, the most one goal may hold`,
    );
}

function refuseOverflow(goal: GoalRecord, amount: bigint, field: string): void {
  if (goal.currentMinor + amount > MAX_MINOR_UNITS)
    throw unprocessable('The goal cannot hold that much', [
      { field, message: 'The goal would hold more than the largest amount kept' },
    ]);
}

/**
 * Links a ledger transaction (already found in the read model by the caller, waiting for one
 * created a moment ago) to a goal: `amount` (minor units as text, in the goal's currency) or, when
 * absent, the whole transaction — which then follows its amount when the ledger changes it.
 */
export async function contributeTransaction(
  manager: EntityManager,
  request: {
    userId: string;
    goalId: string;
    transactionId: string;
    amount: string | undefined;
    note: string | null;
    now: Date;
    limits: ContributionLimits;
  },
): Promise<Contributed> {
  await lockUserForWrite(manager, request.userId);
  const transaction = await findKnownTransaction(manager, request.userId, request.transactionId, {
    lock: true,
  });
  const goal = await lockedGoal(manager, request.userId, request.goalId);
  if (!transaction) throw transactionNotFound();
  refuseCancelled(goal);
  const worth = valueIn(transaction, goal.currency);
  if (worth === undefined)
    throw unprocessable('The transaction is in another currency than the goal', [
      {
        field: TRANSACTION_FIELD,
        message: `Recorded in ${transaction.currency ?? transaction.baseCurrency}; the goal is in ${goal.currency}`,
      },
    ]);
  const amountField = request.amount === undefined ? TRANSACTION_FIELD : 'body.amount';
  const amount =
    request.amount === undefined ? worth : minorUnitsOf(request.amount, goal.currency, 'body.amount');
  if (await isLinked(manager, goal.id, transaction.id))
    throw conflict('This transaction already contributes to this goal', [
      { field: TRANSACTION_FIELD, message: 'Already linked to this goal; delete that contribution first' },
    ]);
  const available = unallocated(
    worth,
    await contributedOfTransaction(manager, transaction.id, goal.currency),
  );
  if (amount > available) {
    const left = formatMinorUnits(available, goal.currency);
    throw new HttpProblem(
      422,
      `Only ${left} ${goal.currency} of this transaction is not given to a goal yet`,
      {
        errors: [{ field: amountField, message: `At most ${left} is available` }],
        extensions: { available: left, currency: goal.currency },
      },
    );
  }
  await refuseOverLimit(manager, goal, request.limits);
  refuseOverflow(goal, amount, amountField);
  const contribution = await insertContribution(
    manager,
    {
      id: newId(),
      goalId: goal.id,
      userId: request.userId,
      kind: 'transaction',
      transactionId: transaction.id,
      wholeTransaction: request.amount === undefined,
      amountMinor: amount,
      date: transaction.date,
      note: request.note,
    },
    request.now,
  );
  return {
    contribution,
    goal: await changeGoal(manager, goal, { currentMinor: goal.currentMinor + amount }, request.now),
  };
}

/**
 * Money put aside outside the tracked accounts (a positive amount) or taken out (negative: a
 * withdrawal, never more than the goal holds). A cancelled goal takes no new money, but money may
 * still be withdrawn from it.
 */
export async function contributeManually(
  manager: EntityManager,
  request: {
    userId: string;
    goalId: string;
    amount: string;
    date: CalendarDate | undefined;
    note: string | null;
    today: (timezone: string) => CalendarDate;
    now: Date;
    limits: ContributionLimits;
  },
): Promise<Contributed> {
  const settings = await lockUserForWrite(manager, request.userId);
  const goal = await lockedGoal(manager, request.userId, request.goalId);
  const amount = minorUnitsOf(request.amount, goal.currency, 'body.amount');
  if (amount > 0n) refuseCancelled(goal);
  const today = request.today(settings.timezone);
  const date = request.date ?? today;
  if (compareDates(date, today) > 0)
    throw unprocessable('A manual contribution cannot be dated in the future', [
      { field: 'body.date', message: `Must be on or before today (${today} in your time zone)` },
    ]);
  if (goal.currentMinor + amount < 0n) {
    const held = formatMinorUnits(goal.currentMinor, goal.currency);
    throw new HttpProblem(422, `The goal holds only ${held} ${goal.currency}`, {
      errors: [{ field: 'body.amount', message: `At most ${held} can be withdrawn` }],
      extensions: { available: held, currency: goal.currency },
    });
  }
  await refuseOverLimit(manager, goal, request.limits);
  refuseOverflow(goal, amount, 'body.amount');
  const contribution = await insertContribution(
    manager,
    {
      id: newId(),
      goalId: goal.id,
      userId: request.userId,
      kind: amount > 0n ? 'manual' : 'withdrawal',
      transactionId: null,
      wholeTransaction: false,
      amountMinor: amount,
      date,
      note: request.note,
    },
    request.now,
  );
  return {
    contribution,
    goal: await changeGoal(manager, goal, { currentMinor: goal.currentMinor + amount }, request.now),
  };
}

/**
 * Removes one contribution (the transaction stays in the ledger). Removing money a withdrawal was
 * taken from would leave the goal below zero: a 409 (remove the withdrawal first).
 */
export async function removeContribution(
  manager: EntityManager,
  request: { userId: string; goalId: string; contributionId: string; now: Date },
): Promise<GoalRecord> {
  await lockUserForWrite(manager, request.userId);
  const goal = await lockedGoal(manager, request.userId, request.goalId);
  const contribution = await findContribution(manager, goal.id, request.contributionId);
  if (!contribution) throw notFound('Contribution');
  const current = goal.currentMinor - contribution.amountMinor;
  if (current < 0n)
    throw conflict(
      'Without this contribution the goal would hold less than was withdrawn from it; remove withdrawals first',
    );
  await deleteContribution(manager, contribution.id);
  return changeGoal(manager, goal, { currentMinor: current }, request.now);
}
