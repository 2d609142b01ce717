import pino, { type DestinationStream, type Logger } from 'pino';
import { currentContext } from './context';

export type { Logger } from 'pino';

/**
 * Where log lines go: stdout, written in 4 KB batches off the request path instead of one
 * synchronous write(2) per line (bench/: the per-request access line was a syscall on every
 * request of every service). Flushed every second so a quiet service's lines still show
 * promptly, and synchronously on exit (pino registers that for asynchronous destinations).
 */
function stdoutDestination() {
  const destination = pino.destination({ dest: 1, sync: false, minLength: 4096 });
  setInterval(() => destination.flush(), 1000).unref();
  return destination;
}

/**
 * JSON logs, one line each, carrying the request and correlation ids of the work in progress.
 * `destination` (default stdout) lets a test read the very lines production writes.
 */
export function createLogger(
  service: string,
  level = process.env.LOG_LEVEL ?? 'info',
  destination: DestinationStream = stdoutDestination(),
): Logger {
  return pino(
    {
      name: service,
      level,
      base: { service },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      mixin() {
        const { requestId, correlationId, userId } = currentContext();
        return { requestId, correlationId: correlationId !== requestId ? correlationId : undefined, userId };
      },
      redact: {
        paths: [
          'password',
          '*.password',
          'req.headers.authorization',
          'headers.authorization',
          '*.refresh_token',
        ],
        censor: '[redacted]',
      },
    },
    destination,
  );
}
