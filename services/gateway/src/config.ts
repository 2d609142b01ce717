import { z } from 'zod';
import { configFields } from '@finance/shared/http';
import { parseByteSize } from './domain/byte-size';
import { registeredServices, type RegisteredService } from '@finance/shared/registry';
import { upstreamServices, type Upstream } from './domain/route-table';

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

/**
 * An interface address to listen on (`127.0.0.1`, `0.0.0.0`, `::`), or `*`: every interface,
 * IPv6 and IPv4 (Node's default: `::`, or `0.0.0.0` where IPv6 is off).
 */
const listenHost = (fallback: string) => z.union([z.literal('*'), z.ipv4(), z.ipv6()]).default(fallback);

/** The gateway's environment; every variable has a local-development default. */
const gatewayEnvironment = z.object({
  PORT: configFields.port(8080),
  /** The public port faces every client: all interfaces. */
  HOST: listenHost('*'),
  /** Prometheus metrics, never on the public port (0 = any free port, for tests). */
  METRICS_PORT: configFields.port(9464),
  /** Loopback by default; the container image sets `*` so the cluster's Prometheus can scrape it. */
  METRICS_HOST: listenHost('127.0.0.1'),
  NODE_ENV: configFields.nodeEnv,
  LOG_LEVEL: configFields.logLevel,
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
  SHUTDOWN_DRAIN_DELAY_MS: configFields.shutdownDrainDelayMs,
  /** How long a client may take to send the request line and headers (slow-header clients get 408). */
  HEADERS_TIMEOUT_MS: positiveMs(10_000),
  /** How long a client may take to send a whole request, body included (408). */
  REQUEST_TIMEOUT_MS: positiveMs(120_000),
  /** Open connections one client address may hold (IPv6 per /56); 0 = no cap. */
  MAX_CONNECTIONS_PER_CLIENT: z.coerce.number().int().min(0).default(256),
  /** Header fields one request may carry; more is a 431. */
  MAX_REQUEST_HEADERS: z.coerce.number().int().min(10).max(1000).default(100),
  /**
   * Largest request line plus headers (431 beyond). Below the services' 16 KB, so what the
   * gateway adds (X-Forwarded-*, x-request-id) always fits upstream.
   */
  MAX_HEADER_SIZE: byteSize('12kb').refine((bytes) => bytes >= 4096 && bytes <= 15 * 1024, {
    message: 'expected a size between 4kb and 15kb',
  }),
  /** Shared with the services: proves to them that the X-Forwarded-For of a request is the gateway's. */
  PROXY_SECRET: z.preprocess((v) => (v === '' ? undefined : v), z.string().min(16).optional()),
  /** How often auth's revocation feed is polled. */
  REVOCATION_POLL_MS: positiveMs(1_000),
  /** Users with a recent revocation kept in memory; beyond it the oldest are forgotten (the services still check). */
  REVOCATION_MAX_USERS: z.coerce.number().int().min(1).default(100_000),
});

/**
 * Where each registered service answers (`LEDGER_URL`, …): by default on loopback at its registry
 * port; an empty value means "not deployed here", and its paths are then not routed.
 */
const upstreamUrl = z.url({ protocol: /^https?$/ }).transform((url) => url.replace(/\/+$/, ''));

function upstreamUrlsOf(env: Record<string, unknown>, ctx: z.RefinementCtx): Record<string, string> {
  const urls: Record<string, string> = {};
  for (const service of upstreamServices()) {
    const given = env[service.urlVariable];
    if (given === '') continue;
    const parsed = upstreamUrl.safeParse(given ?? `http://127.0.0.1:${service.port}`);
    if (parsed.success) urls[service.name] = parsed.data;
    else ctx.addIssue({ code: 'custom', path: [service.urlVariable], message: 'expected an http(s) URL' });
  }
  return urls;
}

const knownVariables = new Set<string>(gatewayEnvironment.keyof().options);

export const gatewayConfigSchema = gatewayEnvironment
  .loose()
  .transform((env, ctx) => {
    const upstreamUrls = upstreamUrlsOf(env, ctx);
    const own = Object.fromEntries(Object.entries(env).filter(([key]) => knownVariables.has(key)));
    return { ...(own as z.output<typeof gatewayEnvironment>), upstreamUrls };
  })
  .refine((config) => config.HEADERS_TIMEOUT_MS <= config.REQUEST_TIMEOUT_MS, {
    path: ['HEADERS_TIMEOUT_MS'],
    message: 'must not be longer than REQUEST_TIMEOUT_MS',
  })
  .refine((config) => config.METRICS_PORT === 0 || config.METRICS_PORT !== config.PORT, {
    path: ['METRICS_PORT'],
    message: 'must differ from PORT: metrics are never served on the public port',
  });

export type GatewayConfig = z.output<typeof gatewayConfigSchema>;

/** The services that have a URL, in registry order. */
export function upstreamsOf(
  config: GatewayConfig,
  services: readonly RegisteredService[] = registeredServices(),
): Upstream[] {
  return upstreamServices(services).flatMap((service) => {
    const url = config.upstreamUrls[service.name];
    return url ? [{ name: service.name, url }] : [];
  });
}
