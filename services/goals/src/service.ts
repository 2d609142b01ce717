import { defineService } from '@finance/shared';
import { goalsConfigSchema } from './config';
import { goalEntities } from './data/entities';
import { goalsMigrations } from './data/migrations';
import { goalEventHandlers, purgeUser } from './events/handlers';
import { contributionsRouter } from './http/contributions-router';
import { goalsRouter } from './http/goals-router';

/** Goals: savings goals, contributions linked to ledger transactions, progress, pace and milestones. */
export default defineService({
  name: 'goals',
  configSchema: goalsConfigSchema,
  migrations: goalsMigrations,
  entities: goalEntities,
  openapi: {
    title: 'Finance Tracker — goals',
    description:
      'Savings goals with contributions linked to ledger transactions (or made by hand), progress, pace and ' +
      "milestones, computed from the service's own read model of the ledger's transactions and accounts.",
  },
  // auth.user.* reach the shared user directory; here: what to purge when a user is deleted.
  userEvents: { onDeleted: purgeUser },
  handlers: goalEventHandlers,
  routes: (context) => [goalsRouter(context), contributionsRouter(context)],
});
