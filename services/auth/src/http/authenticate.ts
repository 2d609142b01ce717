import { HttpProblem, type AccessTokenVerifier, type AuthenticatedUser } from '@finance/shared';
import { InvalidAccessToken, UNKNOWN_KEY, verifyAccessToken } from '../domain/access-tokens';
import type { KeyRing } from '../data/key-ring';

const INVALID = 'The access token is missing, invalid or expired';

/**
 * Auth verifies its own access tokens against its own key ring rather than over HTTP from its
 * own JWKS; the rules are those of the shared TokenVerifier (RS256 only, kid, iss, aud, exp),
 * and the shared `authenticate` middleware uses it like any other verifier.
 */
export class KeyRingVerifier implements AccessTokenVerifier {
  constructor(
    private readonly keys: KeyRing,
    private readonly settings: { issuer: string; audience: string },
  ) {}

  async verify(token: string): Promise<AuthenticatedUser> {
    try {
      await this.keys.fresh();
      let claims;
      try {
        claims = verifyAccessToken(token, (kid) => this.keys.publicKey(kid), this.settings);
      } catch (error) {
        // A kid we do not know may be a key another replica just activated: re-read once (rate-limited).
        if (!(error instanceof InvalidAccessToken) || error.message !== UNKNOWN_KEY) throw error;
        await this.keys.fresh(5_000);
        claims = verifyAccessToken(token, (kid) => this.keys.publicKey(kid), this.settings);
      }
      return { id: claims.userId, role: claims.role, tokenId: claims.tokenId, sessionVersion: 0 };
    } catch (error) {
      if (!(error instanceof InvalidAccessToken)) throw error;
      throw new HttpProblem(401, INVALID, {
        headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' },
      });
    }
  }
}
