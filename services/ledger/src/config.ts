import { z } from 'zod';
import { configFields } from '@finance/shared';

/** The ledger's environment; every variable has a local-development default. */
export const ledgerConfigSchema = z.object({
  PORT: configFields.port(3002),
  NODE_ENV: configFields.nodeEnv,
  LOG_LEVEL: configFields.logLevel,
  DATABASE_URL: configFields.databaseUrl('finance_ledger'),
  DB_POOL_SIZE: configFields.dbPoolSize,
  AMQP_URL: configFields.amqpUrl,
  JWKS_URL: configFields.jwksUrl,
  JWT_ISSUER: configFields.jwtIssuer,
  JWT_AUDIENCE: configFields.jwtAudience,
  SHUTDOWN_TIMEOUT_MS: configFields.shutdownTimeoutMs,
});

export type LedgerConfig = z.output<typeof ledgerConfigSchema>;
