import type { Granularity } from '@finance/shared';
import type { DataSource, EntityManager } from 'typeorm';
import type { CurrencyCount } from '../domain/analytics';

/**
 * Every analytics query reads the daily roll-ups, never report_transactions: the rows scanned
 * grow with days × categories (× accounts for the account filter), not with transactions.
 * Roll-ups are kept per base currency; a query given `currency` reads only money in it (what
 * the analytics endpoints do), and `countsByBaseCurrency` says how much lies in others.
 * Sums come back as numeric text (`total_minor`), read with BigInt: exact at any size.
 */
type Db = DataSource | EntityManager;

export interface CategoryTotalRow {
  category_key: string;
  name: string | null;
  color: string | null;
  total_minor: string;
  count: number;
}

/** Builds `AND …` clauses with numbered parameters after the ones already in `params`. */
class Where {
  constructor(
    readonly params: unknown[],
    public sql: string,
  ) {}

  and(clause: (placeholder: string) => string, value: unknown): this {
    this.params.push(value);
    this.sql += ` AND ${clause(`$${this.params.length}`)}`;
    return this;
  }

  andIf(value: unknown, clause: (placeholder: string) => string): this {
    return value === undefined ? this : this.and(clause, value);
  }
}

export async function spendingByCategory(
  db: Db,
  userId: string,
  range: { from: string; to: string },
  filters: { accountId?: string; categoryId?: string; currency?: string } = {},
): Promise<CategoryTotalRow[]> {
  const table = filters.accountId ? 'daily_account_rollups' : 'daily_rollups';
  const where = new Where(
    [userId, range.from, range.to],
    `r.user_id = $1 AND r.type = 'expense' AND r.date BETWEEN $2 AND $3`,
  )
    .andIf(filters.accountId, (n) => `r.account_id = ${n}`)
    .andIf(filters.categoryId, (n) => `r.category_key = ${n}`)
    .andIf(filters.currency, (n) => `r.base_currency = ${n}`);
  return (await db.query(
    `SELECT r.category_key, c.name, c.color, sum(r.total_minor)::text AS total_minor, sum(r.count)::int AS count
     FROM ${table} r LEFT JOIN report_categories c ON c.id = r.category_key AND c.user_id = r.user_id
     WHERE ${where.sql}
     GROUP BY r.category_key, c.name, c.color`,
    where.params,
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
  currency?: string,
): Promise<PeriodTypeRow[]> {
  const where = new Where(
    [userId, range.from, range.to, granularity],
    'user_id = $1 AND date BETWEEN $2 AND $3',
  ).andIf(currency, (n) => `base_currency = ${n}`);
  return (await db.query(
    `SELECT to_char(date_trunc($4, date::timestamp), 'YYYY-MM-DD') AS period_start, type,
            sum(total_minor)::text AS total_minor
     FROM daily_rollups WHERE ${where.sql}
     GROUP BY 1, 2`,
    where.params,
  )) as PeriodTypeRow[];
}

/** Flows per period for cash flow: per account (transfers included) or in total (transfers excluded). */
export async function flowsByPeriod(
  db: Db,
  userId: string,
  range: { from: string; to: string },
  granularity: Granularity,
  scope: { accountId?: string; currency: string },
): Promise<PeriodTypeRow[]> {
  if (!scope.accountId) return incomeExpenseByPeriod(db, userId, range, granularity, scope.currency);
  return (await db.query(
    `SELECT to_char(date_trunc($4, date::timestamp), 'YYYY-MM-DD') AS period_start, type,
            sum(total_minor)::text AS total_minor
     FROM daily_account_rollups
     WHERE user_id = $1 AND account_id = $5 AND base_currency = $6 AND date BETWEEN $2 AND $3
     GROUP BY 1, 2`,
    [userId, range.from, range.to, granularity, scope.accountId, scope.currency],
  )) as PeriodTypeRow[];
}

/** Net flow of everything dated before `date`: the balance the range opens with (besides opening balances). */
export async function netFlowBefore(
  db: Db,
  userId: string,
  date: string,
  scope: { accountId?: string; currency: string },
): Promise<bigint> {
  const [row] = scope.accountId
    ? ((await db.query(
        `SELECT coalesce(sum(CASE WHEN type IN ('income', 'transfer_in') THEN total_minor ELSE -total_minor END), 0)::text AS net
         FROM daily_account_rollups WHERE user_id = $1 AND account_id = $2 AND base_currency = $3 AND date < $4`,
        [userId, scope.accountId, scope.currency, date],
      )) as Array<{ net: string }>)
    : ((await db.query(
        `SELECT coalesce(sum(CASE WHEN type = 'income' THEN total_minor ELSE -total_minor END), 0)::text AS net
         FROM daily_rollups WHERE user_id = $1 AND base_currency = $2 AND date < $3`,
        [userId, scope.currency, date],
      )) as Array<{ net: string }>);
  return BigInt(row.net);
}

/**
 * How many transactions each base currency holds among the roll-up rows a figure reads: of the
 * given types, dated in [from, to] (from everything when `from` is omitted), optionally of one
 * account (then per-account roll-ups, transfers included) and one category key.
 */
export async function countsByBaseCurrency(
  db: Db,
  userId: string,
  scope: {
    from?: string;
    to: string;
    types: ReadonlyArray<'income' | 'expense' | 'transfer_in' | 'transfer_out'>;
    accountId?: string;
    categoryKey?: string;
  },
): Promise<CurrencyCount[]> {
  const table = scope.accountId ? 'daily_account_rollups' : 'daily_rollups';
  const where = new Where([userId, scope.to, scope.types], 'user_id = $1 AND date <= $2 AND type = ANY($3)')
    .andIf(scope.from, (n) => `date >= ${n}`)
    .andIf(scope.accountId, (n) => `account_id = ${n}`)
    .andIf(scope.categoryKey, (n) => `category_key = ${n}`);
  return (await db.query(
    `SELECT base_currency AS currency, sum(count)::int AS count FROM ${table} WHERE ${where.sql} GROUP BY 1`,
    where.params,
  )) as CurrencyCount[];
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
  scope: { type: 'income' | 'expense'; currency: string },
): Promise<CategoryPeriodRow[]> {
  return (await db.query(
    `SELECT r.category_key, c.name, c.color,
            to_char(date_trunc($4, r.date::timestamp), 'YYYY-MM-DD') AS period_start,
            sum(r.total_minor)::text AS total_minor
     FROM daily_rollups r LEFT JOIN report_categories c ON c.id = r.category_key AND c.user_id = r.user_id
     WHERE r.user_id = $1 AND r.type = $5 AND r.base_currency = $6 AND r.date BETWEEN $2 AND $3
     GROUP BY 1, 2, 3, 4`,
    [userId, range.from, range.to, granularity, scope.type, scope.currency],
  )) as CategoryPeriodRow[];
}

/** Spending per day of a range (the PDF's daily chart). */
export async function dailyExpense(
  db: Db,
  userId: string,
  range: { from: string; to: string },
  currency?: string,
) {
  const where = new Where(
    [userId, range.from, range.to],
    `user_id = $1 AND type = 'expense' AND date BETWEEN $2 AND $3`,
  ).andIf(currency, (n) => `base_currency = ${n}`);
  return (await db.query(
    `SELECT to_char(date, 'YYYY-MM-DD') AS date, sum(total_minor)::text AS total_minor
     FROM daily_rollups WHERE ${where.sql}
     GROUP BY date ORDER BY date`,
    where.params,
  )) as Array<{ date: string; total_minor: string }>;
}

/** The largest expenses of a range, from the transactions themselves (bounded by the month). */
export async function topExpenses(
  db: Db,
  userId: string,
  range: { from: string; to: string },
  limit: number,
  currency?: string,
) {
  const where = new Where(
    [userId, range.from, range.to, limit],
    `t.user_id = $1 AND t.type = 'expense' AND t.date BETWEEN $2 AND $3`,
  ).andIf(currency, (n) => `t.base_currency = ${n}`);
  return (await db.query(
    `SELECT to_char(t.date, 'YYYY-MM-DD') AS date, t.description, t.payee, t.base_amount_minor::text AS base_amount_minor,
            c.name AS category_name, c.color AS category_color
     FROM report_transactions t LEFT JOIN report_categories c ON c.id = t.category_id AND c.user_id = t.user_id
     WHERE ${where.sql}
     ORDER BY t.base_amount_minor DESC, t.date, t.id LIMIT $4`,
    where.params,
  )) as Array<{
    date: string;
    description: string;
    payee: string | null;
    base_amount_minor: string;
    category_name: string | null;
    category_color: string | null;
  }>;
}
