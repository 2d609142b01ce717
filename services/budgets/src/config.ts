import { configFields } from '@finance/shared';
import { z } from 'zod';

export const budgetsConfigSchema = z.object({
  PORT: configFields.port(3003),
  NODE_ENV: configFields.nodeEnv,
  LOG_LEVEL: configFields.logLevel,
  DATABASE_URL: configFields.databaseUrl('finance_budgets'),
  DB_POOL_SIZE: configFields.dbPoolSize,
  AMQP_URL: configFields.amqpUrl,
  JWKS_URL: configFields.jwksUrl,
  JWT_ISSUER: configFields.jwtIssuer,
  JWT_AUDIENCE: configFields.jwtAudience,
  SHUTDOWN_TIMEOUT_MS: configFields.shutdownTimeoutMs,
});

export type BudgetsConfig = z.output<typeof budgetsConfigSchema>;
