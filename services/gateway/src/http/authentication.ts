import type { Request, RequestHandler } from 'express';
import jwt from 'jsonwebtoken';
import { HttpProblem, bearerToken, extendContext, type TokenVerifier } from '@finance/shared/http';
import { isPublicRoute } from '../domain/route-table';
import type { RevocationCheck } from './revocation-feed';

const INVALID = 'The access token is missing, invalid or expired';
const REVOKED = 'The access token has been revoked; sign in again';

/** Why a request was not authenticated; kept until after the rate limiter has counted it. */
const refusals = new WeakMap<Request, HttpProblem>();

/**
 * The `sv` (session version) claim of a token whose signature was already verified: an
 * integer, 0 when absent. Anything else counts as 0, so it is refused once any revocation of
 * its user is known.
 */
export function sessionVersionOf(verifiedToken: string): number {
  const claims = jwt.decode(verifiedToken, { json: true });
  const sv = claims?.sv;
  return typeof sv === 'number' && Number.isSafeInteger(sv) && sv >= 0 ? sv : 0;
}

/**
 * Verifies the bearer token (signature from the JWKS, `iss`, `aud`, `exp`) of every route
 * that is not public, and refuses a token the revocation feed has revoked (its `sv` is below
 * the user's latest session version). A failure is only recorded here: the rate limiter runs
 * next, so a client hammering with bad tokens is still limited (by IP), and
 * {@link requireAuthentication} then answers 401.
 */
export function verifyAccessToken(verifier: TokenVerifier, revocations?: RevocationCheck): RequestHandler {
  return async (req, _res, next) => {
    if (isPublicRoute(req.method, req.path)) return next();
    const token = bearerToken(req);
    if (!token) {
      refusals.set(req, new HttpProblem(401, INVALID, { headers: { 'WWW-Authenticate': 'Bearer' } }));
      return next();
    }
    try {
      const user = await verifier.verify(token);
      // The claim is read only for users with a known revocation: nearly every request skips it.
      const minimum = revocations?.minimumSessionVersion(user.id);
      if (minimum !== undefined && sessionVersionOf(token) < minimum) {
        refusals.set(
          req,
          new HttpProblem(401, REVOKED, {
            headers: { 'WWW-Authenticate': 'Bearer error="invalid_token", error_description="revoked"' },
          }),
        );
        return next();
      }
      req.user = user;
      extendContext({ userId: user.id });
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
