import type { Request, RequestHandler } from 'express';
import { HttpProblem, bearerToken, extendContext, type TokenVerifier } from '@finance/shared';
import { isPublicRoute } from '../domain/route-table';

const INVALID = 'The access token is missing, invalid or expired';

/** Why a request was not authenticated; kept until after the rate limiter has counted it. */
const refusals = new WeakMap<Request, HttpProblem>();

/**
 * Verifies the bearer token (signature from the JWKS, `iss`, `aud`, `exp`) of every route
 * that is not public. A failure is only recorded here: the rate limiter runs next, so a
 * client hammering with bad tokens is still limited (by IP), and {@link requireAuthentication}
 * then answers 401.
 */
export function verifyAccessToken(verifier: TokenVerifier): RequestHandler {
  return async (req, _res, next) => {
    if (isPublicRoute(req.method, req.path)) return next();
    const token = bearerToken(req);
    if (!token) {
      refusals.set(req, new HttpProblem(401, INVALID, { headers: { 'WWW-Authenticate': 'Bearer' } }));
      return next();
    }
    try {
      req.user = await verifier.verify(token);
      extendContext({ userId: req.user.id });
    } catch (error) {
      refusals.set(
        req,
        error instanceof HttpProblem
          ? error
          : new HttpProblem(401, INVALID, {
              headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' },
            }),
      );
    }
    next();
  };
}

/** An unauthenticated request stops here: it never reaches a service. */
export const requireAuthentication: RequestHandler = (req, _res, next) => {
  next(refusals.get(req));
};
