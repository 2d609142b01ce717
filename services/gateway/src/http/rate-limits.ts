import type { Request, RequestHandler } from 'express';
import { rateLimit, ipKeyGenerator, type Store } from 'express-rate-limit';
import { RedisStore, type SendCommandFn } from 'rate-limit-redis';
import { HttpProblem, type Logger } from '@finance/shared/http';
import { isCredentialRoute } from '../domain/route-table';
import { sendGatewayProblem } from './own-answers';

const WINDOW_MS = 60_000;

export interface RateLimitOptions {
  perMinute: number;
  credentialPerMinute: number;
  /** Sends a raw Redis command; when given, counters live in Redis and all replicas share them. */
  redisCommand?: SendCommandFn;
  /** Key prefix in Redis, so environments sharing one Redis do not share counters. */
  redisPrefix?: string;
  logger: Logger;
}

function clientAddress(req: Request): string {
  // IPv6 clients are grouped by /56 so one host cannot dodge the limit by rotating addresses.
  return ipKeyGenerator(req.ip ?? req.socket.remoteAddress ?? 'unknown');
}

/**
 * rate-limit-redis keeps the promise of its script's SHA; if loading it failed (Redis was
 * down), every later increment fails with that same error and limits never come back.
 * Here a failed increment drops that promise, so the script loads again once Redis answers.
 */
class RecoveringRedisStore extends RedisStore {
  override async increment(key: string) {
    try {
      return await super.increment(key);
    } catch (error) {
      const reload = this.loadIncrementScript();
      reload.catch(() => undefined);
      this.incrementScriptSha = reload;
      throw error;
    }
  }
}

function storeFor(options: RateLimitOptions, name: string): Store | undefined {
  if (!options.redisCommand) return undefined;
  return new RecoveringRedisStore({
    sendCommand: options.redisCommand,
    prefix: `${options.redisPrefix ?? 'gateway:rl:'}${name}:`,
  });
}

const STORE_ERROR_LOG_INTERVAL_MS = 10_000;

/** During a Redis outage every request fails to count; one log line per interval says so. */
function throttledLogger(logger: Logger, limiter: string) {
  let lastLoggedAt = 0;
  const log = (level: 'error' | 'warn') => (error: unknown, message?: string) => {
    if (Date.now() - lastLoggedAt < STORE_ERROR_LOG_INTERVAL_MS) return;
    lastLoggedAt = Date.now();
    logger[level]({ limiter, reason: error instanceof Error ? error.message : String(error) }, message);
  };
  return { error: log('error'), warn: log('warn') };
}

function limiter(
  options: RateLimitOptions,
  name: string,
  limit: number,
  keyOf: (req: Request) => string,
  skip?: (req: Request) => boolean,
): RequestHandler {
  return rateLimit({
    windowMs: WINDOW_MS,
    limit,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    identifier: name,
    keyGenerator: keyOf,
    skip,
    store: storeFor(options, name),
    // A Redis outage must not take the whole API down: requests pass unlimited and it is logged.
    passOnStoreError: true,
    logger: throttledLogger(options.logger, name),
    handler: (_req, res, _next, config) => {
      // express-rate-limit has already set Retry-After and the RateLimit headers.
      sendGatewayProblem(
        res,
        new HttpProblem(config.statusCode, `Too many requests; at most ${limit} per minute are allowed`),
      );
    },
  });
}

/**
 * The strict per-IP limit on password endpoints (login, register), against credential
 * stuffing. Mount it before authentication: these routes are public.
 */
export function credentialRateLimit(options: RateLimitOptions): RequestHandler {
  return limiter(
    options,
    'credentials',
    options.credentialPerMinute,
    clientAddress,
    (req) => !isCredentialRoute(req.method, req.path),
  );
}

/**
 * The per-client limit on everything proxied: per user once the token is verified (so users
 * behind one NAT do not starve each other), per IP otherwise. Mount it after token
 * verification and before the 401, so bad-token floods are limited too.
 */
export function clientRateLimit(options: RateLimitOptions): RequestHandler {
  return limiter(options, 'clients', options.perMinute, (req) =>
    req.user ? `user:${req.user.id}` : `ip:${clientAddress(req)}`,
  );
}
