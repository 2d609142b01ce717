import type { EntityManager } from 'typeorm';
import type { BudgetPeriod, CalendarDate } from '../domain/budget-window';

/** A budget row as the service works with it (dates as `YYYY-MM-DD`, money as bigint minor units). */
export interface BudgetRecord {
  id: string;
  userId: string;
  name: string;
  categoryId: string | null;
  amountMinor: bigint;
  currency: string;
  period: BudgetPeriod;
  startDate: CalendarDate;
  endDate: CalendarDate | null;
  rollover: boolean;
  createdAt: Date;
  updatedAt: Date;
  version: number;
}

export interface BudgetRow {
  id: string;
  user_id: string;
  name: string;
  category_id: string | null;
  amount_minor: string;
  currency: string;
  period: BudgetPeriod;
  start_date: string;
  end_date: string | null;
  rollover: boolean;
  created_at: Date;
  updated_at: Date;
  version: number;
}

/** Dates as text: node-pg would otherwise turn a `date` into a local-time Date. */
export const BUDGET_COLUMNS = `id, user_id, name, category_id, amount_minor::text AS amount_minor, currency, period,
  start_date::text AS start_date, end_date::text AS end_date, rollover, created_at, updated_at, version`;

export function toBudgetRecord(row: BudgetRow): BudgetRecord {
  return {
    id: row.id,
    userId: row.user_id,
    name: row.name,
    categoryId: row.category_id,
    amountMinor: BigInt(row.amount_minor),
    currency: row.currency,
    period: row.period,
    startDate: row.start_date,
    endDate: row.end_date,
    rollover: row.rollover,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
    version: row.version,
  };
}

export type BudgetFields = Pick<
  BudgetRecord,
  'name' | 'categoryId' | 'amountMinor' | 'period' | 'startDate' | 'endDate' | 'rollover'
>;

export async function insertBudget(
  manager: EntityManager,
  userId: string,
  currency: string,
  fields: BudgetFields,
): Promise<BudgetRecord> {
  const rows: BudgetRow[] = await manager.query(
    `INSERT INTO budgets (user_id, name, category_id, amount_minor, currency, period, start_date, end_date, rollover)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING ${BUDGET_COLUMNS}`,
    [
      userId,
      fields.name,
      fields.categoryId,
      fields.amountMinor.toString(),
      currency,
      fields.period,
      fields.startDate,
      fields.endDate,
      fields.rollover,
    ],
  );
  return toBudgetRecord(rows[0]);
}

export async function updateBudget(
  manager: EntityManager,
  userId: string,
  id: string,
  fields: BudgetFields,
): Promise<BudgetRecord | undefined> {
  const [rows]: [BudgetRow[], number] = await manager.query(
    `UPDATE budgets SET name = $3, category_id = $4, amount_minor = $5, period = $6, start_date = $7,
       end_date = $8, rollover = $9, version = version + 1,
       updated_at = date_trunc('milliseconds', clock_timestamp())
     WHERE user_id = $1 AND id = $2 RETURNING ${BUDGET_COLUMNS}`,
    [
      userId,
      id,
      fields.name,
      fields.categoryId,
      fields.amountMinor.toString(),
      fields.period,
      fields.startDate,
      fields.endDate,
      fields.rollover,
    ],
  );
  return rows[0] ? toBudgetRecord(rows[0]) : undefined;
}

export async function findBudget(
  manager: EntityManager,
  userId: string,
  id: string,
): Promise<BudgetRecord | undefined> {
  const rows: BudgetRow[] = await manager.query(
    `SELECT ${BUDGET_COLUMNS} FROM budgets WHERE user_id = $1 AND id = $2`,
    [userId, id],
  );
  return rows[0] ? toBudgetRecord(rows[0]) : undefined;
}

