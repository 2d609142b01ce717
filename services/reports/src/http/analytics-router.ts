import { ApiRouter, localDate, periodsBetween, queryInteger, type ServiceContext } from '@finance/shared';
import { z } from 'zod';
import type { ReportsConfig } from '../config';
import {
  categoryTrends,
  incomeExpenseSeries,
  otherCurrencies,
  runningBalance,
  spendingBreakdown,
  type PeriodAmounts,
} from '../domain/analytics';
import { completeRange, trendWindow } from '../domain/calendar';
import {
  categoryTotalsByPeriod,
  countsByBaseCurrency,
  flowsByPeriod,
  incomeExpenseByPeriod,
  netFlowBefore,
  spendingByCategory,
  userAccounts,
} from '../data/analytics-queries';
import { callerSettings } from './caller-settings';
import { requireOwnIds } from './id-filters';
import {
  accountIdParam,
  categoryIdParam,
  categoryKeyOf,
  checkRequestedRange,
  granularityParam,
  rangeQuery,
} from './query-schemas';

const amount = z.string().meta({ description: 'Decimal string in the base currency', example: '123.45' });
const percent = z.string().meta({ description: 'Percentage with two decimals', example: '12.50' });
const tags = ['analytics'];

const categoryRow = z.object({
  category_id: z.uuid().nullable().meta({ description: 'null for uncategorised' }),
  name: z.string(),
  color: z.string(),
});

/** Every figure is in `currency`; what is held in another base currency is only counted. */
const otherCurrenciesField = z.array(z.object({ currency: z.string(), count: z.number().int() })).meta({
  description:
    'Transactions the figures leave out because their base amount is in another currency than your current base currency (booked before you changed it): counted per currency, never converted or added in',
});

