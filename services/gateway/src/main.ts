import { createClient } from 'redis';
import {
  Readiness,
  answerClientErrorsAsProblems,
  createLogger,
  createShutdown,
  exitOnSignals,
  loadConfig,
  type Logger,
} from '@finance/shared';
import type { SendCommandFn } from 'rate-limit-redis';
import { buildApp } from './app';
import { gatewayConfigSchema, upstreamsOf } from './config';

const REDIS_STARTUP_WAIT_MS = 10_000;

type RedisConnection = { sendCommand: SendCommandFn; close: () => Promise<unknown> };

/**
 * Connects the shared rate-limit store. Redis is a helper, not a dependency: while it is
 * unreachable (at start-up too) commands fail at once and requests pass without limits,
 * logged, rather than the gateway refusing traffic; the client keeps reconnecting.
 */
async function connectRedis(url: string, logger: Logger): Promise<RedisConnection> {
  const redis = createClient({
    url,
    disableOfflineQueue: true,
    socket: { connectTimeout: 5_000, reconnectStrategy: (retries) => Math.min(100 * 2 ** retries, 5_000) },
  });
  let lastError = '';
  redis.on('error', (error: Error) => {
    // One line per distinct failure, not one per reconnect attempt.
    if (error.message !== lastError) logger.warn({ reason: error.message }, 'redis (rate-limit store) error');
    lastError = error.message;
  });
  redis.on('ready', () => {
    lastError = '';
    logger.info('redis (rate-limit store) connected');
  });
  const connected = redis.connect().then(
    () => true,
    () => false,
  );
  const waited = new Promise<false>((resolve) => setTimeout(resolve, REDIS_STARTUP_WAIT_MS, false).unref());
  if (!(await Promise.race([connected, waited]))) {
    logger.error('Redis at REDIS_URL is not answering: rate limits are off until it does');
  }
  return {
    sendCommand: (...args: string[]) => redis.sendCommand(args) as ReturnType<SendCommandFn>,
    close: async () => {
      if (redis.isOpen) await redis.close();
      else redis.destroy();
    },
  };
}

async function main(): Promise<void> {
  const config = loadConfig(gatewayConfigSchema);
  const logger = createLogger('gateway', config.LOG_LEVEL);
  const readiness = new Readiness();
  const redis = config.REDIS_URL ? await connectRedis(config.REDIS_URL, logger) : undefined;

  const app = buildApp(config, { logger, readiness, redisCommand: redis?.sendCommand });
  const server = app.listen(config.PORT, () => {
    logger.info(
      {
        port: config.PORT,
        upstreams: Object.fromEntries(upstreamsOf(config).map((u) => [u.name, u.url])),
        rateLimitStore: redis ? 'redis' : 'memory',
      },
      `gateway listening on http://localhost:${config.PORT} (docs at /docs)`,
    );
  });
  // Node's default keep-alive timeout (5 s) is shorter than most load balancers' idle timeout,
  // which makes them reuse sockets the gateway is closing; keep connections a bit longer.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  answerClientErrorsAsProblems(server);

  const shutdown = createShutdown({
    logger,
    readiness,
    servers: [server],
    closers: redis ? [{ name: 'redis', close: redis.close }] : [],
    timeoutMs: config.SHUTDOWN_TIMEOUT_MS,
  });
  exitOnSignals(shutdown, logger);
}

main().catch((error: unknown) => {
  process.stderr.write(`gateway failed to start: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
