import { createHash, randomBytes } from 'node:crypto';

/** An opaque refresh token: 256 random bits, base64url. Only its hash is ever stored. */
export function newRefreshToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: hashRefreshToken(token) };
}

/** SHA-256 is enough here: the token has 256 bits of entropy, so there is nothing to brute-force. */
export function hashRefreshToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** What presenting a refresh token means, given what is stored about it. */
export type RefreshDecision = 'rotate' | 'unknown' | 'expired' | 'revoked' | 'reused';

export function decideRefresh(
  stored: { usedAt: Date | null; expiresAt: Date; familyRevokedAt: Date | null } | undefined,
  now: Date,
): RefreshDecision {
  if (!stored) return 'unknown';
  if (stored.familyRevokedAt) return 'revoked';
  // A token that was already exchanged is being replayed: someone else may hold the family (RFC 9700 §4.14.2).
  if (stored.usedAt) return 'reused';
  if (stored.expiresAt.getTime() <= now.getTime()) return 'expired';
  return 'rotate';
}
