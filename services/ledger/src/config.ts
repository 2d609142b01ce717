import { z } from 'zod';
import { serviceConfigFields } from '@finance/shared';

/** The ledger's environment; every variable has a local-development default. */
export const ledgerConfigSchema = z.object({
  ...serviceConfigFields({ port: 3002, database: 'finance_ledger' }),
});

export type LedgerConfig = z.output<typeof ledgerConfigSchema>;
