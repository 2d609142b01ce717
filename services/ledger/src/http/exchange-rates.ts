import express from 'express';
import { z } from 'zod';
import {
  ApiRouter,
  HttpProblem,
  calendarDateSchema,
  currencyCode,
  formatMinorUnits,
  isCurrency,
  listCurrencies,
  localDate,
  positiveAmount,
  userSettingsOf,
  type ServiceContext,
} from '@finance/shared';
import { formatRate } from '../domain/fx';
import { EcbFileProblem } from '../domain/fx-ecb-csv';
import { storableMinorUnits } from '../domain/money';
import { currenciesWithRates, ratesOn } from '../data/exchange-rates';
import { findBaseCurrencyChange } from '../data/fx-base-change';
import { convertAmount, importEcbFile, putManualRates } from '../use-cases/exchange-rates';
import { balancesInBaseCurrency } from '../use-cases/fx-balances';
import { fxContextOf } from '../use-cases/fx-conversions';
import { getTransaction } from '../use-cases/transactions';
import { callUseCase } from './use-case-calls';

const rateText = z
  .string()
  .regex(/^\d{1,15}(\.\d{1,15})?$/, 'Must be a decimal number like "1.0843"')
  .refine((r) => /[1-9]/.test(r), 'Must be greater than 0')
  .meta({ description: 'Units of quote per one unit of base, an exact decimal', example: '1.0843' });
/** Stored codes: any ISO 4217 code we know, current or historic (old rates stay enterable). */
const knownCode = z
  .string()
  .transform((s) => s.toUpperCase())
  .refine(isCurrency, 'Unknown ISO 4217 currency code')
  .meta({ example: 'EUR' });

const currencySchema = z.object({
  code: z.string().meta({ example: 'JPY' }),
  name: z.string().meta({ example: 'Yen' }),
  minor_unit_digits: z.number().int().meta({ example: 0 }),
  historic: z.boolean().meta({ description: 'Withdrawn: not accepted for new accounts or transactions' }),
  rates_available: z.boolean().meta({ description: 'Whether any exchange rate for it is stored' }),
});

const baseChangeSchema = z.object({
  base_currency: z.string().meta({ example: 'EUR' }),
  status: z.enum(['running', 'done']),
  total: z
    .number()
    .int()
    .meta({ description: 'Transactions recorded in another base currency when it started' }),
  done: z.number().int(),
  failed: z
    .number()
    .int()
    .meta({ description: 'Left in their old base currency: no rate on or before their date' }),
  last_problem: z.string().nullable().meta({ example: 'no JPY→CHF rate on or before 2001-01-05' }),
  started_at: z.string(),
  updated_at: z.string(),
});

const balancesSchema = z.object({
  base_currency: z.string().meta({ example: 'EUR' }),
  date: z.string().meta({ example: '2026-01-05' }),
  total: z.string().meta({ description: 'Sum of the converted balances', example: '1234.56' }),
  complete: z.boolean().meta({ description: 'False when some account had no rate (left out of the total)' }),
  accounts: z.array(
    z.object({
      account_id: z.uuid(),
      name: z.string(),
      currency: z.string(),
      balance: z.string(),
      base_balance: z.string().nullable(),
      fx_rate: z.string().nullable(),
      fx_rate_date: z.string().nullable(),
      problem: z.string().nullable().meta({ example: 'no JPY→EUR rate on or before 2026-01-05' }),
    }),
  ),
});

const storedRateSchema = z.object({
  base: z.string(),
  quote: z.string(),
  date: z.string(),
  rate: z.string(),
  source: z.string().meta({ description: 'frankfurter, ecb-file or manual' }),
});

const putRatesBody = z.object({
  rates: z
    .array(
      z
        .object({ base: knownCode, quote: knownCode, date: calendarDateSchema, rate: rateText })
        .refine((r) => r.base !== r.quote, { message: 'base and quote must differ', path: ['quote'] }),
    )
    .min(1)
    .max(1_000),
});

const convertBody = z.object({
  transaction_id: z.uuid().optional().meta({ description: 'Convert this transaction of yours' }),
  to: currencyCode
    .optional()
    .meta({ description: 'Target currency; with transaction_id, defaults to your base currency' }),
  amount: positiveAmount.optional(),
  from: currencyCode.optional(),
  date: calendarDateSchema
    .optional()
    .meta({ description: 'The day whose rate is used (latest on or before); default today' }),
});

const conversionSchema = z.object({
  transaction_id: z.uuid().nullable(),
  amount: z.string().meta({ example: '1000' }),
  currency: z.string().meta({ example: 'JPY' }),
  converted_amount: z.string().meta({ example: '6.17' }),
  to: z.string().meta({ example: 'EUR' }),
  rate: z.string().meta({
    description: 'currency→to, shown to 12 decimals (the conversion is exact)',
    example: '0.006172839506',
  }),
  rate_date: z.string().meta({
    description: "The rate's date: the latest on or before the date asked for",
    example: '2024-05-31',
  }),
});

