import type { z } from 'zod';
import { serviceConfigSchema } from '@finance/shared';
import { recurringConfigFields } from './recurring-config';

/** The ledger's environment: what every service reads (port and database from services.json), plus the recurring scheduler's. */
export const ledgerConfigSchema = serviceConfigSchema('ledger', { ...recurringConfigFields });

export type LedgerConfig = z.output<typeof ledgerConfigSchema>;
