import { createServer, type Server } from 'node:http';
import { isIPv6, type AddressInfo } from 'node:net';
import { createClient } from 'redis';
import {
  Readiness,
  UPSTREAM_KEEP_ALIVE_MS,
  answerClientErrorsAsProblems,
  createLogger,
  createShutdown,
  exitOnSignals,
  loadConfig,
  writeRawProblem,
  type Logger,
} from '@finance/shared/http';
import type { SendCommandFn } from 'rate-limit-redis';
import { buildApp, revocationFeedOf, type GatewayDeps } from './app';
import { gatewayConfigSchema, upstreamsOf, type GatewayConfig } from './config';
import { limitConnectionsPerClient } from './http/connection-limit';
import { createMetricsServer } from './http/metrics-server';
import type { RevocationFeed } from './http/revocation-feed';
import { securityHeaderRecord } from './http/security-headers';

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

/**
 * The public server with the edge's limits set deliberately (README, "Limits at the edge"):
 * request line + headers at most MAX_HEADER_SIZE and MAX_REQUEST_HEADERS fields, all of it
 * within HEADERS_TIMEOUT_MS and the whole request within REQUEST_TIMEOUT_MS (408), checked
 * every second or sooner; idle keep-alive connections kept UPSTREAM_KEEP_ALIVE_MS, longer than
 * load balancers' usual 60 s, so they never reuse a socket the gateway is closing; at most
 * MAX_CONNECTIONS_PER_CLIENT connections per client address. Whatever Node's parser refuses
 * is answered as problem+json with the gateway's security headers and a request id.
 */
function createPublicServer(config: GatewayConfig, app: ReturnType<typeof buildApp>, logger: Logger): Server {
  const server = createServer(
    {
      maxHeaderSize: config.MAX_HEADER_SIZE,
      headersTimeout: config.HEADERS_TIMEOUT_MS,
      requestTimeout: config.REQUEST_TIMEOUT_MS,
      connectionsCheckingInterval: Math.max(50, Math.min(1_000, Math.floor(config.HEADERS_TIMEOUT_MS / 4))),
      // The app answers a missing Host with a problem+json instead of Node's bare 400.
      requireHostHeader: false,
    },
    app,
  );
  server.keepAliveTimeout = UPSTREAM_KEEP_ALIVE_MS;
  // Node keeps only about this many headers and drops the rest; one more than the limit lets
  // the app see that a request is over it (431) instead of forwarding a truncated request.
  server.maxHeadersCount = config.MAX_REQUEST_HEADERS + 1;
  // Expect values other than 100-continue reach the app (417 problem) instead of Node's bare 417.
  server.on('checkExpectation', app);
  const headers = securityHeaderRecord();
  server.on('connect', (_req, socket) => {
    writeRawProblem(socket, 405, 'CONNECT is not supported', { headers });
  });
  answerClientErrorsAsProblems(server, { headers, maxHeaderBytes: config.MAX_HEADER_SIZE, logger });
  limitConnectionsPerClient(server, { maxPerClient: config.MAX_CONNECTIONS_PER_CLIENT, headers });
  return server;
}

/** Listens on `host` (`*`: every interface), resolving to a URL that reaches the server from this machine. */
function listen(server: Server, port: number, host: string): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    const listening = () => {
      server.off('error', reject);
      const { port: bound } = server.address() as AddressInfo;
      const reachable = ['*', '0.0.0.0', '::'].includes(host) ? '127.0.0.1' : host;
      resolve(`http://${isIPv6(reachable) ? `[${reachable}]` : reachable}:${bound}`);
    };
    if (host === '*') server.listen(port, listening);
    else server.listen(port, host, listening);
  });
}

export interface RunningGateway {
  /** The public base URL (over loopback when listening on every interface). */
  url: string;
  /** The metrics base URL: `${metricsUrl}/metrics`. */
  metricsUrl: string;
  server: Server;
  metricsServer: Server;
  revocations: RevocationFeed;
  logger: Logger;
  /** Graceful stop: readiness red, both servers drain, then the revocation feed and Redis. */
  stop(): Promise<void>;
}

export type StartGatewayOptions = Partial<Omit<GatewayDeps, 'revocations'>>;

/**
 * Starts the gateway: Redis for shared rate limits (when REDIS_URL is set), auth's revocation
 * feed, the public server on HOST:PORT and the metrics server on METRICS_HOST:METRICS_PORT.
 * `main` calls it with the loaded config; tests and e2e call it in-process with their own.
 */
export async function startGateway(
  config: GatewayConfig,
  options: StartGatewayOptions = {},
): Promise<RunningGateway> {
  const logger = options.logger ?? createLogger('gateway', config.LOG_LEVEL);
  const readiness = options.readiness ?? new Readiness();
  const redis =
    !options.redisCommand && config.REDIS_URL ? await connectRedis(config.REDIS_URL, logger) : undefined;
  const revocations = revocationFeedOf(config, logger).start();

  const app = buildApp(config, {
    ...options,
    logger,
    readiness,
    redisCommand: options.redisCommand ?? redis?.sendCommand,
    revocations,
  });
  const server = createPublicServer(config, app, logger);
  const metricsServer = createMetricsServer(logger);
  let url: string;
  let metricsUrl: string;
  try {
    url = await listen(server, config.PORT, config.HOST);
    metricsUrl = await listen(metricsServer, config.METRICS_PORT, config.METRICS_HOST);
  } catch (error) {
    server.close();
    await Promise.all([revocations.stop(), redis?.close()]);
    throw error;
  }
  logger.info(
    {
      url,
      metrics: `${metricsUrl}/metrics`,
      upstreams: Object.fromEntries(upstreamsOf(config).map((u) => [u.name, u.url])),
      rateLimitStore: options.redisCommand || redis ? 'redis' : 'memory',
    },
    `gateway listening on ${url} (docs at /docs)`,
  );

  const stop = createShutdown({
    logger,
    readiness,
    servers: [server, metricsServer],
    closers: [
      { name: 'revocation feed', close: () => revocations.stop() },
      ...(redis ? [{ name: 'redis', close: redis.close }] : []),
    ],
    timeoutMs: config.SHUTDOWN_TIMEOUT_MS,
    drainDelayMs: config.SHUTDOWN_DRAIN_DELAY_MS,
  });
  return { url, metricsUrl, server, metricsServer, revocations, logger, stop };
}

if (require.main === module) {
  const config = loadConfig(gatewayConfigSchema);
  startGateway(config).then(
    (gateway) => exitOnSignals(gateway.stop, gateway.logger),
    (error: unknown) => {
      process.stderr.write(
        `gateway failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
      process.exit(1);
    },
  );
}
