import pino, { type Logger } from 'pino';
import { currentContext } from './context';

export type { Logger } from 'pino';

/** JSON logs, one line each, carrying the request and correlation ids of the work in progress. */
export function createLogger(service: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({
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
  });
}
