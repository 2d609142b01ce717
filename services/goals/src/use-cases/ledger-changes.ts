import type { EntityManager } from 'typeorm';
import { fitToTransaction, fitWithdrawals, type AmountChange } from '../domain/contributions';
import {
  applyAmountChanges,
  contributionsOfTransaction,
  goalIdsOfTransaction,
  redateContributionsOf,
  withdrawalsOf,
} from '../data/contribution-store';
import { goalsInAccount, lockGoals, type GoalRecord } from '../data/goal-store';
import { valueIn, type KnownTransaction } from '../data/ledger-read-model';
import { changeGoal } from './goal-state';

/**
 * What the ledger's changes do to goals, run by the event handlers in the same DB transaction
 * as the inbox record (so each change takes effect exactly once). The caller holds the
 * transaction's read-model row (written or deleted just before), then the goals are locked in id
 * order: the order contributions take them in too.
 *
 * The rules, when a linked transaction changes:
 * - deleted: its contributions go, and each goal is recomputed;
 * - a whole-transaction contribution (linked without an amount) follows the new amount, up or down;
 * - when the amount shrinks below what goals hold of it, the most recent contributions give way
 *   first (reduced, or removed when nothing is left of them);
 * - its base currency no longer the goal's: its contributions to that goal go;
 * - a new date moves its contributions with it (and gives their goals a new version: their pace
 *   and series changed);
 * - a goal whose total would fall below zero (withdrawals outweigh what is left) has its most
 *   recent withdrawals reduced until it holds zero.
 */

/**
 * Applies one goal's new contribution amounts (`delta`: what they change its total by), keeps
 * the total from falling below zero, and recomputes the goal.
 */
async function settleGoal(
  manager: EntityManager,
  goal: GoalRecord,
  delta: bigint,
  changes: AmountChange[],
  now: Date,
  redated: boolean,
): Promise<void> {
  await applyAmountChanges(manager, changes);
  let current = goal.currentMinor + delta;
  if (current < 0n) {
    const withdrawals = (await withdrawalsOf(manager, goal.id)).map((w) => ({
      id: w.id,
      amount: w.amountMinor,
    }));
    const trims = fitWithdrawals(current, withdrawals);
    await applyAmountChanges(manager, trims);
    const before = new Map(withdrawals.map((w) => [w.id, w.amount]));
    current += trims.reduce((sum, trim) => sum + trim.amount - (before.get(trim.id) ?? 0n), 0n);
  }
  await changeGoal(manager, goal, { currentMinor: current, newVersion: redated }, now);
}

/**
 * The contributions of a transaction made to fit its new state (`transaction` undefined: it was
 * deleted), and their goals recomputed.
 */
export async function fitContributionsToTransaction(
  manager: EntityManager,
  userId: string,
  transactionId: string,
  transaction: KnownTransaction | undefined,
  now: Date,
): Promise<void> {
  const goalIds = await goalIdsOfTransaction(manager, transactionId);
  if (goalIds.length === 0) return;
  const goals = await lockGoals(manager, userId, goalIds);
  // Read under the goals' locks: a contribution removed meanwhile is gone from this list.
  const contributions = await contributionsOfTransaction(manager, transactionId);
  const goalById = new Map(goals.map((goal) => [goal.id, goal]));
  const newAmount = new Map<string, bigint>();
  const fitting: Array<{ id: string; amount: bigint; currency: string; worth: bigint }> = [];
  for (const c of contributions) {
    const goal = goalById.get(c.goalId);
    if (!goal) continue;
    const worth = transaction && valueIn(transaction, goal.currency);
    if (worth === undefined) newAmount.set(c.id, 0n);
    else {
      const amount = c.wholeTransaction ? worth : c.amountMinor;
      newAmount.set(c.id, amount);
      fitting.push({ id: c.id, amount, currency: goal.currency, worth });
    }
  }
  // Per currency of the goals it feeds, the contributions fit what the transaction is worth there.
  for (const currency of new Set(fitting.map((f) => f.currency))) {
    const ofCurrency = fitting.filter((f) => f.currency === currency);
    for (const change of fitToTransaction(ofCurrency, ofCurrency[0].worth))
      newAmount.set(change.id, change.amount);
  }
  if (transaction) await redateContributionsOf(manager, transactionId, transaction.date);

  for (const goal of goals) {
    // At most one contribution per goal and transaction (a unique constraint).
    let delta = 0n;
    let redated = false;
    const changes: AmountChange[] = [];
    for (const c of contributions) {
      if (c.goalId !== goal.id) continue;
      if (transaction && c.date !== transaction.date) redated = true;
      const amount = newAmount.get(c.id) ?? c.amountMinor;
      if (amount === c.amountMinor) continue;
      changes.push({ id: c.id, amount });
      delta += amount - c.amountMinor;
    }
    // A contribution moved to another day changes the goal's pace and series: a new version too.
    if (changes.length > 0 || redated) await settleGoal(manager, goal, delta, changes, now, redated);
  }
}

/** The ledger deleted an account: goals that named it as where their savings sit no longer name one. */
export async function detachDeletedAccount(
  manager: EntityManager,
  userId: string,
  accountId: string,
  now: Date,
): Promise<void> {
  for (const goal of await goalsInAccount(manager, userId, accountId))
    await changeGoal(manager, goal, { accountId: null }, now);
}
