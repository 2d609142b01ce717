import { serviceConfigSchema } from '@finance/shared';
import type { z } from 'zod';

/** notifier's environment: what every service reads (port and database from services.json), and its own. */
export const notifierConfigSchema = serviceConfigSchema('notifier', {
  // Its own variables, e.g. MAX_ITEMS_PER_USER: z.coerce.number().int().min(1).default(1000),
});

export type NotifierConfig = z.output<typeof notifierConfigSchema>;
