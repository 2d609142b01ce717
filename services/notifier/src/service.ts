import { defineService } from '@finance/shared';
import { notifierConfigSchema } from './config';
import { notifierMigrations } from './data/migrations';
import { purgeUser } from './events/handlers';
import { itemsRouter } from './http/items-router';

/** notifier: in-app notifications, e-mail from templates, signed webhooks, per-user preferences. */
export default defineService({
  name: 'notifier',
  configSchema: notifierConfigSchema,
  migrations: notifierMigrations,
  openapi: {
    title: 'Finance Tracker — notifier',
    description: 'in-app notifications, e-mail from templates, signed webhooks, per-user preferences',
  },
  // auth.user.* reach the shared user directory; here: what to purge when a user is deleted.
  userEvents: { onDeleted: purgeUser },
  // The other events it consumes, by type: { 'ledger.transaction.created': onTransactionCreated, … }
  handlers: {},
  routes: (context) => [itemsRouter(context)],
});
