import type { z } from 'zod';
import { serviceConfigSchema } from '@finance/shared';

/** The ledger's environment: what every service reads (port and database from services.json); it has no variable of its own. */
export const ledgerConfigSchema = serviceConfigSchema('ledger');

export type LedgerConfig = z.output<typeof ledgerConfigSchema>;
