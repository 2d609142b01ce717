import { ApiRouter, notFound, queryInteger } from '@finance/shared';
import type { RequestHandler } from 'express';
import type { DataSource } from 'typeorm';
import { z } from 'zod';
import {
  categoryTrends,
  incomeExpenseSeries,
  runningBalance,
  spendingBreakdown,
  type PeriodAmounts,
} from '../domain/analytics';
import { addDays, localDate, nextPeriodStart, periodStart, periodsBetween } from '../domain/calendar';
import {
  categoryTotalsByPeriod,
  flowsByPeriod,
  incomeExpenseByPeriod,
  netFlowBefore,
  spendingByCategory,
  userAccounts,
} from '../data/analytics-queries';
import { userSettings } from '../data/user-settings';
import { granularityParam, rangeQuery, resolveRange } from './query-schemas';

export interface AnalyticsDeps {
  dataSource: DataSource;
  authenticate: RequestHandler;
  /** The instant "now" is; tests pin it to probe timezone edges. */
  clock: () => Date;
}

const amount = z.string().meta({ description: 'Decimal string in the base currency', example: '123.45' });
const percent = z.string().meta({ description: 'Percentage with two decimals', example: '12.50' });
const tags = ['Analytics'];

const categoryRow = z.object({
  category_id: z.uuid().nullable().meta({ description: 'null for uncategorised' }),
  name: z.string(),
  color: z.string(),
});

