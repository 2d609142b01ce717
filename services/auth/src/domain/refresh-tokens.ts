import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';

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
export type RefreshDecision = 'rotate' | 'unknown' | 'expired' | 'revoked' | 'reused' | 'replay-in-grace';

export interface StoredRefreshToken {
  usedAt: Date | null;
  expiresAt: Date;
  familyRevokedAt: Date | null;
  /** The client address that used the token up. */
  usedBy: string | null;
  /** Whether the pair it was exchanged for is still kept (sealed) for the grace window. */
  hasSuccessor: boolean;
}

/**
 * A token already exchanged is normally a replay: someone else may hold the family, which is
 * then revoked (RFC 9700 §4.14.2). Within `graceMs` of that exchange and from the same client
 * address it is instead a second tab (or a retried request) racing the first: it gets the pair
 * the first exchange issued, and the family lives on.
 */
export function decideRefresh(
  stored: StoredRefreshToken | undefined,
  now: Date,
  presentedBy?: { clientIp: string; graceMs: number },
): RefreshDecision {
  if (!stored) return 'unknown';
  if (stored.familyRevokedAt) return 'revoked';
  if (stored.usedAt) {
    const sinceUse = now.getTime() - stored.usedAt.getTime();
    const inGrace =
      presentedBy !== undefined &&
      stored.hasSuccessor &&
      stored.usedBy === presentedBy.clientIp &&
      // A use "after now" is one that raced this request (or another replica's clock): in grace.
      sinceUse <= presentedBy.graceMs;
    return inGrace ? 'replay-in-grace' : 'reused';
  }
  if (stored.expiresAt.getTime() <= now.getTime()) return 'expired';
  return 'rotate';
}

/**
 * The pair a rotation issued, kept for the grace window encrypted under a key derived from the
 * token it replaced. The database holds only that token's SHA-256, so what it stores opens only
 * for someone who presents the old token again: a copy of the table reveals no usable token.
 */
export interface IssuedPair {
  accessToken: string;
  refreshToken: string;
  /** When the access token expires (ms since the epoch). */
  accessExpiresAtMs: number;
}

function successorKey(presented: string): Buffer {
  return Buffer.from(hkdfSync('sha256', presented, 'refresh-successor', 'aes-256-gcm key', 32));
}

export function sealSuccessor(presented: string, pair: IssuedPair): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', successorKey(presented), iv);
  const body = Buffer.concat([cipher.update(JSON.stringify(pair), 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
}

/** The sealed pair, or undefined when it does not open with this token (tampered or another token). */
export function openSuccessor(presented: string, sealed: string): IssuedPair | undefined {
  try {
    const raw = Buffer.from(sealed, 'base64');
    const decipher = createDecipheriv('aes-256-gcm', successorKey(presented), raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(12, 28));
    const text = Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
    const pair = JSON.parse(text) as IssuedPair;
    if (typeof pair.accessToken !== 'string' || typeof pair.refreshToken !== 'string') return undefined;
    return pair;
  } catch {
    return undefined;
  }
}
