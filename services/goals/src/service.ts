import { defineService } from '@finance/shared';
import { goalsConfigSchema } from './config';
import { goalsMigrations } from './data/migrations';
import { purgeUser } from './events/handlers';
import { itemsRouter } from './http/items-router';

/** goals: savings goals, contributions linked to ledger transactions, progress and pace. */
export default defineService({
  name: 'goals',
  configSchema: goalsConfigSchema,
  migrations: goalsMigrations,
  openapi: {
    title: 'Finance Tracker — goals',
    description: 'savings goals, contributions linked to ledger transactions, progress and pace',
  },
  // auth.user.* reach the shared user directory; here: what to purge when a user is deleted.
  userEvents: { onDeleted: purgeUser },
  // The other events it consumes, by type: { 'ledger.transaction.created': onTransactionCreated, … }
  handlers: {},
  routes: (context) => [itemsRouter(context)],
});
