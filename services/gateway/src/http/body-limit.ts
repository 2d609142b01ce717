import type { RequestHandler } from 'express';
import { HttpProblem } from '@finance/shared/http';
import { matchesPrefix } from '../domain/route-table';

export interface BodyLimits {
  /** Bytes allowed for an ordinary request body. */
  default: number;
  /** Bytes allowed on `/import/*` (CSV uploads). */
  import: number;
}

export function bodyLimitFor(path: string, limits: BodyLimits): number {
  return matchesPrefix(path, '/import') ? limits.import : limits.default;
}

/**
 * The answer to an over-large body. `Connection: close` so Node does not read the rest of a
 * huge upload just to keep the connection alive.
 */
export function bodyTooLarge(limit: number): HttpProblem {
  return new HttpProblem(413, `The request body is larger than ${limit} bytes`, {
    headers: { Connection: 'close' },
  });
}

/**
 * Refuses a body whose declared Content-Length is over the limit before anything reaches a
 * service. Chunked bodies have no declared length; the proxy counts those as they stream.
 */
export function declaredBodyLimit(limits: BodyLimits): RequestHandler {
  return (req, _res, next) => {
    const declared = req.headers['content-length'];
    const limit = bodyLimitFor(req.path, limits);
    if (declared !== undefined && Number(declared) > limit) return next(bodyTooLarge(limit));
    next();
  };
}
