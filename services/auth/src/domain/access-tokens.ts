import type { KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { newId } from '@finance/shared';
import type { Role } from './profile';

export interface AccessTokenSettings {
  issuer: string;
  audience: string;
  ttlSeconds: number;
}

export interface SigningKey {
  kid: string;
  privateKey: KeyObject;
}

export interface AccessTokenClaims {
  userId: string;
  role: Role;
  tokenId: string;
  /** Claim `sv`: the user's session version when the token was issued (0 when absent). */
  sessionVersion: number;
}

/**
 * RS256, short-lived; `sub` is the user id, `kid` names the key in the JWKS, `sv` the user's
 * session version: raising it (password change, logout-all, …) revokes every older token.
 * Issued at `now` (the service's clock), and `exp` counted from it.
 */
export function signAccessToken(
  subject: { userId: string; role: Role; sessionVersion: number },
  key: SigningKey,
  settings: AccessTokenSettings,
  now: Date,
): { token: string; tokenId: string; expiresAtMs: number } {
  const tokenId = newId();
  const issuedAtSeconds = Math.floor(now.getTime() / 1000);
  const token = jwt.sign(
    { role: subject.role, sv: subject.sessionVersion, iat: issuedAtSeconds },
    key.privateKey,
    {
      algorithm: 'RS256',
      keyid: key.kid,
      subject: subject.userId,
      issuer: settings.issuer,
      audience: settings.audience,
      expiresIn: settings.ttlSeconds,
      jwtid: tokenId,
    },
  );
  return { token, tokenId, expiresAtMs: (issuedAtSeconds + settings.ttlSeconds) * 1000 };
}

export class InvalidAccessToken extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'InvalidAccessToken';
  }
}

/** The reason given when the token's `kid` is not in the key set (callers may refresh keys and retry). */
export const UNKNOWN_KEY = 'unknown key';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The same rules every service applies through the JWKS: RS256 only (so neither `none` nor an
 * HMAC "signed" with the public key passes), a known `kid`, and `iss`, `aud`, `exp` (against `now`).
 */
export function verifyAccessToken(
  token: string,
  publicKeyOf: (kid: string) => KeyObject | undefined,
  settings: Pick<AccessTokenSettings, 'issuer' | 'audience'>,
  now: Date,
): AccessTokenClaims {
  const decoded = jwt.decode(token, { complete: true });
  if (!decoded || typeof decoded.payload === 'string') throw new InvalidAccessToken('malformed');
  if (decoded.header.alg !== 'RS256') throw new InvalidAccessToken('algorithm');
  const kid = decoded.header.kid;
  const key = kid ? publicKeyOf(kid) : undefined;
  if (!key) throw new InvalidAccessToken(UNKNOWN_KEY);
  let claims: jwt.JwtPayload;
  try {
    claims = jwt.verify(token, key, {
      algorithms: ['RS256'],
      issuer: settings.issuer,
      audience: settings.audience,
      clockTimestamp: Math.floor(now.getTime() / 1000),
    }) as jwt.JwtPayload;
  } catch (error) {
    throw new InvalidAccessToken((error as Error).message);
  }
  const role = claims.role;
  if (typeof claims.sub !== 'string' || !UUID.test(claims.sub)) throw new InvalidAccessToken('subject');
  if (role !== 'user' && role !== 'admin') throw new InvalidAccessToken('role');
  if (typeof claims.exp !== 'number') throw new InvalidAccessToken('expiry');
  const sv: unknown = claims.sv ?? 0;
  if (typeof sv !== 'number' || !Number.isSafeInteger(sv) || sv < 0)
    throw new InvalidAccessToken('session version');
  return {
    userId: claims.sub,
    role,
    tokenId: typeof claims.jti === 'string' ? claims.jti : '',
    sessionVersion: sv,
  };
}
