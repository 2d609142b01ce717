import type { RequestHandler } from 'express';
import { problem } from './own-answers';

export interface RequestHeadLimits {
  /** Header fields one request may carry. */
  maxRequestHeaders: number;
}

/**
 * What Node would otherwise answer with a bare status line and no body, or let through
 * silently, answered here as problem+json with the gateway's headers:
 * - more header fields than the limit: 431. Node itself only keeps the first ~`maxHeadersCount`
 *   and drops the rest without a word, so a service could see a request without its Host or
 *   Authorization (a bare 400 from the service's Node) or with fewer headers than were sent;
 * - an HTTP/1.1 request without Host: 400 (the server is created with `requireHostHeader: false`);
 * - an `Expect` other than `100-continue`: 417 (the server passes those here via `checkExpectation`).
 */
export function requestHeadChecks(limits: RequestHeadLimits): RequestHandler {
  return (req, _res, next) => {
    if (req.rawHeaders.length / 2 > limits.maxRequestHeaders)
      return next(problem(431, `The request has more than ${limits.maxRequestHeaders} header fields`));
    if (req.httpVersion === '1.1' && !req.headers.host)
      return next(problem(400, 'An HTTP/1.1 request needs a Host header'));
    const expect = req.headers.expect;
    if (expect !== undefined && expect.trim().toLowerCase() !== '100-continue')
      return next(problem(417, 'Only "Expect: 100-continue" is supported'));
    next();
  };
}
