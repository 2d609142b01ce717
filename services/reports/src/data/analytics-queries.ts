import type { DataSource, EntityManager } from 'typeorm';
import type { Granularity } from '../domain/calendar';

/**
 * Every analytics query reads the daily roll-ups, never report_transactions: the rows scanned
 * grow with days × categories (× accounts for the account filter), not with transactions.
 */
type Db = DataSource | EntityManager;

export interface CategoryTotalRow {
  category_key: string;
  name: string | null;
  color: string | null;
  total_minor: string;
  count: number;
}

export async function spendingByCategory(
  db: Db,
  userId: string,
  range: { from: string; to: string },
  filters: { accountId?: string; categoryId?: string } = {},
): Promise<CategoryTotalRow[]> {
  const params: unknown[] = [userId, range.from, range.to];
  const table = filters.accountId ? 'daily_account_rollups' : 'daily_rollups';
  let where = `r.user_id = $1 AND r.type = 'expense' AND r.date BETWEEN $2 AND $3`;
  if (filters.accountId) {
    params.push(filters.accountId);
    where += ` AND r.account_id = $${params.length}`;
  }
  if (filters.categoryId) {
    params.push(filters.categoryId);
    where += ` AND r.category_key = $${params.length}`;
  }
  return (await db.query(
    `SELECT r.category_key, c.name, c.color, sum(r.total_minor)::text AS total_minor, sum(r.count)::int AS count
     FROM ${table} r LEFT JOIN report_categories c ON c.id = r.category_key AND c.user_id = r.user_id
     WHERE ${where}
     GROUP BY r.category_key, c.name, c.color`,
    params,
  )) as CategoryTotalRow[];
}

export interface PeriodTypeRow {
  period_start: string;
  type: string;
  total_minor: string;
}

/** Income and expense per period (date_trunc 'week' is ISO: Monday). */
export async function incomeExpenseByPeriod(
  db: Db,
  userId: string,
  range: { from: string; to: string },
  granularity: Granularity,
): Promise<PeriodTypeRow[]> {
  return (await db.query(
    `SELECT to_char(date_trunc($4, date::timestamp), 'YYYY-MM-DD') AS period_start, type,
            sum(total_minor)::text AS total_minor
     FROM daily_rollups WHERE user_id = $1 AND date BETWEEN $2 AND $3
     GROUP BY 1, 2`,
    [userId, range.from, range.to, granularity],
  )) as PeriodTypeRow[];
}

/** Flows per period for cash flow: per account (transfers included) or in total (transfers excluded). */
export async function flowsByPeriod(
  db: Db,
  userId: string,
  range: { from: string; to: string },
  granularity: Granularity,
  accountId?: string,
): Promise<PeriodTypeRow[]> {
  if (accountId) {
    return (await db.query(
      `SELECT to_char(date_trunc($4, date::timestamp), 'YYYY-MM-DD') AS period_start, type,
              sum(total_minor)::text AS total_minor
       FROM daily_account_rollups WHERE user_id = $1 AND account_id = $5 AND date BETWEEN $2 AND $3
       GROUP BY 1, 2`,
      [userId, range.from, range.to, granularity, accountId],
    )) as PeriodTypeRow[];
  }
  return incomeExpenseByPeriod(db, userId, range, granularity);
}

/** Net flow of everything dated before `date`: the balance the range opens with (besides opening balances). */
export async function netFlowBefore(
  db: Db,
  userId: string,
  date: string,
  accountId?: string,
): Promise<bigint> {
  const [row] = accountId
    ? ((await db.query(
        `SELECT coalesce(sum(CASE WHEN type IN ('income', 'transfer_in') THEN total_minor ELSE -total_minor END), 0)::text AS net
         FROM daily_account_rollups WHERE user_id = $1 AND account_id = $2 AND date < $3`,
        [userId, accountId, date],
      )) as Array<{ net: string }>)
    : ((await db.query(
        `SELECT coalesce(sum(CASE WHEN type = 'income' THEN total_minor ELSE -total_minor END), 0)::text AS net
         FROM daily_rollups WHERE user_id = $1 AND date < $2`,
        [userId, date],
      )) as Array<{ net: string }>);
  return BigInt(row.net);
}

export interface AccountRow {
  id: string;
  name: string;
  currency: string;
  opening_balance_minor: string;
}

export async function userAccounts(db: Db, userId: string, accountId?: string): Promise<AccountRow[]> {
  return (await db.query(
    `SELECT id, name, currency, opening_balance_minor::text AS opening_balance_minor
     FROM report_accounts WHERE user_id = $1 AND NOT deleted ${accountId ? 'AND id = $2' : ''}`,
    accountId ? [userId, accountId] : [userId],
  )) as AccountRow[];
}

export interface CategoryPeriodRow {
  category_key: string;
  name: string | null;
  color: string | null;
  period_start: string;
  total_minor: string;
}

export async function categoryTotalsByPeriod(
  db: Db,
  userId: string,
  range: { from: string; to: string },
  granularity: Granularity,
  type: 'income' | 'expense',
): Promise<CategoryPeriodRow[]> {
  return (await db.query(
    `SELECT r.category_key, c.name, c.color,
            to_char(date_trunc($4, r.date::timestamp), 'YYYY-MM-DD') AS period_start,
            sum(r.total_minor)::text AS total_minor
     FROM daily_rollups r LEFT JOIN report_categories c ON c.id = r.category_key AND c.user_id = r.user_id
     WHERE r.user_id = $1 AND r.type = $5 AND r.date BETWEEN $2 AND $3
     GROUP BY 1, 2, 3, 4`,
    [userId, range.from, range.to, granularity, type],
  )) as CategoryPeriodRow[];
}

/** Spending per day of a range (the PDF's daily chart). */
export async function dailyExpense(db: Db, userId: string, range: { from: string; to: string }) {
  return (await db.query(
    `SELECT to_char(date, 'YYYY-MM-DD') AS date, sum(total_minor)::text AS total_minor
     FROM daily_rollups WHERE user_id = $1 AND type = 'expense' AND date BETWEEN $2 AND $3
     GROUP BY date ORDER BY date`,
    [userId, range.from, range.to],
  )) as Array<{ date: string; total_minor: string }>;
}

/** The largest expenses of a range, from the transactions themselves (bounded by the month). */
export async function topExpenses(
  db: Db,
  userId: string,
  range: { from: string; to: string },
  limit: number,
) {
  return (await db.query(
    `SELECT to_char(t.date, 'YYYY-MM-DD') AS date, t.description, t.payee, t.base_amount_minor::text AS base_amount_minor,
            c.name AS category_name, c.color AS category_color
     FROM report_transactions t LEFT JOIN report_categories c ON c.id = t.category_id AND c.user_id = t.user_id
     WHERE t.user_id = $1 AND t.type = 'expense' AND t.date BETWEEN $2 AND $3
     ORDER BY t.base_amount_minor DESC, t.date, t.id LIMIT $4`,
    [userId, range.from, range.to, limit],
  )) as Array<{
    date: string;
    description: string;
    payee: string | null;
    base_amount_minor: string;
    category_name: string | null;
    category_color: string | null;
  }>;
}
