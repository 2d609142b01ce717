import { defineService } from '@finance/shared';
import { ledgerConfigSchema } from './config';
import { ledgerEntities } from './data/entities';
import { ledgerMigrations } from './data/migrations';
import { ledgerUserEvents } from './events/user-events';
import { accountsRouter } from './http/accounts';
import { categoriesRouter } from './http/categories';
import { exchangeRatesRouter } from './http/exchange-rates';
import { transactionsRouter } from './http/transactions';
import { startExchangeRates } from './jobs/exchange-rates';
import { scheduleIdempotencyKeyPurge } from './jobs/purge-idempotency-keys';

/** The ledger: accounts, categories and transactions, the source of truth for money. */
export default defineService({
  name: 'ledger',
  configSchema: ledgerConfigSchema,
  migrations: ledgerMigrations,
  entities: ledgerEntities,
  openapi: {
    title: 'Finance Tracker — ledger',
    description:
      'Accounts, categories and transactions: the source of truth for money. Amounts are exact decimal strings.',
  },
  userEvents: ledgerUserEvents,
  setup: (context) => {
    const fx = startExchangeRates(context);
    return {
      exchangeRates: fx.exchangeRates,
      closers: [scheduleIdempotencyKeyPurge(context), fx.job, fx.baseChangeJob],
    };
  },
  routes: (context) => [
    exchangeRatesRouter(context), // first: GET /accounts/balances before /accounts/{id}
    accountsRouter(context),
    categoriesRouter(context),
    transactionsRouter(context),
  ],
});
