import type { EntityManager } from 'typeorm';
import { crossQuote, identityQuote, quoteFromRow, type FxQuote, type StoredRate } from '../domain/fx';

/**
 * The rate `from`→`to` of the latest day on or before `date`: a stored pair in either direction,
 * or a cross rate through any base both currencies are quoted against on one day (the provider's
 * base, EUR for the ECB). The latest day wins; on a tie the direct pair.
 */
export async function findQuote(
  manager: EntityManager,
  from: string,
  to: string,
  date: string,
): Promise<FxQuote | undefined> {
  if (from === to) return identityQuote(from, date);
  const [direct]: StoredRate[] = await manager.query(
    `SELECT base, quote, date::text AS date, rate::text AS rate, source FROM exchange_rates
      WHERE ((base = $1 AND quote = $2) OR (base = $2 AND quote = $1)) AND date <= $3
      ORDER BY date DESC LIMIT 1`,
    [from, to, date],
  );
  const [cross]: Array<{ date: string; from_rate: string; to_rate: string }> = await manager.query(
    `SELECT a.date::text AS date, a.rate::text AS from_rate, b.rate::text AS to_rate
       FROM exchange_rates a JOIN exchange_rates b ON b.base = a.base AND b.date = a.date
      WHERE a.quote = $1 AND b.quote = $2 AND a.date <= $3
      ORDER BY a.date DESC LIMIT 1`,
    [from, to, date],
  );
  if (direct && (!cross || direct.date >= cross.date)) return quoteFromRow(from, to, direct);
  if (cross) return crossQuote(from, to, cross.from_rate, cross.to_rate, cross.date);
  return undefined;
}

/** The rate stored for a pair on the latest day on or before `date` (what a new rate is checked against). */
export async function previousRate(
  manager: EntityManager,
  base: string,
  quote: string,
  date: string,
): Promise<string | undefined> {
  const [row]: Array<{ rate: string }> = await manager.query(
    `SELECT rate::text AS rate FROM exchange_rates WHERE base = $1 AND quote = $2 AND date <= $3
      ORDER BY date DESC LIMIT 1`,
    [base, quote, date],
  );
  return row?.rate;
}

/** What a store of rates changed: the currencies of rates that are new or differ, and their earliest day. */
export interface RatesChanged {
  currencies: string[];
  from: string;
}

/**
 * Inserts or replaces rates (one statement, set-based). A rate already stored as given (same
 * rate, same source) is left as it is, so the answer names only what changed: undefined when
 * nothing did.
 */
export async function upsertRates(
  manager: EntityManager,
  rates: StoredRate[],
  now: Date,
): Promise<RatesChanged | undefined> {
  if (rates.length === 0) return undefined;
  const [changed]: Array<{ currencies: string[] | null; from: string | null }> = await manager.query(
    `WITH written AS (
       INSERT INTO exchange_rates (base, quote, date, rate, source, updated_at)
       SELECT r.base, r.quote, r.date, r.rate, r.source, $6::timestamptz
         FROM unnest($1::char(3)[], $2::char(3)[], $3::date[], $4::numeric[], $5::text[]) AS r (base, quote, date, rate, source)
       ON CONFLICT (base, quote, date) DO UPDATE
         SET rate = EXCLUDED.rate, source = EXCLUDED.source, updated_at = EXCLUDED.updated_at
         WHERE exchange_rates.rate <> EXCLUDED.rate OR exchange_rates.source <> EXCLUDED.source
       RETURNING base, quote, date)
     SELECT array_agg(DISTINCT c) AS currencies, to_char(min(date), 'YYYY-MM-DD') AS from
       FROM written, LATERAL unnest(ARRAY[base::text, quote::text]) AS c`,
    [
      rates.map((r) => r.base),
      rates.map((r) => r.quote),
      rates.map((r) => r.date),
      rates.map((r) => r.rate),
      rates.map((r) => r.source),
      now,
    ],
  );
  return changed?.currencies && changed.from
    ? { currencies: changed.currencies, from: changed.from }
    : undefined;
}

/** Both changes in one: the currencies of either, from the earlier day. */
export function mergeRatesChanged(
  a: RatesChanged | undefined,
  b: RatesChanged | undefined,
): RatesChanged | undefined {
  if (!a || !b) return a ?? b;
  return {
    currencies: [...new Set([...a.currencies, ...b.currencies])],
    from: a.from < b.from ? a.from : b.from,
  };
}

/** Every currency some stored rate names (as base or quote). */
export async function currenciesWithRates(manager: EntityManager): Promise<Set<string>> {
  const rows: Array<{ code: string }> = await manager.query(
    `SELECT DISTINCT base AS code FROM exchange_rates UNION SELECT DISTINCT quote FROM exchange_rates`,
  );
  return new Set(rows.map((r) => r.code));
}

/** Rates stored for one day and base (for GET /exchange-rates). */
export async function ratesOn(manager: EntityManager, base: string, date: string): Promise<StoredRate[]> {
  return manager.query(
    `SELECT base, quote, date::text AS date, rate::text AS rate, source FROM exchange_rates
      WHERE base = $1 AND date = (SELECT max(date) FROM exchange_rates WHERE base = $1 AND date <= $2)
      ORDER BY quote`,
    [base, date],
  );
}
