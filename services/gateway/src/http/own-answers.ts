import { STATUS_CODES } from 'node:http';
import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import { HttpProblem, errorHandler, notFoundHandler, sendProblem, type Logger } from '@finance/shared/http';

/**
 * The gateway's own JSON answers and problems are never stored by caches: they describe one
 * request (a 401, a 429 with its window) or a moment (/readyz). Proxied answers keep whatever
 * the service said; the Swagger UI assets under /docs keep their own caching.
 */
export function noStore(res: Response): void {
  res.setHeader('Cache-Control', 'no-store');
}

/** A problem answered by the gateway itself. */
export function sendGatewayProblem(res: Response, problem: HttpProblem): void {
  noStore(res);
  sendProblem(res, problem);
}

/** An HttpProblem with the standard reason phrase as its title, for statuses shared's table lacks (408, 417, 431). */
export function problem(status: number, detail: string, headers?: Record<string, string>): HttpProblem {
  return new HttpProblem(status, detail, { title: STATUS_CODES[status], headers });
}

/** shared's 404, marked no-store. */
export const gatewayNotFound: RequestHandler = (req, res, next) => {
  noStore(res);
  notFoundHandler(req, res, next);
};

/** shared's problem+json error handler, marked no-store unless a service's answer has already begun. */
export function gatewayErrorHandler(logger: Logger): ErrorRequestHandler {
  const handle = errorHandler(logger);
  return (error, req, res, next) => {
    if (!res.headersSent) noStore(res);
    handle(error, req, res, next);
  };
}
