import pino from 'pino';
import type { DataSource } from 'typeorm';
import type { AccountFacts, TransactionDraft } from '../domain/transactions';
import type { ExchangeRates, FxContext, RateNeed } from './exchange-rates';
import type { LedgerContext } from './context';

/**
 * The service's rate source per database, registered once at setup: every write path (HTTP,
 * recurring generation, import) converts through the same one without each being handed it.
 */
const registered = new WeakMap<DataSource, ExchangeRates>();

export function registerExchangeRates(dataSource: DataSource, rates: ExchangeRates): void {
  registered.set(dataSource, rates);
}

/** Without a registered source (a unit test, a tool): stored rates only. */
const STORED_ONLY: ExchangeRates = {
  provider: undefined,
  providerBase: 'EUR',
  logger: pino({ enabled: false }),
  attempted: new Map(),
  answered: new Set(),
};

export function fxContextOf(context: Pick<LedgerContext, 'dataSource' | 'clock'>): FxContext {
  return {
    dataSource: context.dataSource,
    clock: context.clock,
    exchangeRates: registered.get(context.dataSource) ?? STORED_ONLY,
  };
}

/** The conversions a draft may need: its currency to the base currency, and to the receiving account's. */
export function conversionsNeeded(
  draft: TransactionDraft,
  account: AccountFacts | undefined,
  toAccount: AccountFacts | undefined,
  baseCurrency: string,
  today: string,
): RateNeed[] {
  if (!account) return [];
  const currency = draft.currency ?? account.currency;
  if (currency !== account.currency) return []; // refused by the rules before any conversion
  const date = draft.date ?? today;
  const needs: RateNeed[] = [];
  if (currency !== baseCurrency) needs.push({ from: currency, to: baseCurrency, date });
  if (toAccount && toAccount.currency !== currency)
    needs.push({ from: currency, to: toAccount.currency, date });
  return needs;
}
