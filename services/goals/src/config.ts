import { serviceConfigSchema } from '@finance/shared';
import { z } from 'zod';
import { MAX_CONTRIBUTIONS_PER_GOAL } from './data/contribution-store';
import { MAX_GOALS_PER_USER } from './data/goal-store';

/** Goals' environment: what every service reads (port and database from services.json), and its own. */
export const goalsConfigSchema = serviceConfigSchema('goals', {
  /** How many goals one user may hold (409 beyond). */
  MAX_GOALS_PER_USER: z.coerce.number().int().min(1).max(10_000).default(MAX_GOALS_PER_USER),
  /** How many contributions one goal may hold (409 beyond): bounds what a ledger change walks over. */
  MAX_CONTRIBUTIONS_PER_GOAL: z.coerce
    .number()
    .int()
    .min(1)
    .max(1_000_000)
    .default(MAX_CONTRIBUTIONS_PER_GOAL),
});

export type GoalsConfig = z.output<typeof goalsConfigSchema>;
