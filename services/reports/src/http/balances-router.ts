import { ApiRouter, formatMinorUnits, localDate, notFound, type ServiceContext } from '@finance/shared';
import { z } from 'zod';
import type { ReportsConfig } from '../config';
import { otherCurrencies } from '../domain/analytics';
import {
  LIABILITY_ACCOUNT_TYPES,
  balancePoints,
  balanceSeries,
  bucketThresholds,
  carryForward,
  isLiability,
  netWorthSeries,
} from '../domain/balances';
import { completeRange } from '../domain/calendar';
import {
  accountLegsInOtherCurrencies,
  accountRunningSums,
  balanceAccounts,
  netWorthRunningSums,
  transactionCountsByBaseCurrency,
} from '../data/balance-changes';
import { ownsAccount } from '../data/ownership';
import { callerSettings } from './caller-settings';
import { checkRequestedRange, granularityParam, rangeQuery } from './query-schemas';

const amount = (description: string, example: string) => z.string().meta({ description, example });
const currencyCounts = (description: string) =>
  z
    .array(z.object({ currency: z.string(), count: z.number().int() }))
    .meta({ description, example: [{ currency: 'EUR', count: 2 }] });

const netWorthQuery = z.strictObject({ ...rangeQuery, granularity: granularityParam.default('month') });

