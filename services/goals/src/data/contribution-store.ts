import { pageInCreationOrder, type CreationCursor } from '@finance/shared';
import type { CalendarDate } from '@finance/shared';
import type { EntityManager } from 'typeorm';
import { managerOf, type Db } from './db';
import type { AmountChange } from '../domain/contributions';
import type { SeriesGranularity } from '../domain/progress-series';
import { GoalContribution } from './entities';

export type ContributionRecord = GoalContribution;

/** The default of MAX_CONTRIBUTIONS_PER_GOAL: bounds what the ledger's changes and a goal's sums walk over. */
export const MAX_CONTRIBUTIONS_PER_GOAL = 10_000;

export async function insertContribution(
  manager: EntityManager,
  contribution: Omit<GoalContribution, 'createdAt'>,
  now: Date,
): Promise<ContributionRecord> {
  const record = manager.create(GoalContribution, { ...contribution, createdAt: now });
  await manager.insert(GoalContribution, record);
  return record;
}

export async function findContribution(
  db: Db,
  goalId: string,
  id: string,
): Promise<ContributionRecord | undefined> {
  return (await managerOf(db).findOneBy(GoalContribution, { id, goalId })) ?? undefined;
}

/** One keyset page (limit + 1 rows) of a goal's contributions, oldest first. */
export async function listContributions(
  db: Db,
  goalId: string,
  page: { after?: CreationCursor; limit: number },
): Promise<ContributionRecord[]> {
  const qb = managerOf(db).createQueryBuilder(GoalContribution, 'c').where('c.goal_id = :goalId', { goalId });
  return pageInCreationOrder(qb, 'c', page).getMany();
}

export async function countContributions(manager: EntityManager, goalId: string): Promise<number> {
  return manager.countBy(GoalContribution, { goalId });
}

export async function deleteContribution(manager: EntityManager, id: string): Promise<void> {
  await manager.delete(GoalContribution, { id });
}

/** New amounts for contributions; an amount of 0 removes the contribution. */
export async function applyAmountChanges(
  manager: EntityManager,
  changes: readonly AmountChange[],
): Promise<void> {
  for (const change of changes) {
    if (change.amount === 0n) await manager.delete(GoalContribution, { id: change.id });
    else await manager.update(GoalContribution, { id: change.id }, { amountMinor: change.amount });
  }
}

/** Whether the transaction already contributes to the goal. */
export async function isLinked(
  manager: EntityManager,
  goalId: string,
  transactionId: string,
): Promise<boolean> {
  return manager.existsBy(GoalContribution, { goalId, transactionId });
}

/** What all goals together hold of one transaction (the caller holds the transaction's lock). */
export async function contributedOfTransaction(
  manager: EntityManager,
  transactionId: string,
  /** Only contributions to goals in this currency (amounts of two currencies never add up). */
  currency: string,
): Promise<bigint> {
  const [row]: Array<{ total: string }> = await manager.query(
    `SELECT COALESCE(SUM(c.amount_minor), 0)::text AS total
       FROM goal_contributions c JOIN goals g ON g.id = c.goal_id
      WHERE c.transaction_id = $1 AND g.currency = $2`,
    [transactionId, currency],
  );
  return BigInt(row.total);
}

/** The goals holding contributions of a transaction (to lock them before reading those contributions). */
export async function goalIdsOfTransaction(manager: EntityManager, transactionId: string): Promise<string[]> {
  const rows: Array<{ goal_id: string }> = await manager.query(
    `SELECT DISTINCT goal_id FROM goal_contributions WHERE transaction_id = $1`,
    [transactionId],
  );
  return rows.map((row) => row.goal_id);
}

/** A transaction's contributions across goals, most recent first (the order they give way in). */
export async function contributionsOfTransaction(
  manager: EntityManager,
  transactionId: string,
): Promise<ContributionRecord[]> {
  return manager.find(GoalContribution, {
    where: { transactionId },
    order: { createdAt: 'DESC', id: 'DESC' },
  });
}

/** A linked contribution is dated by its transaction: moves with it. */
export async function redateContributionsOf(
  manager: EntityManager,
  transactionId: string,
  date: CalendarDate,
): Promise<void> {
  await manager.update(GoalContribution, { transactionId }, { date });
}

/** A goal's withdrawals, most recent first. */
export async function withdrawalsOf(manager: EntityManager, goalId: string): Promise<ContributionRecord[]> {
  return manager.find(GoalContribution, {
    where: { goalId, kind: 'withdrawal' },
    order: { createdAt: 'DESC', id: 'DESC' },
  });
}

/** What the pace needs: the first contribution's date, and the net amount dated in [from, to]. */
export async function paceFigures(
  db: Db,
  goalId: string,
  window: { from: CalendarDate; to: CalendarDate },
): Promise<{ firstDate: CalendarDate | null; saved: bigint }> {
  const [row]: Array<{ first_date: string | null; saved: string }> = await db.query(
    `SELECT min(date)::text AS first_date,
            COALESCE(SUM(amount_minor) FILTER (WHERE date BETWEEN $2::date AND $3::date), 0)::text AS saved
       FROM goal_contributions WHERE goal_id = $1`,
    [goalId, window.from, window.to],
  );
  return { firstDate: row.first_date, saved: BigInt(row.saved) };
}

/** The date of a goal's earliest contribution, or null without any. */
export async function firstContributionDate(db: Db, goalId: string): Promise<CalendarDate | null> {
  const [row]: Array<{ first_date: string | null }> = await db.query(
    `SELECT min(date)::text AS first_date FROM goal_contributions WHERE goal_id = $1`,
    [goalId],
  );
  return row.first_date;
}

/**
 * What the progress series needs, grouped in SQL (so the answer is at most one row per period):
 * the net amount dated before `from`, and inside [from, to] per period start (ISO weeks begin on
 * Monday, as in the shared calendar).
 */
export async function seriesSums(
  db: Db,
  goalId: string,
  range: { from: CalendarDate; to: CalendarDate },
  granularity: SeriesGranularity,
): Promise<{ before: bigint; byPeriod: Map<CalendarDate, bigint> }> {
  const unit = granularity === 'week' ? 'week' : 'month';
  const [before]: Array<{ total: string }> = await db.query(
    `SELECT COALESCE(SUM(amount_minor), 0)::text AS total FROM goal_contributions WHERE goal_id = $1 AND date < $2::date`,
    [goalId, range.from],
  );
  const rows: Array<{ period_start: string; total: string }> = await db.query(
    `SELECT date_trunc('${unit}', date)::date::text AS period_start, SUM(amount_minor)::text AS total
       FROM goal_contributions WHERE goal_id = $1 AND date BETWEEN $2::date AND $3::date
      GROUP BY 1`,
    [goalId, range.from, range.to],
  );
  return {
    before: BigInt(before.total),
    byPeriod: new Map(rows.map((row) => [row.period_start, BigInt(row.total)])),
  };
}