export function analyticsRouter(deps: AnalyticsDeps): ApiRouter {
  const { dataSource: db } = deps;
  const api = new ApiRouter({ authenticate: deps.authenticate });

  api.get(
    '/analytics/spending',
    {
      summary: 'Spending by category',
      description:
        'Expenses in the range per category (uncategorised is its own row), largest first, with each share of the total. Transfers are never spending.',
      tags,
      query: z.strictObject({
        ...rangeQuery,
        account_id: z.uuid().optional(),
        category_id: z.uuid().optional(),
      }),
      responses: {
        200: {
          description: 'Spending by category',
          schema: z.object({
            from: z.string(),
            to: z.string(),
            currency: z.string(),
            total: amount,
            count: z.number().int(),
            categories: z.array(
              categoryRow.extend({ total: amount, share: percent, count: z.number().int() }),
            ),
          }),
        },
      },
    },
    async ({ query, user }) => {
      const settings = await userSettings(db, user.id);
      const range = resolveRange(query, deps.clock(), settings.timezone);
      const rows = await spendingByCategory(db, user.id, range, {
        accountId: query.account_id,
        categoryId: query.category_id,
      });
      const breakdown = spendingBreakdown(
        rows.map((r) => ({
          categoryKey: r.category_key,
          name: r.name,
          color: r.color,
          totalMinor: BigInt(r.total_minor),
          count: r.count,
        })),
        settings.baseCurrency,
      );
      return { ...range, currency: settings.baseCurrency, ...breakdown };
    },
  );

  const incomeExpenseRow = z.object({
    period_start: z.string(),
    income: amount,
    expense: amount,
    net: amount,
    savings_rate: percent.nullable().meta({ description: 'net / income; null without income' }),
  });

  api.get(
    '/analytics/income-vs-expense',
    {
      summary: 'Income vs expense per period',
      description:
        'Every period touching the range, zero-filled; only days inside the range count. Weeks start on Monday. Transfers are excluded.',
      tags,
      query: z.strictObject({ ...rangeQuery, granularity: granularityParam.default('month') }),
      responses: {
        200: {
          description: 'Periods',
          schema: z.object({
            from: z.string(),
            to: z.string(),
            granularity: granularityParam,
            currency: z.string(),
            periods: z.array(incomeExpenseRow),
            totals: incomeExpenseRow.omit({ period_start: true }),
          }),
        },
      },
    },
    async ({ query, user }) => {
      const settings = await userSettings(db, user.id);
      const range = resolveRange(query, deps.clock(), settings.timezone);
      const rows = await incomeExpenseByPeriod(db, user.id, range, query.granularity);
      const amounts = new Map<string, PeriodAmounts>();
      for (const row of rows) {
        const a = amounts.get(row.period_start) ?? { income: 0n, expense: 0n };
        if (row.type === 'income') a.income += BigInt(row.total_minor);
        else a.expense += BigInt(row.total_minor);
        amounts.set(row.period_start, a);
      }
      const periods = periodsBetween(range.from, range.to, query.granularity);
      return {
        ...range,
        granularity: query.granularity,
        currency: settings.baseCurrency,
        ...incomeExpenseSeries(periods, amounts, settings.baseCurrency),
      };
    },
  );

  api.get(
    '/analytics/cashflow',
    {
      summary: 'Cash flow and running balance',
      description:
        "Inflow, outflow and closing balance per period. With account_id: that account, transfers in and out included. Without: all accounts together, transfers excluded (they move money between the user's own accounts). Balances start from the accounts' opening balances (those held in the base currency) plus everything dated before `from`.",
      tags,
      query: z.strictObject({
        ...rangeQuery,
        granularity: granularityParam.default('month'),
        account_id: z.uuid().optional(),
      }),
      responses: {
        200: {
          description: 'Running balance',
          schema: z.object({
            from: z.string(),
            to: z.string(),
            granularity: granularityParam,
            currency: z.string(),
            account_id: z.uuid().nullable(),
            opening_balance: amount,
            closing_balance: amount,
            periods: z.array(
              z.object({
                period_start: z.string(),
                inflow: amount,
                outflow: amount,
                net: amount,
                balance: amount,
              }),
            ),
          }),
        },
      },
    },
    async ({ query, user }) => {
      const settings = await userSettings(db, user.id);
      const range = resolveRange(query, deps.clock(), settings.timezone);
      const accounts = await userAccounts(db, user.id, query.account_id);
      if (query.account_id && accounts.length === 0) throw notFound('Account');
      // Opening balances are in each account's currency; only those already in the base currency add up exactly.
      const opening = accounts
        .filter((a) => a.currency === settings.baseCurrency)
        .reduce((sum, a) => sum + BigInt(a.opening_balance_minor), 0n);
      const before = await netFlowBefore(db, user.id, range.from, query.account_id);
      const rows = await flowsByPeriod(db, user.id, range, query.granularity, query.account_id);
      const flows = new Map<string, { inflow: bigint; outflow: bigint }>();
      for (const row of rows) {
        const f = flows.get(row.period_start) ?? { inflow: 0n, outflow: 0n };
        if (row.type === 'income' || row.type === 'transfer_in') f.inflow += BigInt(row.total_minor);
        else f.outflow += BigInt(row.total_minor);
        flows.set(row.period_start, f);
      }
      return {
        ...range,
        granularity: query.granularity,
        currency: settings.baseCurrency,
        account_id: query.account_id ?? null,
        ...runningBalance(
          periodsBetween(range.from, range.to, query.granularity),
          flows,
          opening + before,
          settings.baseCurrency,
        ),
      };
    },
  );

  api.get(
    '/analytics/trends',
    {
      summary: 'Spending trends per category',
      description:
        'The current period (so far, in your timezone) against the previous one and against the average of the `periods` periods before it.',
      tags,
      query: z.strictObject({
        period: z.enum(['week', 'month', 'year']).default('month'),
        periods: queryInteger(z.number().int().min(1).max(24).default(3)).meta({
          description: 'How many past periods the average spans',
        }),
      }),
      responses: {
        200: {
          description: 'Trends',
          schema: z.object({
            period: z.string(),
            current_period_start: z.string(),
            previous_period_start: z.string(),
            periods: z.number().int(),
            currency: z.string(),
            categories: z.array(
              categoryRow.extend({
                current: amount,
                previous: amount,
                change: amount,
                change_percent: percent.nullable(),
                average: amount,
                change_vs_average: amount,
                change_vs_average_percent: percent.nullable(),
              }),
            ),
          }),
        },
      },
    },
    async ({ query, user }) => {
      const settings = await userSettings(db, user.id);
      const today = localDate(deps.clock(), settings.timezone);
      const current = periodStart(today, query.period);
      const history: string[] = [];
      let start = current;
      for (let i = 0; i < query.periods; i++) {
        start = periodStart(addDays(start, -1), query.period);
        history.unshift(start);
      }
      const end = addDays(nextPeriodStart(current, query.period), -1);
      const rows = await categoryTotalsByPeriod(
        db,
        user.id,
        { from: history[0], to: end },
        query.period,
        'expense',
      );
      const categories = new Map<
        string,
        { categoryKey: string; name: string | null; color: string | null }
      >();
      const totals = new Map<string, Map<string, bigint>>();
      for (const row of rows) {
        categories.set(row.category_key, { categoryKey: row.category_key, name: row.name, color: row.color });
        const byPeriod = totals.get(row.category_key) ?? new Map<string, bigint>();
        byPeriod.set(row.period_start, BigInt(row.total_minor));
        totals.set(row.category_key, byPeriod);
      }
      return {
        period: query.period,
        current_period_start: current,
        previous_period_start: history[history.length - 1],
        periods: query.periods,
        currency: settings.baseCurrency,
        categories: categoryTrends([...categories.values()], totals, current, history, settings.baseCurrency),
      };
    },
  );

  return api;
}
