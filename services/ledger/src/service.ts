import { defineService } from '@finance/shared';
import { ledgerConfigSchema } from './config';
import { ledgerEntities } from './data/entities';
import { ledgerMigrations } from './data/migrations';
import { ledgerUserEvents } from './events/user-events';
import { accountsRouter } from './http/accounts';
import { categoriesRouter } from './http/categories';
import { transactionsRouter } from './http/transactions';
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
  setup: (context) => ({ closers: [scheduleIdempotencyKeyPurge(context)] }),
  // For the admin's GET /admin/stats (gathered by the gateway from /internal/stats).
  stats: async ({ dataSource }) => {
    const [row]: Array<{ transactions: number }> = await dataSource.query(
      `SELECT count(*)::int AS transactions FROM transactions`,
    );
    return row;
  },
  routes: (context) => [accountsRouter(context), categoriesRouter(context), transactionsRouter(context)],
});