/** Net worth over time and one account's balance history, from the per-account day changes. */
export function balancesRouter(context: ServiceContext<ReportsConfig>): ApiRouter {
  const { dataSource: db, clock, readYourWrites } = context;
  const api = new ApiRouter({ authenticate: context.authenticate });

  api.get(
    '/analytics/net-worth',
    {
      summary: 'Net worth over time',
      description:
        "The sum of all your accounts' balances at the end of every period touching the range (the last one at `to`; at most 1000 periods: more is a 400 naming granularity, from and to), zero-filled, in your current base currency. Assets are the balances of every account but credit cards and loans; liabilities what credit cards and loans owe (a card at -1200.00 owes 1200.00; an overpaid one owes a negative amount); net_worth = assets - liabilities. Each transaction counts at the base amount it was booked at (the rate of its date); an opening balance counts when its account is held in the base currency, otherwise it is left out and listed in unconverted_accounts. Transfers between your accounts never change net worth. Archived accounts count (their past is real); deleted ones never held money.",
      tags: ['analytics'],
      query: netWorthQuery,
      responses: {
        200: {
          description: 'Net worth at the end of each period',
          schema: z.object({
            from: z.string().meta({ example: '2026-01-01' }),
            to: z.string().meta({ example: '2026-03-31' }),
            granularity: granularityParam,
            currency: z.string().meta({ example: 'USD' }),
            complete: z.boolean().meta({
              description:
                'false when something is left out: other_currencies or unconverted_accounts is not empty',
            }),
            other_currencies: currencyCounts(
              'Transactions up to `to` left out because their base amount is in another currency than your current base currency (booked before you changed it), per currency: never converted or added in',
            ),
            unconverted_accounts: z
              .array(
                z.object({
                  account_id: z.uuid(),
                  name: z.string(),
                  currency: z.string(),
                  opening_balance: amount('In the account currency', '5000.00'),
                }),
              )
              .meta({
                description:
                  "Accounts held in another currency whose non-zero opening balance is left out: reports holds no exchange rates, and an opening balance has no booked base amount (the ledger's GET /accounts/balances converts today's balances at today's rate)",
              }),
            periods: z.array(
              z.object({
                period_start: z.string().meta({ example: '2026-01-01' }),
                period_end: z
                  .string()
                  .meta({ description: 'The day the balances are taken at', example: '2026-01-31' }),
                assets: amount('Balances of asset accounts', '5250.00'),
                liabilities: amount('What credit cards and loans owe', '1200.00'),
                net_worth: amount('assets - liabilities', '4050.00'),
              }),
            ),
          }),
        },
      },
    },
    async ({ query, user }) => {
      const requested = checkRequestedRange(query, query.granularity);
      const settings = await callerSettings(context, user.id);
      const range = completeRange(requested, localDate(clock(), settings.timezone));
      const currency = settings.baseCurrency;
      const points = balancePoints(range, query.granularity);
      const [accounts, sums, counts] = await Promise.all([
        balanceAccounts(db, user.id),
        netWorthRunningSums(db, user.id, {
          currency,
          thresholds: bucketThresholds(range, points),
          to: range.to,
          liabilityTypes: LIABILITY_ACCOUNT_TYPES,
        }),
        transactionCountsByBaseCurrency(db, user.id, range.to),
      ]);
      const opening = { assets: 0n, liabilities: 0n };
      const unconverted: Array<{
        account_id: string;
        name: string;
        currency: string;
        opening_balance: string;
      }> = [];
      for (const account of accounts) {
        const minor = BigInt(account.opening_balance_minor);
        if (account.currency !== currency) {
          if (minor !== 0n)
            unconverted.push({
              account_id: account.id,
              name: account.name,
              currency: account.currency,
              opening_balance: formatMinorUnits(minor, account.currency),
            });
        } else if (isLiability(account.type)) opening.liabilities += minor;
        else opening.assets += minor;
      }
      const side = (liability: boolean) =>
        carryForward(
          new Map(
            sums.filter((s) => s.liability === liability).map((s) => [s.bucket, BigInt(s.running_minor)]),
          ),
          points.length,
        );
      const other = otherCurrencies(counts, currency);
      return {
        ...range,
        granularity: query.granularity,
        currency,
        complete: other.length === 0 && unconverted.length === 0,
        other_currencies: other,
        unconverted_accounts: unconverted,
        periods: netWorthSeries(points, opening, { assets: side(false), liabilities: side(true) }, currency),
      };
    },
  );

  api.get(
    '/accounts/:id/balance-history',
    {
      summary: "An account's balance over time",
      description:
        "The account's balance in its own currency at the end of every period touching the range (the last one at `to`; at most 1000 periods), zero-filled: its opening balance plus every change dated up to then (income adds, expenses and transfers out take away, transfers in add what arrived), and each period's change. Archived accounts are answered; another user's, a deleted or an unknown account is a 404. Served by reports from its read model (the gateway routes this one path under /accounts to it).",
      tags: ['analytics'],
      params: z.object({ id: z.uuid().meta({ description: 'One of your accounts' }) }),
      query: netWorthQuery,
      responses: {
        200: {
          description: 'Balance at the end of each period',
          schema: z.object({
            account_id: z.uuid(),
            name: z.string(),
            type: z.string().meta({ example: 'credit_card' }),
            currency: z.string().meta({ description: "The account's currency", example: 'EUR' }),
            from: z.string().meta({ example: '2026-01-01' }),
            to: z.string().meta({ example: '2026-03-31' }),
            granularity: granularityParam,
            opening_balance: amount("The account's opening balance", '100.00'),
            other_currencies: currencyCounts(
              "Transactions up to `to` left out because they are not in the account's currency (a transfer between currencies stored before reports kept what arrived)",
            ),
            periods: z.array(
              z.object({
                period_start: z.string().meta({ example: '2026-01-01' }),
                period_end: z.string().meta({ example: '2026-01-31' }),
                change: amount(
                  'Balance change since the previous period (the first: since the day before from)',
                  '-45.10',
                ),
                balance: amount('Balance at period_end', '54.90'),
              }),
            ),
          }),
        },
        404: { description: 'No such account of yours' },
      },
    },
    async ({ params, query, user }) => {
      const requested = checkRequestedRange(query, query.granularity);
      const owned = await readYourWrites.find(params.id, () => ownsAccount(db.manager, user.id, params.id));
      if (owned !== true) throw notFound('Account');
      const [account] = await balanceAccounts(db, user.id, params.id);
      if (!account) throw notFound('Account');
      const settings = await callerSettings(context, user.id);
      const range = completeRange(requested, localDate(clock(), settings.timezone));
      const points = balancePoints(range, query.granularity);
      const scope = { currency: account.currency, to: range.to };
      const [sums, legs] = await Promise.all([
        accountRunningSums(db, user.id, account.id, {
          ...scope,
          thresholds: bucketThresholds(range, points),
        }),
        accountLegsInOtherCurrencies(db, user.id, account.id, scope),
      ]);
      const running = carryForward(
        new Map(sums.map((s) => [s.bucket, BigInt(s.running_minor)])),
        points.length,
      );
      const opening = BigInt(account.opening_balance_minor);
      return {
        account_id: account.id,
        name: account.name,
        type: account.type,
        currency: account.currency,
        ...range,
        granularity: query.granularity,
        opening_balance: formatMinorUnits(opening, account.currency),
        other_currencies: otherCurrencies(legs, account.currency),
        periods: balanceSeries(points, opening, running, account.currency),
      };
    },
  );

  return api;
}
