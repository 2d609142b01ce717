import { serviceConfigSchema } from '@finance/shared';
import { z } from 'zod';
import { MAX_BUDGETS_PER_USER } from './data/budget-store';

/** Budgets' environment: what every service reads (port and database from services.json), and its own. */
export const budgetsConfigSchema = serviceConfigSchema('budgets', {
  /** How many budgets one user may hold (budget-status answers all active ones at once). */
  MAX_BUDGETS_PER_USER: z.coerce.number().int().min(1).max(10_000).default(MAX_BUDGETS_PER_USER),
});

export type BudgetsConfig = z.output<typeof budgetsConfigSchema>;
