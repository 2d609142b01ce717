import { scheduleJob, type ScheduledJob, type ServiceContext } from '@finance/shared';
import type { LedgerConfig } from '../config';
import { FrankfurterClient } from '../data/fx-provider';
import { fetchLatestRates, type ExchangeRates } from '../use-cases/exchange-rates';
import { recomputeBaseAmounts } from '../use-cases/fx-base-change';
import { registerExchangeRates } from '../use-cases/fx-conversions';

/**
 * The service's rate source (the provider when FX_PROVIDER_URL is set) and the daily job that
 * stores the provider's latest rates (one replica at a time, the shared scheduleJob). Without a
 * provider it says so in one line at start: same-currency use works, conversions need stored rates.
 * And the job that recomputes base amounts after a user changed their base currency.
 */
export function startExchangeRates(
  context: Pick<ServiceContext<LedgerConfig>, 'config' | 'logger' | 'dataSource' | 'clock'>,
): {
  exchangeRates: ExchangeRates;
  job: ScheduledJob;
  baseChangeJob: ScheduledJob;
} {
  const { config } = context;
  const logger = context.logger.child({ part: 'exchange-rates' });
  const exchangeRates: ExchangeRates = {
    provider: config.FX_PROVIDER_URL
      ? new FrankfurterClient({
          baseUrl: config.FX_PROVIDER_URL,
          timeoutMs: config.FX_PROVIDER_TIMEOUT_MS,
          retries: config.FX_PROVIDER_RETRIES,
          backoffMs: config.FX_PROVIDER_BACKOFF_MS,
        })
      : undefined,
    providerBase: config.FX_PROVIDER_BASE,
    logger,
    attempted: new Map(),
    answered: new Set(),
  };
  registerExchangeRates(context.dataSource, exchangeRates);
  const job = scheduleJob(context, {
    name: 'exchange-rates-latest',
    schedule: exchangeRates.provider ? config.FX_RATES_SCHEDULE : 'off',
    run: () => fetchLatestRates({ dataSource: context.dataSource, clock: context.clock, exchangeRates }),
  });
  // Every minute: base-currency changes still running (their progress is in the database, so a
  // restart resumes where the last batch ended).
  const baseChangeJob = scheduleJob(context, {
    name: 'base-currency-recompute',
    schedule: config.FX_BASE_CHANGE_SCHEDULE,
    run: async () => {
      const batches = await recomputeBaseAmounts({
        dataSource: context.dataSource,
        clock: context.clock,
        exchangeRates,
      });
      return batches ? { batches } : undefined;
    },
  });
  if (exchangeRates.provider && config.FX_FETCH_ON_START)
    void fetchLatestRates({ dataSource: context.dataSource, clock: context.clock, exchangeRates }).then(
      (outcome) => logger.info({ ...outcome }, 'exchange rates: the provider answered; latest rates stored'),
      (error: unknown) =>
        logger.warn(
          `exchange rates unavailable from ${config.FX_PROVIDER_URL}: ${(error as Error).message}; stored rates are used until it answers`,
        ),
    );
  if (!exchangeRates.provider)
    logger.warn(
      'exchange rates unavailable: no FX_PROVIDER_URL, so only stored and admin-entered rates convert (same-currency use works)',
    );
  return { exchangeRates, job, baseChangeJob };
}