function badRequest(field: string, message: string): HttpProblem {
  return new HttpProblem(400, 'The request body is invalid', { errors: [{ field, message }] });
}

/** GET /currencies, the rates (read, admin entry and the ECB file import) and POST /transactions/convert. */
export function exchangeRatesRouter(context: ServiceContext): ApiRouter {
  const api = new ApiRouter({ authenticate: context.authenticate });
  const fx = () => fxContextOf(context);

  api.get(
    '/currencies',
    {
      summary: 'ISO 4217 currencies',
      description:
        'From the maintained ISO 4217 list (the currency-codes package), with whether rates are stored for each.',
      tags: ['currencies'],
      responses: {
        200: { description: 'Every currency', schema: z.object({ data: z.array(currencySchema) }) },
      },
    },
    async () => {
      const withRates = await currenciesWithRates(context.dataSource.manager);
      return {
        data: listCurrencies().map((c) => ({
          code: c.code,
          name: c.name,
          minor_unit_digits: c.minorDigits,
          historic: c.historic,
          rates_available: withRates.has(c.code),
        })),
      };
    },
  );

  api.get(
    '/accounts/balances',
    {
      summary: 'Your account balances in your base currency',
      description:
        "Every open account's balance in its currency and in your base currency at the latest rate on or before `date` (default today), and the total. " +
        'An account with no rate is listed with `base_balance: null` and the problem, and `complete` is false.',
      tags: ['accounts'],
      query: z.object({ date: calendarDateSchema.optional() }),
      responses: { 200: { description: 'Balances', schema: balancesSchema } },
    },
    async ({ query, user }) => {
      const view = await balancesInBaseCurrency(context, user.id, query.date);
      return {
        base_currency: view.baseCurrency,
        date: view.date,
        total: formatMinorUnits(view.totalMinor, view.baseCurrency),
        complete: view.complete,
        accounts: view.accounts.map((a) => ({
          account_id: a.account.id,
          name: a.account.name,
          currency: a.account.currency,
          balance: formatMinorUnits(a.balanceMinor, a.account.currency),
          base_balance:
            a.baseBalanceMinor === undefined ? null : formatMinorUnits(a.baseBalanceMinor, view.baseCurrency),
          fx_rate: a.fxRate,
          fx_rate_date: a.fxRateDate,
          problem: a.problem,
        })),
      };
    },
  );

  api.get(
    '/currencies/base-change',
    {
      summary: 'Progress of your base-currency change',
      description:
        'After you change your base currency (PATCH /users/me), the ledger recomputes the base amounts of your transactions in the background, ' +
        'each at the rate of its own date, and publishes them as updates. `failed` counts those with no rate on or before their date: they keep their old base amount and currency.',
      tags: ['currencies'],
      responses: {
        200: { description: 'The change', schema: baseChangeSchema },
        404: { description: 'No base-currency change recorded' },
      },
    },
    async ({ user }) => {
      const change = await findBaseCurrencyChange(context.dataSource.manager, user.id);
      if (!change) throw new HttpProblem(404, 'No base-currency change recorded');
      return {
        base_currency: change.baseCurrency,
        status: change.status,
        total: change.total,
        done: change.done,
        failed: change.failed,
        last_problem: change.lastProblem,
        started_at: change.startedAt.toISOString(),
        updated_at: change.updatedAt.toISOString(),
      };
    },
  );

  api.get(
    '/exchange-rates',
    {
      summary: 'Stored rates of one base on a day',
      description: 'The rates of the latest stored day on or before `date` (default today, UTC).',
      tags: ['currencies'],
      query: z.object({
        base: knownCode.default('EUR'),
        date: calendarDateSchema.optional(),
      }),
      responses: { 200: { description: 'Rates', schema: z.object({ data: z.array(storedRateSchema) }) } },
    },
    async ({ query }) => ({
      data: await ratesOn(
        context.dataSource.manager,
        query.base,
        query.date ?? localDate(context.clock(), 'UTC'),
      ),
    }),
  );

  api.put(
    '/exchange-rates',
    {
      summary: 'Enter rates by hand (admin)',
      description:
        'For installations without a provider: each rate replaces the stored one of its base, quote and day.',
      tags: ['currencies'],
      role: 'admin',
      body: putRatesBody,
      responses: {
        200: { description: 'Stored', schema: z.object({ stored: z.number().int() }) },
        400: { description: 'Invalid rate' },
        403: { description: 'Not an admin' },
      },
    },
    async ({ body }) => ({ stored: await putManualRates(fx(), body.rates) }),
  );

  // The ECB's file arrives as text/csv (the historical one is about 2 MB). Also under /import/,
  // where the gateway allows upload-sized bodies (IMPORT_BODY_LIMIT; elsewhere BODY_LIMIT, 1 MB).
  for (const path of ['/exchange-rates/import', '/import/exchange-rates']) {
    api.router.post(path, express.text({ type: 'text/csv', limit: '20mb' }));
    api.post(
      path,
      {
        summary: "Import the ECB's reference rates (admin)",
        description:
          "The body is `eurofxref-hist.csv` (or `eurofxref.csv`) as published, `Content-Type: text/csv`. Rates are checked like the provider's (positive, no 100× jump against the stored rate); a refused one is counted and logged. " +
          'Through the gateway, `/import/exchange-rates` takes bodies up to IMPORT_BODY_LIMIT (20 MB), `/exchange-rates/import` up to BODY_LIMIT.',
        tags: ['currencies'],
        role: 'admin',
        // The file, or nothing (an absent body reaches the schema as {}): then the query is
        // checked first, and the missing file is a 400 of its own below.
        body: z.union([z.string().meta({ description: 'The CSV file' }), z.object({}).strict()]),
        bodyMediaTypes: ['text/csv'],
        responses: {
          200: {
            description: 'Imported',
            schema: z.object({
              days: z.number().int(),
              stored: z.number().int(),
              rejected: z.number().int(),
            }),
          },
          400: { description: 'Not the ECB format (the problem names the line)' },
          403: { description: 'Not an admin' },
        },
      },
      async ({ body }) => {
        if (typeof body !== 'string')
          throw new HttpProblem(400, "The body must be the ECB's CSV file, sent as text/csv", {
            errors: [{ field: 'body', message: 'Required: the CSV file (Content-Type: text/csv)' }],
          });
        try {
          return await importEcbFile(fx(), body);
        } catch (error) {
          if (error instanceof EcbFileProblem)
            throw new HttpProblem(400, error.message, {
              errors: [{ field: 'body', message: error.message }],
            });
          throw error;
        }
      },
    );
  }

  api.post(
    '/transactions/convert',
    {
      summary: 'Convert a transaction or an amount',
      description:
        '`{transaction_id, to?}`: that transaction in your base currency (its recorded conversion) or in `to`, at the rate of its date. ' +
        '`{amount, from, to, date?}`: a plain conversion. The latest rate on or before the date is used, and named with its date; none: 422.',
      tags: ['transactions'],
      body: convertBody,
      responses: {
        200: { description: 'The conversion', schema: conversionSchema },
        400: { description: 'Invalid input' },
        404: { description: 'No such transaction' },
        422: { description: 'No rate on or before the date' },
      },
    },
    async ({ body, user }) => {
      if (body.transaction_id) {
        for (const field of ['amount', 'from', 'date'] as const)
          if (body[field] !== undefined) throw badRequest(`body.${field}`, 'Not with transaction_id');
        const id = body.transaction_id;
        const t = await callUseCase({}, () => getTransaction(context, user.id, id));
        const to = body.to ?? (await userSettingsOf(context.dataSource.manager, user.id)).baseCurrency;
        const amount = formatMinorUnits(t.amountMinor, t.currency);
        if (to === t.baseCurrency)
          return {
            transaction_id: t.id,
            amount,
            currency: t.currency,
            converted_amount: formatMinorUnits(t.baseAmountMinor, t.baseCurrency),
            to,
            rate: t.fxRate ?? '1',
            rate_date: t.fxRateDate ?? t.date,
          };
        const { minor, quote } = await callUseCase({ to: 'body.to' }, () =>
          convertAmount(fx(), BigInt(t.amountMinor), t.currency, to, t.date),
        );
        return {
          transaction_id: t.id,
          amount,
          currency: t.currency,
          converted_amount: formatMinorUnits(minor, to),
          to,
          rate: formatRate(quote.ratio),
          rate_date: quote.date,
        };
      }
      for (const field of ['amount', 'from', 'to'] as const)
        if (body[field] === undefined) throw badRequest(`body.${field}`, 'Required (or give transaction_id)');
      const from = body.from!;
      const to = body.to!;
      const date = body.date ?? localDate(context.clock(), 'UTC');
      const { minor, quote } = await callUseCase({ amount: 'body.amount', to: 'body.to' }, () => {
        const amountMinor = storableMinorUnits(body.amount!, from, 'amount');
        return convertAmount(fx(), amountMinor, from, to, date);
      });
      return {
        transaction_id: null,
        amount: formatMinorUnits(storableMinorUnits(body.amount!, from, 'amount'), from),
        currency: from,
        converted_amount: formatMinorUnits(minor, to),
        to,
        rate: formatRate(quote.ratio),
        rate_date: quote.date,
      };
    },
  );

  return api;
}
