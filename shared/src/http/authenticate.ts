import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import jwt from 'jsonwebtoken';
import { extendContext } from '../context';
import { HttpProblem } from './problem';
import type { SessionCheck } from '../users/sessions';

export interface AuthenticatedUser {
  id: string;
  role: string;
  /** The token's id, for audit logs. */
  tokenId?: string;
  /** The session version the token was issued under (claim `sv`; 0 when absent): see SessionCheck. */
  sessionVersion: number;
}

declare module 'express-serve-static-core' {
  interface Request {
    user?: AuthenticatedUser;
  }
}

export interface JwksOptions {
  jwksUrl: string;
  /** How long fetched keys are trusted before a background refresh (default 10 min). */
  cacheTtlMs?: number;
  /** An unknown `kid` triggers a refetch at most this often, so forged kids cannot flood auth (default 10 s). */
  minRefetchIntervalMs?: number;
  fetchTimeoutMs?: number;
}

/**
 * Fetches and caches the auth service's public keys. An unknown `kid` (a freshly rotated key)
 * refetches once, rate-limited; a JWKS outage keeps serving the keys already known.
 */
export class JwksCache {
  private keys = new Map<string, KeyObject>();
  private fetchedAt = 0;
  private lastAttemptAt = 0;
  private inflight?: Promise<void>;

  constructor(private readonly options: JwksOptions) {}

  async getKey(kid: string): Promise<KeyObject | undefined> {
    const ttl = this.options.cacheTtlMs ?? 600_000;
    const stale = Date.now() - this.fetchedAt > ttl;
    if (!this.keys.has(kid) || stale) {
      const minInterval = this.options.minRefetchIntervalMs ?? 10_000;
      if (this.keys.size === 0 || stale || Date.now() - this.lastAttemptAt >= minInterval) {
        await this.refresh().catch(() => undefined);
      }
    }
    return this.keys.get(kid);
  }

  /** Whether the key set as last fetched still holds `kid` (no fetch). */
  holds(kid: string): boolean {
    return this.keys.has(kid);
  }

  refresh(): Promise<void> {
    this.inflight ??= this.fetchKeys().finally(() => (this.inflight = undefined));
    return this.inflight;
  }

  private async fetchKeys(): Promise<void> {
    this.lastAttemptAt = Date.now();
    const response = await fetch(this.options.jwksUrl, {
      signal: AbortSignal.timeout(this.options.fetchTimeoutMs ?? 3000),
    });
    if (!response.ok) throw new Error(`JWKS answered ${response.status}`);
    const body = (await response.json()) as {
      keys?: Array<JsonWebKey & { kid?: string; use?: string; alg?: string }>;
    };
    const next = new Map<string, KeyObject>();
    for (const jwk of body.keys ?? []) {
      if (!jwk.kid || jwk.kty !== 'RSA' || (jwk.use && jwk.use !== 'sig') || (jwk.alg && jwk.alg !== 'RS256'))
        continue;
      next.set(jwk.kid, createPublicKey({ key: jwk, format: 'jwk' }));
    }
    this.keys = next;
    this.fetchedAt = Date.now();
  }
}

export interface TokenVerifierOptions extends JwksOptions {
  issuer: string;
  audience: string;
}

const INVALID = 'The access token is missing, invalid or expired';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ROLES = new Set(['user', 'admin']);

/** `Bearer <token>` exactly (RFC 6750 §2.1): one b64token and nothing after it. */
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

export function bearerToken(req: Request): string | undefined {
  const header = req.headers.authorization;
  if (!header) return undefined;
  return BEARER.exec(header)?.[1];
}

/** Verifies RS256 access tokens against the JWKS: signature, `iss`, `aud`, `exp`; nothing else is accepted. */
export class TokenVerifier implements AccessTokenVerifier {
  readonly jwks: JwksCache;
  /**
   * Tokens whose signature and claims were already checked, by the exact token string, until
   * their `exp` and only while their key is still in the JWKS: a client sends the same token for
   * up to 15 minutes, and checking the RS256 signature again for every request is the largest
   * CPU cost of authentication (docs/performance.md). Oldest entries go first when it is full.
   */
  private readonly verified = new Map<
    string,
    { user: AuthenticatedUser; kid: string; expiresAtMs: number }
  >();
  private readonly maxCachedTokens: number;

