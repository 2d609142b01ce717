import type { EntityManager } from 'typeorm';
import { addDays, isCurrency, localDate, type Logger } from '@finance/shared';
import {
  convertWith,
  identityQuote,
  implausibleRate,
  isFinalQuote,
  noRateMessage,
  type FxQuote,
  type StoredRate,
} from '../domain/fx';
import { parseEcbRates } from '../domain/fx-ecb-csv';
import { RuleViolation } from '../domain/problems';
import {
  findQuote,
  mergeRatesChanged,
  previousRate,
  upsertRates,
  type RatesChanged,
} from '../data/exchange-rates';
import { reopenChangesHelpedBy } from '../data/fx-base-change';
import { FxProviderError, type FrankfurterClient, type ProviderDay } from '../data/fx-provider';
import { providerAnswered, recordAnsweredDays } from '../data/fx-provider-days';
import type { LedgerContext } from './context';

/** Where rates come from: the provider (none configured: stored and hand-entered rates only). */
export interface ExchangeRates {
  provider: FrankfurterClient | undefined;
  /** The base the provider quotes everything against (EUR for the ECB's rates). */
  providerBase: string;
  logger: Logger;
  /** When a window was last asked of the provider (ms), so a rate it lacks is not asked for on every write. */
  readonly attempted: Map<string, number>;
  /**
   * Past days the provider has answered for: what is stored for them is all it has. A cache of
   * `fx_provider_days`, which keeps them across restarts and replicas.
   */
  readonly answered: Set<string>;
}

export type FxContext = Pick<LedgerContext, 'dataSource' | 'clock'> & { exchangeRates: ExchangeRates };

/** How far back a missing rate is fetched: covers weekends and the longest run of ECB holidays. */
const FETCH_WINDOW_DAYS = 10;
const RETRY_PROVIDER_AFTER_MS = 10 * 60_000;

export interface StoreOutcome {
  stored: number;
  rejected: number;
}

/**
 * Stores what the provider published, rate by rate: one that is not positive, or more than 100×
 * away from the rate stored before it for the pair, is logged and left out (never stored).
 */
export async function storeProviderDays(
  context: FxContext,
  days: ProviderDay[],
  source: string,
): Promise<StoreOutcome> {
  const { logger } = context.exchangeRates;
  return context.dataSource.transaction(async (manager) => {
    const accepted: StoredRate[] = [];
    const lastAccepted = new Map<string, string>();
    let rejected = 0;
    for (const day of [...days].sort((a, b) => a.date.localeCompare(b.date))) {
      for (const [quote, rate] of Object.entries(day.rates)) {
        if (quote === day.base || !isCurrency(quote)) continue;
        const pair = `${day.base}>${quote}`;
        const before = lastAccepted.get(pair) ?? (await previousRate(manager, day.base, quote, day.date));
        const problem = implausibleRate(rate, before);
        if (problem) {
          rejected++;
          logger.warn(
            { base: day.base, quote, date: day.date, rate, source },
            `exchange rate rejected: ${problem}`,
          );
          continue;
        }
        lastAccepted.set(pair, rate);
        accepted.push({ base: day.base, quote, date: day.date, rate, source });
      }
    }
    let changed: RatesChanged | undefined;
    for (let i = 0; i < accepted.length; i += UPSERT_CHUNK)
      changed = mergeRatesChanged(
        changed,
        await upsertRates(manager, accepted.slice(i, i + UPSERT_CHUNK), context.clock()),
      );
    if (changed) await reopenChangesHelpedBy(manager, changed, context.clock());
    return { stored: accepted.length, rejected };
  });
}

const UPSERT_CHUNK = 5_000;

/** Asks the provider for the days up to `date` and stores them; false when it could not (logged). */
export async function fetchRatesUpTo(context: FxContext, date: string): Promise<boolean> {
  const { provider, providerBase, logger, attempted } = context.exchangeRates;
  if (!provider) return false;
  const today = localDate(context.clock(), 'UTC');
  const { start, end, key } = fetchWindow(date, today);
  const now = context.clock().getTime();
  if (askedLately(context, key)) return false;
  attempted.set(key, now);
  try {
    const days = await provider.range(start, end, providerBase);
    const outcome = await storeProviderDays(context, days, 'frankfurter');
    const answeredDays: string[] = [];
    for (let day = start; day <= end && day < today; day = addDays(day, 1)) answeredDays.push(day);
    await recordAnsweredDays(context.dataSource.manager, providerBase, answeredDays, context.clock());
    for (const day of answeredDays) context.exchangeRates.answered.add(day);
    logger.info({ start, end, ...outcome }, 'exchange rates fetched');
    return outcome.stored > 0;
  } catch (error) {
    if (!(error instanceof FxProviderError)) throw error;
    logger.warn({ start, end, kind: error.kind }, `exchange rates not fetched: ${error.message}`);
    return false;
  }
}

function fetchWindow(date: string, today: string) {
  const end = date > today ? today : date;
  const start = addDays(end, -FETCH_WINDOW_DAYS);
  return { start, end, key: `${start}..${end}` };
}

