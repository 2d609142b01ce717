import type { BudgetPeriod, CalendarDate } from '@finance/shared';
import type { DataSource, EntityManager } from 'typeorm';
import type { BudgetDefinition, GoalSnapshot } from '../domain/month-standing';

type Db = DataSource | EntityManager;

/**
 * Stores one version of a budget's definition (from `budgets.budget.changed/deleted`). A version
 * already stored (a duplicate) is left as it is; an id another user's events claimed is not this
 * user's to write. Whether it was stored.
 */
export async function writeBudgetVersion(
  manager: EntityManager,
  v: BudgetDefinition & { userId: string; version: number; occurredAt: string; deleted: boolean },
): Promise<boolean> {
  const written: unknown[] = await manager.query(
    `INSERT INTO report_budget_versions (budget_id, version, user_id, occurred_at, deleted, name, category_id,
       amount_minor, currency, period, start_date, end_date, rollover)
     SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13
     WHERE NOT EXISTS (SELECT 1 FROM report_budget_versions WHERE budget_id = $1 AND user_id <> $3)
     ON CONFLICT (budget_id, version) DO NOTHING
     RETURNING 1`,
    [
      v.id,
      v.version,
      v.userId,
      v.occurredAt,
      v.deleted,
      v.name,
      v.categoryId,
      v.amountMinor.toString(),
      v.currency,
      v.period,
      v.startDate,
      v.endDate,
      v.rollover,
    ],
  );
  return written.length === 1;
}

/** Stores one version of a goal's state (from `goals.goal.changed/deleted`), as {@link writeBudgetVersion}. */
export async function writeGoalVersion(
  manager: EntityManager,
  v: GoalSnapshot & { userId: string; version: number; occurredAt: string },
): Promise<boolean> {
  const written: unknown[] = await manager.query(
    `INSERT INTO report_goal_versions (goal_id, version, user_id, occurred_at, deleted, name, target_minor,
       current_minor, currency, status, deadline)
     SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11
     WHERE NOT EXISTS (SELECT 1 FROM report_goal_versions WHERE goal_id = $1 AND user_id <> $3)
     ON CONFLICT (goal_id, version) DO NOTHING
     RETURNING 1`,
    [
      v.id,
      v.version,
      v.userId,
      v.occurredAt,
      v.deleted,
      v.name,
      v.targetMinor.toString(),
      v.currentMinor.toString(),
      v.currency,
      v.status,
      v.deadline,
    ],
  );
  return written.length === 1;
}

/** The user's budgets as defined at `instant` (the highest version that had occurred before it), deleted ones included. */
export async function budgetsAsOf(db: Db, userId: string, instant: Date): Promise<BudgetDefinition[]> {
  const rows: Array<{
    budget_id: string;
    deleted: boolean;
    name: string;
    category_id: string | null;
    amount_minor: string;
    currency: string;
    period: BudgetPeriod;
    start_date: string;
    end_date: string | null;
    rollover: boolean;
  }> = await db.query(
    `SELECT DISTINCT ON (budget_id) budget_id, deleted, name, category_id, amount_minor::text AS amount_minor,
            currency, period, to_char(start_date, 'YYYY-MM-DD') AS start_date,
            to_char(end_date, 'YYYY-MM-DD') AS end_date, rollover
     FROM report_budget_versions WHERE user_id = $1 AND occurred_at < $2
     ORDER BY budget_id, version DESC`,
    [userId, instant],
  );
  return rows.map((r) => ({
    id: r.budget_id,
    deleted: r.deleted,
    name: r.name,
    categoryId: r.category_id,
    amountMinor: BigInt(r.amount_minor),
    currency: r.currency,
    period: r.period,
    startDate: r.start_date,
    endDate: r.end_date,
    rollover: r.rollover,
  }));
}

/** The user's goals as they stood at `instant` (the highest version that had occurred before it), deleted ones included. */
export async function goalsAsOf(db: Db, userId: string, instant: Date): Promise<GoalSnapshot[]> {
  const rows: Array<{
    goal_id: string;
    deleted: boolean;
    name: string;
    target_minor: string;
    current_minor: string;
    currency: string;
    status: GoalSnapshot['status'];
    deadline: string | null;
  }> = await db.query(
    `SELECT DISTINCT ON (goal_id) goal_id, deleted, name, target_minor::text AS target_minor,
            current_minor::text AS current_minor, currency, status, to_char(deadline, 'YYYY-MM-DD') AS deadline
     FROM report_goal_versions WHERE user_id = $1 AND occurred_at < $2
     ORDER BY goal_id, version DESC`,
    [userId, instant],
  );
  return rows.map((r) => ({
    id: r.goal_id,
    deleted: r.deleted,
    name: r.name,
    targetMinor: BigInt(r.target_minor),
    currentMinor: BigInt(r.current_minor),
    currency: r.currency,
    status: r.status,
    deadline: r.deadline,
  }));
}

/** One date range of expenses to sum: one category's (or, with null, every expense), in one base currency. */
export interface ExpenseRange {
  categoryId: string | null;
  currency: string;
  from: CalendarDate;
  to: CalendarDate;
}

/**
 * The expenses of each range, summed from the daily roll-ups in one query (what budgets sums from
 * its own read model of the same ledger events: expenses only, in the range's base currency).
 */
export async function sumExpenses(db: Db, userId: string, ranges: ExpenseRange[]): Promise<bigint[]> {
  if (ranges.length === 0) return [];
  const rows: Array<{ slot: number; total: string }> = await db.query(
    `SELECT r.slot, COALESCE(SUM(d.total_minor), 0)::text AS total
     FROM unnest($2::int[], $3::uuid[], $4::text[], $5::date[], $6::date[])
       AS r(slot, category_id, currency, from_date, to_date)
     LEFT JOIN daily_rollups d
       ON d.user_id = $1 AND d.type = 'expense' AND d.base_currency = r.currency
      AND d.date BETWEEN r.from_date AND r.to_date
      AND (r.category_id IS NULL OR d.category_key = r.category_id)
     GROUP BY r.slot`,
    [
      userId,
      ranges.map((_, slot) => slot),
      ranges.map((r) => r.categoryId),
      ranges.map((r) => r.currency),
      ranges.map((r) => r.from),
      ranges.map((r) => r.to),
    ],
  );
  const totals = new Map(rows.map((row) => [Number(row.slot), BigInt(row.total)]));
  return ranges.map((_, slot) => totals.get(slot) ?? 0n);
}
