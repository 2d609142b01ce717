import { HttpProblem, type AccessTokenVerifier, type AuthenticatedUser } from '@finance/shared';
import { InvalidAccessToken, UNKNOWN_KEY, verifyAccessToken } from '../domain/access-tokens';
import type { KeyRing } from '../data/key-ring';

const INVALID = 'The access token is missing, invalid or expired';
const REVOKED = 'The access token has been revoked; log in again';

/** Where the verifier reads a user's current session state (the users table). */
export interface SessionStates {
  sessionStateOf(userId: string): Promise<{ isActive: boolean; sessionVersion: number } | undefined>;
}

function invalidToken(detail: string): HttpProblem {
  return new HttpProblem(401, detail, { headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' } });
}

/**
 * Auth verifies its own access tokens against its own key ring rather than over HTTP from its
 * own JWKS; the rules are those of the shared TokenVerifier (RS256 only, kid, iss, aud, exp),
 * and the shared `authenticate` middleware uses it like any other verifier. Being the owner of
 * the users table, it also refuses at once (no cache) a token of a deleted or deactivated user,
 * and one whose `sv` claim (0 when absent) is below the user's session version — which is why
 * the shared directory check is not added for auth (startService skips it for a verifier of the
 * service's own). `exp` is checked against the service's clock, the one that issued the token.
 */
export class KeyRingVerifier implements AccessTokenVerifier {
  constructor(
    private readonly keys: KeyRing,
    private readonly settings: { issuer: string; audience: string },
    private readonly sessions: SessionStates,
    private readonly clock: () => Date,
  ) {}

  async verify(token: string): Promise<AuthenticatedUser> {
    let claims;
    try {
      await this.keys.fresh();
      try {
        claims = verifyAccessToken(token, (kid) => this.keys.publicKey(kid), this.settings, this.clock());
      } catch (error) {
        // A kid we do not know may be a key another replica just activated: re-read once (rate-limited).
        if (!(error instanceof InvalidAccessToken) || error.message !== UNKNOWN_KEY) throw error;
        await this.keys.fresh(5_000);
        claims = verifyAccessToken(token, (kid) => this.keys.publicKey(kid), this.settings, this.clock());
      }
    } catch (error) {
      if (!(error instanceof InvalidAccessToken)) throw error;
      throw invalidToken(INVALID);
    }
    const state = await this.sessions.sessionStateOf(claims.userId);
    if (!state || !state.isActive || claims.sessionVersion < state.sessionVersion)
      throw invalidToken(REVOKED);
    return {
      id: claims.userId,
      role: claims.role,
      tokenId: claims.tokenId,
      sessionVersion: claims.sessionVersion,
    };
  }
}