function askedLately(context: FxContext, key: string): boolean {
  const last = context.exchangeRates.attempted.get(key);
  return last !== undefined && context.clock().getTime() - last < RETRY_PROVIDER_AFTER_MS;
}

async function answeredBefore(context: FxContext, manager: EntityManager, date: string): Promise<boolean> {
  const { answered, providerBase } = context.exchangeRates;
  if (!(await providerAnswered(manager, providerBase, date))) return false;
  answered.add(date);
  return true;
}

/** Whether the provider may be asked for the days up to `date` now. */
function mayAskProvider(context: FxContext, date: string): boolean {
  if (!context.exchangeRates.provider) return false;
  return !askedLately(context, fetchWindow(date, localDate(context.clock(), 'UTC')).key);
}

/** The daily round: the provider's latest day, stored. */
export async function fetchLatestRates(context: FxContext): Promise<StoreOutcome | undefined> {
  const { provider, providerBase } = context.exchangeRates;
  if (!provider) return undefined;
  const day = await provider.latest(providerBase);
  return storeProviderDays(context, [day], 'frankfurter');
}

/** A pair a write needs converted, and the day. */
export interface RateNeed {
  from: string;
  to: string;
  date: string;
}

/** Thrown inside a write whose rate is not stored (or stale) while the provider may have it: undo, fetch, write again. */
export class RatesToFetch extends Error {
  constructor(readonly needs: RateNeed[]) {
    super('exchange rates to fetch');
  }
}

/**
 * The stored quotes for what a write needs, keyed `FROM>TO`. A missing one, or one of an earlier
 * working day than the date (the provider may have published since), when the
 * provider has not been asked for that window lately, is a {@link RatesToFetch}: the write is
 * undone, the rates fetched outside any database transaction, and the write run again
 * ({@link withRates}). Whatever is stored then is used, or a 422 names the missing rate.
 */
export async function quotesFor(
  context: FxContext,
  manager: EntityManager,
  needs: RateNeed[],
  mayFetch: boolean,
): Promise<Map<string, FxQuote>> {
  const quotes = new Map<string, FxQuote>();
  const toFetch: RateNeed[] = [];
  for (const need of needs) {
    const quote = await findQuote(manager, need.from, need.to, need.date);
    if (quote) quotes.set(`${need.from}>${need.to}`, quote);
    const final =
      quote && (isFinalQuote(quote.date, need.date) || context.exchangeRates.answered.has(need.date));
    if (mayFetch && !final && mayAskProvider(context, need.date)) {
      // Answered before this process started (or by another replica): stored for good.
      if (quote && (await answeredBefore(context, manager, need.date))) continue;
      toFetch.push(need);
    }
  }
  if (toFetch.length) throw new RatesToFetch(toFetch);
  return quotes;
}

/** Runs a write that converts money; see {@link quotesFor}. `write(mayFetch)`. */
export async function withRates<T>(context: FxContext, write: (mayFetch: boolean) => Promise<T>): Promise<T> {
  try {
    return await write(true);
  } catch (error) {
    if (!(error instanceof RatesToFetch)) throw error;
    for (const need of error.needs) await fetchRatesUpTo(context, need.date);
  }
  return write(false);
}

/** Rates an admin enters by hand (offline installations): positive, stored as given, source `manual`. */
export async function putManualRates(
  context: FxContext,
  rates: Array<{ base: string; quote: string; date: string; rate: string }>,
): Promise<number> {
  return context.dataSource.transaction(async (manager) => {
    const changed = await upsertRates(
      manager,
      rates.map((r) => ({ ...r, source: 'manual' })),
      context.clock(),
    );
    if (changed) await reopenChangesHelpedBy(manager, changed, context.clock());
    return rates.length;
  });
}

/** The ECB's reference-rate file, checked like the provider's answers. */
export async function importEcbFile(
  context: FxContext,
  text: string,
): Promise<StoreOutcome & { days: number }> {
  const days = parseEcbRates(text);
  const outcome = await storeProviderDays(context, days, 'ecb-file');
  context.exchangeRates.logger.info({ days: days.length, ...outcome }, 'ECB reference rates imported');
  return { ...outcome, days: days.length };
}

/**
 * `minor` units of `from` in `to` at the latest rate on or before `date` (fetched first when
 * missing and the provider may have it); a 422 naming the pair and the date when none exists.
 */
export async function convertAmount(
  context: FxContext,
  minor: bigint,
  from: string,
  to: string,
  date: string,
): Promise<{ minor: bigint; quote: FxQuote }> {
  const quotes = await withRates(context, (mayFetch) =>
    quotesFor(context, context.dataSource.manager, [{ from, to, date }], mayFetch),
  );
  const quote = from === to ? identityQuote(from, date) : quotes.get(`${from}>${to}`);
  if (!quote)
    throw new RuleViolation('unprocessable', `Cannot convert: ${noRateMessage(from, to, date)}`, [
      { field: 'to', message: noRateMessage(from, to, date) },
    ]);
  return { minor: convertWith(quote, minor), quote };
}
