import { serviceConfigSchema } from '@finance/shared';
import type { z } from 'zod';

/** goals's environment: what every service reads (port and database from services.json), and its own. */
export const goalsConfigSchema = serviceConfigSchema('goals', {
  // Its own variables, e.g. MAX_ITEMS_PER_USER: z.coerce.number().int().min(1).default(1000),
});

export type GoalsConfig = z.output<typeof goalsConfigSchema>;
