import { defineService, type Closer } from '@finance/shared';
import { ledgerConfigSchema } from './config';
import { ledgerEntities } from './data/entities';
import { ledgerMigrations } from './data/migrations';
import { recurringEntities } from './data/recurring-entities';
import { ledgerUserEvents } from './events/user-events';
import { accountsRouter } from './http/accounts';
import { categoriesRouter } from './http/categories';
import { recurringRouter } from './http/recurring';
import { transactionsRouter } from './http/transactions';
import { scheduleIdempotencyKeyPurge } from './jobs/purge-idempotency-keys';
import { runRecurringRound, scheduleRecurring, type RecurringParts } from './jobs/recurring-scheduler';

/** The ledger: accounts, categories and transactions, the source of truth for money. */
export default defineService({
  name: 'ledger',
  configSchema: ledgerConfigSchema,
  migrations: ledgerMigrations,
  entities: [...ledgerEntities, ...recurringEntities],
  openapi: {
    title: 'Finance Tracker — ledger',
    description:
      'Accounts, categories, transactions and recurring templates: the source of truth for money. Amounts are exact decimal strings.',
  },
  userEvents: ledgerUserEvents,
  setup: (context): RecurringParts & { closers: Closer[] } => {
    const recurringScheduler = scheduleRecurring(context);
    return {
      recurringScheduler,
      runRecurringRound: (now) =>
        runRecurringRound(context, now, { concurrency: context.config.RECURRING_CONCURRENCY }),
      closers: [scheduleIdempotencyKeyPurge(context), recurringScheduler],
    };
  },
  routes: (context) => [
    accountsRouter(context),
    categoriesRouter(context),
    transactionsRouter(context),
    recurringRouter(context),
  ],
});
