import { serviceConfigSchema } from '@finance/shared';
import { z } from 'zod';

/**
 * How many budgets one user may hold unless MAX_BUDGETS_PER_USER says otherwise.
 * `/analytics/budget-status` judges every active budget in one answer and the alert check of an
 * expense judges every budget covering it, so the limit bounds both.
 */
export const DEFAULT_MAX_BUDGETS_PER_USER = 500;

/** Budgets' environment: what every service reads (port and database from services.json), and its own. */
export const budgetsConfigSchema = serviceConfigSchema('budgets', {
  /** How many budgets one user may hold (budget-status answers all active ones at once). */
  MAX_BUDGETS_PER_USER: z.coerce.number().int().min(1).max(10_000).default(DEFAULT_MAX_BUDGETS_PER_USER),
});

export type BudgetsConfig = z.output<typeof budgetsConfigSchema>;