/** The budget and the owner's timezone in one round trip (null when auth's settings have not arrived). */
export async function findBudgetAndTimezone(
  manager: EntityManager,
  userId: string,
  id: string,
): Promise<{ budget: BudgetRecord; timezone: string | null } | undefined> {
  const rows: Array<BudgetRow & { timezone: string | null }> = await manager.query(
    `SELECT ${BUDGET_COLUMNS}, (SELECT timezone FROM user_settings s WHERE s.user_id = budgets.user_id) AS timezone
     FROM budgets WHERE user_id = $1 AND id = $2`,
    [userId, id],
  );
  return rows[0] ? { budget: toBudgetRecord(rows[0]), timezone: rows[0].timezone } : undefined;
}

export async function deleteBudget(manager: EntityManager, userId: string, id: string): Promise<boolean> {
  const [, count]: [unknown, number] = await manager.query(
    `DELETE FROM budgets WHERE user_id = $1 AND id = $2`,
    [userId, id],
  );
  return count > 0;
}

export interface BudgetFilter {
  period?: BudgetPeriod;
  categoryId?: string;
  /** Active on this date (true) or not (false). */
  active?: { on: CalendarDate; value: boolean };
  after?: { createdAt: string; id: string };
  limit: number;
}

/** One keyset page (limit + 1 rows) ordered by creation, oldest first. */
export async function listBudgets(
  manager: EntityManager,
  userId: string,
  filter: BudgetFilter,
): Promise<BudgetRecord[]> {
  const where = ['user_id = $1'];
  const params: unknown[] = [userId];
  const param = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  if (filter.period) where.push(`period = ${param(filter.period)}`);
  if (filter.categoryId) where.push(`category_id = ${param(filter.categoryId)}`);
  if (filter.active) {
    const on = param(filter.active.on);
    const active = `(start_date <= ${on}::date AND (end_date IS NULL OR end_date >= ${on}::date))`;
    where.push(filter.active.value ? active : `NOT ${active}`);
  }
  if (filter.after)
    where.push(
      `(created_at, id) > (${param(filter.after.createdAt)}::timestamptz, ${param(filter.after.id)}::uuid)`,
    );
  const rows: BudgetRow[] = await manager.query(
    `SELECT ${BUDGET_COLUMNS} FROM budgets WHERE ${where.join(' AND ')}
     ORDER BY created_at, id LIMIT ${param(filter.limit + 1)}`,
    params,
  );
  return rows.map(toBudgetRecord);
}

/** Every budget of the user active on `on`, for the status overview. */
export async function activeBudgets(
  manager: EntityManager,
  userId: string,
  on: CalendarDate,
): Promise<BudgetRecord[]> {
  const rows: BudgetRow[] = await manager.query(
    `SELECT ${BUDGET_COLUMNS} FROM budgets
     WHERE user_id = $1 AND start_date <= $2::date AND (end_date IS NULL OR end_date >= $2::date)
     ORDER BY created_at, id`,
    [userId, on],
  );
  return rows.map(toBudgetRecord);
}

export interface UserSettingsRecord {
  baseCurrency: string;
  timezone: string;
}

export async function findUserSettings(
  manager: EntityManager,
  userId: string,
): Promise<UserSettingsRecord | undefined> {
  const rows: Array<{ base_currency: string; timezone: string }> = await manager.query(
    `SELECT base_currency, timezone FROM user_settings WHERE user_id = $1`,
    [userId],
  );
  return rows[0] ? { baseCurrency: rows[0].base_currency, timezone: rows[0].timezone } : undefined;
}

/** 'own' = an existing category of the user; 'deleted' = theirs but deleted; 'unknown' otherwise. */
export async function categoryStanding(
  manager: EntityManager,
  userId: string,
  categoryId: string,
): Promise<'own' | 'deleted' | 'unknown'> {
  const rows: Array<{ deleted: boolean }> = await manager.query(
    `SELECT deleted FROM known_categories WHERE id = $1 AND user_id = $2`,
    [categoryId, userId],
  );
  if (!rows[0]) return 'unknown';
  return rows[0].deleted ? 'deleted' : 'own';
}
