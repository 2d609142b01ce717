import { serviceConfigFields } from '@finance/shared';
import { z } from 'zod';

export const budgetsConfigSchema = z.object({
  ...serviceConfigFields({ port: 3003, database: 'finance_budgets' }),
});

export type BudgetsConfig = z.output<typeof budgetsConfigSchema>;
