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
    .send(
      JSON.stringify({
        type: problem.type,
        title: problem.title,
        status: problem.status,
        detail: problem.detail,
        ...(problem.errors?.length ? { errors: problem.errors } : {}),
        ...problem.extensions,
        request_id: requestId,
      }),
    );
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
    logger.error({ err: error, method: req.method, path: req.path }, 'unhandled error');
    sendProblem(res, new HttpProblem(500, 'An unexpected error occurred'));
  };
}

export const notFoundHandler: RequestHandler = (req, res) => {
  sendProblem(res, new HttpProblem(404, `No route for ${req.method} ${req.path}`));
};