export function analyticsRouter(context: ServiceContext<ReportsConfig>): ApiRouter {
  const { dataSource: db, clock, readYourWrites } = context;
  const api = new ApiRouter({ authenticate: context.authenticate });

  api.get(
    '/analytics/spending',
    {
      summary: 'Spending by category',
      description:
        'Expenses in the range per category (uncategorised is its own row), largest first, with each share of the total. Transfers are never spending. Figures are in your current base currency; expenses in another one (from before a base-currency change) are counted in other_currencies.',
      tags,
      query: z.strictObject({
        ...rangeQuery,
        account_id: accountIdParam.optional(),
        category_id: categoryIdParam.optional(),
      }),
      responses: {
        200: {
          description: 'Spending by category',
          schema: z.object({
            from: z.string(),
            to: z.string(),
            currency: z.string(),
            other_currencies: otherCurrenciesField,
            total: amount,
            count: z.number().int(),
            categories: z.array(
              categoryRow.extend({ total: amount, share: percent, count: z.number().int() }),
            ),
          }),
        },
        404: { description: 'account_id / category_id is not one of yours' },
      },
    },
    async ({ query, user }) => {
      const requested = checkRequestedRange(query);
      await requireOwnIds(readYourWrites, db.manager, user.id, query);
      const settings = await callerSettings(context, user.id);
      const range = completeRange(requested, localDate(clock(), settings.timezone));
      const currency = settings.baseCurrency;
      const categoryKey = query.category_id === undefined ? undefined : categoryKeyOf(query.category_id);
      const [rows, counts] = await Promise.all([
        spendingByCategory(db, user.id, range, {
          accountId: query.account_id,
          categoryId: categoryKey,
          currency,
        }),
        countsByBaseCurrency(db, user.id, {
          ...range,
          types: ['expense'],
          accountId: query.account_id,
          categoryKey,
        }),
      ]);
      const breakdown = spendingBreakdown(
        rows.map((r) => ({
          categoryKey: r.category_key,
          name: r.name,
          color: r.color,
          totalMinor: BigInt(r.total_minor),
          count: r.count,
        })),
        currency,
      );
      return { ...range, currency, other_currencies: otherCurrencies(counts, currency), ...breakdown };
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
        'Every period touching the range (at most 1000: more is a 400 naming granularity, from and to), zero-filled; only days inside the range count. Weeks start on Monday. Transfers are excluded. Figures are in your current base currency; money in another one is counted in other_currencies.',
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
            other_currencies: otherCurrenciesField,
            periods: z.array(incomeExpenseRow),
            totals: incomeExpenseRow.omit({ period_start: true }),
          }),
        },
      },
    },
    async ({ query, user }) => {
      const requested = checkRequestedRange(query, query.granularity);
      const settings = await callerSettings(context, user.id);
      const range = completeRange(requested, localDate(clock(), settings.timezone));
      const currency = settings.baseCurrency;
      const [rows, counts] = await Promise.all([
        incomeExpenseByPeriod(db, user.id, range, query.granularity, currency),
        countsByBaseCurrency(db, user.id, { ...range, types: ['income', 'expense'] }),
      ]);
      const amounts = new Map<string, PeriodAmounts>();
      for (const row of rows) {
        const a = amounts.get(row.period_start) ?? { income: 0n, expense: 0n };
        if (row.type === 'income') a.income += BigInt(row.total_minor);
        else a.expense += BigInt(row.total_minor);
        amounts.set(row.period_start, a);
      }
      return {
        ...range,
        granularity: query.granularity,
        currency,
        other_currencies: otherCurrencies(counts, currency),
        ...incomeExpenseSeries(periodsBetween(range.from, range.to, query.granularity), amounts, currency),
      };
    },
  );

  api.get(
    '/analytics/cashflow',
    {
      summary: 'Cash flow and running balance',
      description:
        "Inflow, outflow and closing balance per period (at most 1000 periods). With account_id: that account, transfers in and out included. Without: all accounts together, transfers excluded (they move money between the user's own accounts). Balances start from the accounts' opening balances (those held in the base currency) plus everything dated before `from`. Figures are in your current base currency; money in another one is counted in other_currencies.",
      tags,
      query: z.strictObject({
        ...rangeQuery,
        granularity: granularityParam.default('month'),
        account_id: accountIdParam.optional(),
      }),
      responses: {
        200: {
          description: 'Running balance',
          schema: z.object({
            from: z.string(),
            to: z.string(),
            granularity: granularityParam,
            currency: z.string(),
            other_currencies: otherCurrenciesField.meta({
              description:
                'Transactions up to `to` (everything the balances are built from) left out because their base amount is in another currency than your current base currency',
            }),
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
        404: { description: 'account_id is not one of yours' },
      },
    },
    async ({ query, user }) => {
      const requested = checkRequestedRange(query, query.granularity);
      await requireOwnIds(readYourWrites, db.manager, user.id, query);
      const settings = await callerSettings(context, user.id);
      const range = completeRange(requested, localDate(clock(), settings.timezone));
      const currency = settings.baseCurrency;
      const scope = { accountId: query.account_id, currency };
      const [accounts, before, rows, counts] = await Promise.all([
        userAccounts(db, user.id, query.account_id),
        netFlowBefore(db, user.id, range.from, scope),
        flowsByPeriod(db, user.id, range, query.granularity, scope),
        countsByBaseCurrency(db, user.id, {
          to: range.to,
          types: query.account_id
            ? ['income', 'expense', 'transfer_in', 'transfer_out']
            : ['income', 'expense'],
          accountId: query.account_id,
        }),
      ]);
      // Opening balances are in each account's currency; only those already in the base currency add up exactly.
      const opening = accounts
        .filter((a) => a.currency === currency)
        .reduce((sum, a) => sum + BigInt(a.opening_balance_minor), 0n);
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
        currency,
        other_currencies: otherCurrencies(counts, currency),
        account_id: query.account_id ?? null,
        ...runningBalance(
          periodsBetween(range.from, range.to, query.granularity),
          flows,
          opening + before,
          currency,
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
            other_currencies: otherCurrenciesField,
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
      const settings = await callerSettings(context, user.id);
      const currency = settings.baseCurrency;
      const { current, history, range } = trendWindow(
        localDate(clock(), settings.timezone),
        query.period,
        query.periods,
      );
      const [rows, counts] = await Promise.all([
        categoryTotalsByPeriod(db, user.id, range, query.period, { type: 'expense', currency }),
        countsByBaseCurrency(db, user.id, { ...range, types: ['expense'] }),
      ]);
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
        currency,
        other_currencies: otherCurrencies(counts, currency),
        categories: categoryTrends([...categories.values()], totals, current, history, currency),
      };
    },
  );

  return api;
}