  constructor(private readonly options: TokenVerifierOptions & { maxCachedTokens?: number }) {
    this.jwks = new JwksCache(options);
    this.maxCachedTokens = options.maxCachedTokens ?? 5_000;
  }

  async verify(token: string): Promise<AuthenticatedUser> {
    const cached = this.verified.get(token);
    if (cached) {
      if (Date.now() < cached.expiresAtMs && this.jwks.holds(cached.kid)) return cached.user;
      this.verified.delete(token);
    }
    const { user, kid, expiresAtMs } = await this.verifySignature(token);
    if (this.maxCachedTokens > 0) {
      if (this.verified.size >= this.maxCachedTokens) {
        const oldest = this.verified.keys().next().value;
        if (oldest !== undefined) this.verified.delete(oldest);
      }
      this.verified.set(token, { user, kid, expiresAtMs });
    }
    return user;
  }

  private async verifySignature(
    token: string,
  ): Promise<{ user: AuthenticatedUser; kid: string; expiresAtMs: number }> {
    const decoded = jwt.decode(token, { complete: true });
    if (
      !decoded ||
      typeof decoded.payload === 'string' ||
      decoded.header.alg !== 'RS256' ||
      !decoded.header.kid
    ) {
      throw new HttpProblem(401, INVALID, {
        headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' },
      });
    }
    const key = await this.jwks.getKey(decoded.header.kid);
    if (!key)
      throw new HttpProblem(401, INVALID, {
        headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' },
      });
    try {
      const claims = jwt.verify(token, key, {
        algorithms: ['RS256'],
        issuer: this.options.issuer,
        audience: this.options.audience,
      }) as jwt.JwtPayload;
      // The rules auth's own verifier applies (services/auth/src/domain/access-tokens.ts): a user
      // id as subject (a non-UUID reached PostgreSQL as a 500), a role that exists, and a session
      // version that revocation can compare (a malformed one is not read as 0).
      const sv: unknown = claims.sv ?? 0;
      if (
        typeof claims.sub !== 'string' ||
        !UUID.test(claims.sub) ||
        !ROLES.has(claims.role as string) ||
        typeof claims.exp !== 'number' ||
        typeof sv !== 'number' ||
        !Number.isSafeInteger(sv) ||
        sv < 0
      )
        throw new Error('claims');
      return {
        user: {
          id: claims.sub,
          role: claims.role as string,
          tokenId: claims.jti,
          sessionVersion: sv,
        },
        kid: decoded.header.kid,
        expiresAtMs: claims.exp * 1000,
      };
    } catch {
      throw new HttpProblem(401, INVALID, {
        headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' },
      });
    }
  }
}

/** Anything that turns a bearer token into a verified caller (the shared verifier, or auth's own key ring). */
export interface AccessTokenVerifier {
  verify(token: string): Promise<AuthenticatedUser>;
}

/**
 * Express middleware: a valid bearer token sets `req.user`, anything else answers 401. With a
 * session check, a token auth has revoked since (logout-all, password change, deactivation,
 * deletion) answers 401 too.
 */
export function authenticate(verifier: AccessTokenVerifier, sessions?: SessionCheck): RequestHandler {
  return async (req, _res, next) => {
    const token = bearerToken(req);
    if (!token) return next(new HttpProblem(401, INVALID, { headers: { 'WWW-Authenticate': 'Bearer' } }));
    try {
      const user = await verifier.verify(token);
      if (sessions && (await sessions.isRevoked(user)))
        throw new HttpProblem(401, 'The access token has been revoked', {
          headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' },
        });
      req.user = user;
      extendContext({ userId: user.id });
      next();
    } catch (error) {
      next(error);
    }
  };
}
