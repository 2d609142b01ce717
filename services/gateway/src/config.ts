import { z } from 'zod';
import { configFields } from '@finance/shared';
import { parseByteSize } from './domain/byte-size';
import { UPSTREAM_NAMES, type Upstream, type UpstreamName } from './domain/route-table';

/** An upstream base URL; a trailing slash is dropped so paths join cleanly. */
const upstreamUrl = (fallback: string) =>
  z
    .url({ protocol: /^https?$/ })
    .default(fallback)
    .transform((url) => url.replace(/\/+$/, ''));

/** An upstream that may not exist yet: unset or empty means "not routed". */
const optionalUpstreamUrl = z.preprocess(
  (value) => (value === '' ? undefined : value),
  z
    .url({ protocol: /^https?$/ })
    .optional()
    .transform((url) => url?.replace(/\/+$/, '')),
);

const byteSize = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((text, ctx) => {
      const bytes = parseByteSize(text);
      if (bytes === undefined || bytes < 1) {
        ctx.addIssue({ code: 'custom', message: 'expected a size like 512kb, 1mb or 20mb' });
        return z.NEVER;
      }
      return bytes;
    });

/** `CORS_ORIGINS`: comma-separated origins (`https://app.example.com`), `*` for any; empty disables CORS. */
const corsOrigins = z
  .string()
  .default('')
  .transform((text, ctx) => {
    const origins = text
      .split(',')
      .map((origin) => origin.trim())
      .filter(Boolean);
    for (const origin of origins) {
      if (origin === '*') continue;
      let valid = false;
      try {
        valid = new URL(origin).origin === origin;
      } catch {
        valid = false;
      }
      if (!valid) {
        ctx.addIssue({
          code: 'custom',
          message: `"${origin}" is not an origin like https://app.example.com`,
        });
        return z.NEVER;
      }
    }
    return origins;
  });

const positiveMs = (fallback: number) => z.coerce.number().int().min(1).default(fallback);

/** The gateway's environment; every variable has a local-development default. */
export const gatewayConfigSchema = z.object({
  PORT: configFields.port(8080),
  NODE_ENV: configFields.nodeEnv,
  LOG_LEVEL: configFields.logLevel,
  AUTH_URL: upstreamUrl('http://127.0.0.1:3001'),
  LEDGER_URL: upstreamUrl('http://127.0.0.1:3002'),
  BUDGETS_URL: upstreamUrl('http://127.0.0.1:3003'),
  REPORTS_URL: upstreamUrl('http://127.0.0.1:3006'),
  GOALS_URL: optionalUpstreamUrl,
  NOTIFIER_URL: optionalUpstreamUrl,
  JWKS_URL: configFields.jwksUrl,
  JWT_ISSUER: configFields.jwtIssuer,
  JWT_AUDIENCE: configFields.jwtAudience,
  /** Connect + response timeout towards a service (idle time on the upstream socket). */
  UPSTREAM_TIMEOUT_MS: positiveMs(30_000),
  /** Timeout of the gateway's own calls to services: /openapi.json fetches and /readyz probes. */
  PROBE_TIMEOUT_MS: positiveMs(2_000),
  /** How long the merged OpenAPI document is reused (a document missing a service: 5 s at most). */
  OPENAPI_CACHE_MS: z.coerce.number().int().min(0).default(30_000),
  /** When true, /readyz answers 503 while any service or the JWKS is down; else it only reports them. */
  READYZ_REQUIRES_UPSTREAMS: configFields.boolean(false),
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(600),
  AUTH_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(10),
  /** Shared rate-limit counters for all replicas; unset = in-memory counters per replica. */
  REDIS_URL: z.preprocess(
    (value) => (value === '' ? undefined : value),
    z.url({ protocol: /^rediss?$/ }).optional(),
  ),
  CORS_ORIGINS: corsOrigins,
  BODY_LIMIT: byteSize('1mb'),
  IMPORT_BODY_LIMIT: byteSize('20mb'),
  /** How many proxies in front of the gateway to trust for the client address (0 = none). */
  TRUST_PROXY_HOPS: z.coerce.number().int().min(0).max(10).default(0),
  SHUTDOWN_TIMEOUT_MS: configFields.shutdownTimeoutMs,
});

export type GatewayConfig = z.output<typeof gatewayConfigSchema>;

/** The configured upstreams, in the fixed order of {@link UPSTREAM_NAMES}. */
export function upstreamsOf(config: GatewayConfig): Upstream[] {
  const urls: Record<UpstreamName, string | undefined> = {
    auth: config.AUTH_URL,
    ledger: config.LEDGER_URL,
    budgets: config.BUDGETS_URL,
    goals: config.GOALS_URL,
    notifier: config.NOTIFIER_URL,
    reports: config.REPORTS_URL,
  };
  return UPSTREAM_NAMES.flatMap((name) => {
    const url = urls[name];
    return url ? [{ name, url }] : [];
  });
}
