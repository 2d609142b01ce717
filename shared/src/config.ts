import { z } from 'zod';

/** Thrown by {@link parseConfig}; its message is the one line an operator needs. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Validates the environment against a zod schema; the first bad variable is named in the error. */
export function parseConfig<S extends z.ZodType>(
  schema: S,
  env: NodeJS.ProcessEnv = process.env,
): z.output<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const variable = issue.path.join('.') || '(environment)';
  const value = env[String(issue.path[0])];
  const reason = value === undefined || value === '' ? 'is missing' : `is invalid (${issue.message})`;
  throw new ConfigError(`Configuration error: ${variable} ${reason}`);
}

/** Like {@link parseConfig}, but a bad or missing variable stops the process with one clear line. */
export function loadConfig<S extends z.ZodType>(
  schema: S,
  env: NodeJS.ProcessEnv = process.env,
): z.output<S> {
  try {
    return parseConfig(schema, env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}

/** Building blocks every service's config schema reuses, so the same variable means the same thing everywhere. */
export const configFields = {
  port: (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback),
  nodeEnv: z.enum(['development', 'test', 'production']).default('development'),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  databaseUrl: (database: string) =>
    z.url({ protocol: /^postgres(ql)?$/ }).default(`postgres://postgres@127.0.0.1:5432/${database}`),
  amqpUrl: z.url({ protocol: /^amqps?$/ }).default('amqp://guest:guest@127.0.0.1:5672'),
  jwksUrl: z.url().default('http://127.0.0.1:3001/.well-known/jwks.json'),
  jwtIssuer: z.string().min(1).default('finance-tracker-auth'),
  jwtAudience: z.string().min(1).default('finance-tracker'),
  dbPoolSize: z.coerce.number().int().min(1).max(100).default(10),
  boolean: (fallback: boolean) =>
    z
      .enum(['true', 'false', '1', '0'])
      .default(fallback ? 'true' : 'false')
      .transform((v) => v === 'true' || v === '1'),
  shutdownTimeoutMs: z.coerce.number().int().min(0).default(10_000),
  /**
   * On SIGTERM, how long readiness is red while the listener still accepts requests, so load
   * balancers (a Kubernetes Service, a proxy probing /readyz) stop sending before it closes.
   */
  shutdownDrainDelayMs: z.coerce.number().int().min(0).max(60_000).default(0),
};
