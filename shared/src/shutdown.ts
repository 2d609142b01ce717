import type { Server } from 'node:http';
import type { Logger } from 'pino';
import type { Readiness } from './http/health';

export interface ShutdownOptions {
  logger: Logger;
  readiness?: Readiness;
  /** HTTP servers to drain: no new connections, in-flight requests finish. */
  servers?: Server[];
  /** Closed in order after the servers drained (consumers first, then broker, then database). */
  closers?: Array<{ name: string; close: () => Promise<unknown> | unknown }>;
  timeoutMs?: number;
  /** Time between failing readiness and closing the listener, so load balancers notice. */
  drainDelayMs?: number;
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    // Idle keep-alive sockets would hold close() open until they time out — and so would those
    // busy at this moment once their request is answered (the gateway keeps its sockets open):
    // closed as they turn idle, not reset at SHUTDOWN_TIMEOUT_MS with a request maybe on them.
    const sweep = setInterval(() => server.closeIdleConnections(), 100);
    server.close(() => {
      clearInterval(sweep);
      resolve();
    });
    server.closeIdleConnections();
  });
}

/**
 * Stops a service cleanly: readiness turns red, HTTP drains, then each closer runs in order.
 * Returns a function that performs the shutdown once, however often it is called.
 */
export function createShutdown(options: ShutdownOptions): () => Promise<void> {
  let running: Promise<void> | undefined;
  return () => {
    running ??= (async () => {
      const { logger } = options;
      logger.info('shutting down');
      options.readiness?.startDraining();
      if (options.drainDelayMs) await new Promise((r) => setTimeout(r, options.drainDelayMs));
      const deadline = setTimeout(() => {
        logger.warn('shutdown timed out; closing remaining connections');
        for (const server of options.servers ?? []) server.closeAllConnections();
      }, options.timeoutMs ?? 10_000);
      deadline.unref();
      await Promise.all((options.servers ?? []).map(closeServer));
      for (const closer of options.closers ?? []) {
        try {
          await closer.close();
        } catch (error) {
          logger.warn({ err: error, closer: closer.name }, 'error while closing');
        }
      }
      clearTimeout(deadline);
      logger.info('stopped');
    })();
    return running;
  };
}

/** Runs `shutdown` on SIGTERM/SIGINT, then exits. */
export function exitOnSignals(shutdown: () => Promise<void>, logger: Logger): void {
  const handler = (signal: string) => {
    logger.info({ signal }, 'signal received');
    shutdown().then(
      () => process.exit(0),
      (error) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', handler);
  process.once('SIGINT', handler);
}
