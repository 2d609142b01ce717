import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import { ZodError } from 'zod';
import type { Logger } from 'pino';
import { currentContext } from '../context';
import { HttpProblem, fieldErrorsFromZod, titleFor } from './problem';

export const PROBLEM_JSON = 'application/problem+json';

/** Writes an RFC 9457 problem document, always carrying the request id. */
export function sendProblem(res: Response, problem: HttpProblem): void {
  if (problem.headers) res.set(problem.headers);
  const requestId = currentContext().requestId ?? (res.getHeader('x-request-id') as string | undefined);
  res
    .status(problem.status)
    .type(PROBLEM_JSON)
    .send(JSON.stringify({ ...problemDocument(problem), request_id: requestId }));
}

/** A problem's RFC 9457 members, as answered (also inside another answer: a bulk request's item). */
export function problemDocument(problem: HttpProblem) {
  return {
    type: problem.type,
    title: problem.title,
    status: problem.status,
    detail: problem.detail,
    ...(problem.errors?.length ? { errors: problem.errors } : {}),
    ...problem.extensions,
  };
}

/** Body-parser and friends signal client mistakes with `status`/`type`; map them to problems. */
function fromFrameworkError(error: {
  status?: number;
  statusCode?: number;
  type?: string;
  message?: string;
}) {
  const status = error.status ?? error.statusCode;
  if (!status || status < 400 || status >= 500) return undefined;
  switch (error.type) {
    case 'entity.parse.failed':
      return new HttpProblem(400, 'The request body is not valid JSON');
    case 'entity.too.deep':
      return new HttpProblem(400, error.message ?? 'The request body is nested too deeply');
    case 'entity.too.large':
      return new HttpProblem(413, 'The request body is too large');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new HttpProblem(415, 'Unsupported content encoding or charset');
    default:
      return new HttpProblem(status, titleFor(status));
  }
}

/** PostgreSQL and driver codes that mean "the database is not reachable right now", not "this request is wrong". */
const DATABASE_UNAVAILABLE_CODES = new Set([
  '57P01', // admin_shutdown: the backend was terminated (pg_terminate_backend, a restart)
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now: starting up or shutting down
  '08000', // connection_exception
  '08001', // sqlclient_unable_to_establish_sqlconnection
  '08003', // connection_does_not_exist
  '08006', // connection_failure
  '53300', // too_many_connections
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
]);
const DATABASE_UNAVAILABLE_MESSAGES = [
  /Connection terminated/i,
  /timeout exceeded when trying to connect/i,
  /Client has encountered a connection error/i,
  /Driver not Connected/i,
  /the database system is (starting up|shutting down)/i,
  // TypeORM, when the connection under a transaction died mid-request (terminated, a restart).
  /query runner (was )?already released/i,
];

/**
 * Whether an error says the service's database is unavailable (down, restarting, connections cut)
 * rather than something about the request: such a request is answered 503 with Retry-After, not a
 * 500, and the pool reconnects by itself on the next one.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  const seen = new Set<unknown>();
  for (let at: unknown = error; at && typeof at === 'object' && !seen.has(at);) {
    seen.add(at);
    const { code, message } = at as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && DATABASE_UNAVAILABLE_CODES.has(code)) return true;
    if (typeof message === 'string' && DATABASE_UNAVAILABLE_MESSAGES.some((pattern) => pattern.test(message)))
      return true;
    at = (at as { driverError?: unknown; cause?: unknown }).driverError ?? (at as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * The last middleware of every service. Operational errors become their problem answer;
 * anything else is a bug: logged with its stack and answered with a generic 500. Never exits.
 */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error, req, res, next) => {
    if (res.headersSent) return next(error);
    if (error instanceof HttpProblem) return sendProblem(res, error);
    if (error instanceof ZodError) {
      return sendProblem(
        res,
        new HttpProblem(400, 'The request is invalid', { errors: fieldErrorsFromZod(error) }),
      );
    }
    const framework = typeof error === 'object' && error !== null ? fromFrameworkError(error) : undefined;
    if (framework) return sendProblem(res, framework);
    if (isDatabaseUnavailable(error)) {
      logger.warn({ err: error, method: req.method, path: req.path }, 'database unavailable');
      return sendProblem(
        res,
        new HttpProblem(503, 'The service cannot reach its database right now; retry shortly', {
          headers: { 'Retry-After': '2' },
        }),
      );
    }
    logger.error({ err: error, method: req.method, path: req.path }, 'unhandled error');
    sendProblem(res, new HttpProblem(500, 'An unexpected error occurred'));
  };
}

export const notFoundHandler: RequestHandler = (req, res) => {
  sendProblem(res, new HttpProblem(404, `No route for ${req.method} ${req.path}`));
};
