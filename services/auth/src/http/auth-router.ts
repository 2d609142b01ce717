import type { Request, Response } from 'express';
import { ApiRouter, HttpProblem, badRequest, unauthorized } from '@finance/shared';
import { signAccessToken, type AccessTokenSettings } from '../domain/access-tokens';
import type { IssuedPair } from '../domain/refresh-tokens';
import { isEmailIdentifier } from '../domain/profile';
import type { User } from '../data/entities';
import type { KeyRing } from '../data/key-ring';
import type { AuthContext, AuthParts } from '../parts';
import { actingAs, auditOrigin } from './audit-origin';
import {
  jwksSchema,
  loginBody,
  logoutAllBody,
  presentUser,
  refreshBody,
  registerBody,
  tokenPairSchema,
  userSchema,
} from './schemas';

/** One message for every failed login, so a client cannot tell which accounts exist or are disabled. */
const BAD_CREDENTIALS = 'Incorrect e-mail/username or password';
const BAD_REFRESH = 'The refresh token is invalid, expired or revoked';

/** The client address as express derives it (`req.ip`; which proxies are trusted is decided in shared). */
export function clientAddress(req: Request): string {
  return req.ip ?? req.socket.remoteAddress ?? 'unknown';
}

export function tooManyAttempts(retryAfterSeconds: number): HttpProblem {
  return new HttpProblem(429, 'Too many failed attempts; try again later', {
    headers: { 'Retry-After': String(retryAfterSeconds) },
  });
}

/** Signs a user's access tokens with the key ring's signing key, at the time given. */
function accessTokenIssuer(keys: KeyRing, settings: AccessTokenSettings) {
  return (user: User, now: Date) =>
    signAccessToken(
      { userId: user.id, role: user.role, sessionVersion: user.sessionVersion },
      keys.signingKey,
      settings,
      now,
    );
}

/**
 * Token answers must not be cached by anything in between (RFC 6749 §5.1). A fresh pair's access
 * token lives the whole TTL; a pair replayed in the grace window says how long it has left.
 */
function tokenPair(res: Response, pair: IssuedPair, fresh: { ttlSeconds: number } | { replayedAt: Date }) {
  res.set({ 'Cache-Control': 'no-store', Pragma: 'no-cache' });
  const expiresIn =
    'replayedAt' in fresh
      ? Math.max(0, Math.ceil((pair.accessExpiresAtMs - fresh.replayedAt.getTime()) / 1000))
      : fresh.ttlSeconds;
  return {
    access_token: pair.accessToken,
    token_type: 'bearer' as const,
    expires_in: expiresIn,
    refresh_token: pair.refreshToken,
  };
}

const throttleResponse = {
  description: 'Too many failed attempts (see Retry-After)',
  headers: { 'Retry-After': { description: 'Seconds' } },
};

/** Registration, login, refresh, logout and the JWKS. */
export function authRouter(context: AuthContext, parts: AuthParts): ApiRouter {
  const api = new ApiRouter({ authenticate: context.authenticate });
  const { config, logger, clock } = context;
  const { users, passwords, loginThrottle, refreshTokens, keys, audit } = parts;
  const tokens: AccessTokenSettings = {
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
    ttlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
  };
  const issueAccessToken = accessTokenIssuer(keys, tokens);

  api.post(
    '/auth/register',
    {
      summary: 'Create an account',
      tags: ['auth'],
      auth: false,
      body: registerBody,
      responses: {
        201: {
          description: 'The new user',
          schema: userSchema,
          headers: { Location: { description: '/users/me, where the new user reads its profile' } },
        },
        409: { description: 'The e-mail or username is taken (errors name the field)' },
      },
    },
    async ({ body }, req, res) => {
      const user = await users.register(
        {
          email: body.email,
          username: body.username,
          passwordHash: await passwords.hash(body.password),
          baseCurrency: body.base_currency,
          timezone: body.timezone,
        },
        { origin: auditOrigin(req) },
      );
      res.location('/users/me');
      return presentUser(user);
    },
  );

  api.post(
    '/auth/login',
    {
      summary: 'Log in with e-mail or username and password',
      description:
        'Accepts JSON `{email | username, password}` or the OAuth2 password form (`username` may be an e-mail). ' +
        'Every attempt is counted before the password is checked, per account and client address (with ' +
        'exponential back-off), per account from addresses that never logged into it, and per address; ' +
        'an exhausted budget answers 429 with Retry-After. The e-mail and the username of an account share ' +
        'one budget. A correct password gives its attempt back.',
      tags: ['auth'],
      auth: false,
      body: loginBody,
      bodyMediaTypes: ['application/x-www-form-urlencoded'],
      responses: {
        200: { description: 'An access token and a refresh token', schema: tokenPairSchema },
        401: { description: 'Wrong credentials or inactive account' },
        429: throttleResponse,
      },
    },
    async ({ body }, req, res) => {
      if (body.email !== undefined && body.username !== undefined)
        throw badRequest('Give either email or username, not both', [
          { field: 'body.username', message: 'Give either email or username, not both' },
        ]);
      const identifier = (body.email ?? body.username)?.toLowerCase();
      if (!identifier)
        throw badRequest('email or username is required', [
          { field: 'body.username', message: 'email or username is required' },
        ]);
      const address = clientAddress(req);
      const by = body.email !== undefined || isEmailIdentifier(identifier) ? 'email' : 'username';
      const user = await users.findByLogin(by, identifier);

      // Counted before the password is checked, so parallel guesses cannot overtake the count.
      const origin = auditOrigin(req);
      const attempt = await loginThrottle.admit({
        userId: user?.id,
        identifier,
        clientIp: address,
        userAgent: origin.userAgent,
      });
      if (!attempt.allowed) throw tooManyAttempts(attempt.retryAfterSeconds);

      // Always one bcrypt comparison, against a dummy hash for unknown users: equal timing.
      const matches = await passwords.verify(body.password, user?.passwordHash);
      if (!user || !matches || !user.isActive) {
        const reason = !user ? 'unknown' : !matches ? 'password' : 'inactive';
        // The identifier itself is neither logged nor audited: it may be a mistyped password.
        logger.info({ clientIp: address, userId: user?.id, reason }, 'login failed');
        await audit.record({
          action: 'login.failed',
          subjectId: user?.id ?? null,
          origin,
          details: { reason },
        });
        throw unauthorized(BAD_CREDENTIALS);
      }
      await loginThrottle.succeeded(attempt);
      const refreshToken = await refreshTokens.startFamily(user);
      // The password was changed (or every session ended) while it was being checked.
      if (!refreshToken) throw unauthorized(BAD_CREDENTIALS);
      logger.info({ userId: user.id, clientIp: address }, 'login');
      await audit.record({ action: 'login.succeeded', subjectId: user.id, actorId: user.id, origin });
      const access = issueAccessToken(user, clock());
      const pair = { accessToken: access.token, accessExpiresAtMs: access.expiresAtMs, refreshToken };
      return tokenPair(res, pair, tokens);
    },
  );

  api.post(
    '/auth/refresh',
    {
      summary: 'Exchange a refresh token for a new token pair',
      description:
        'The presented token is used up. Presented again from the same client address within the grace ' +
        'window (REFRESH_REUSE_GRACE_SECONDS, 10 s by default) — two tabs refreshing at once, or a retry ' +
        'after a lost answer — it answers the very pair the first exchange issued (same access and refresh ' +
        'token; `expires_in` counts down), and the session lives on. Presented again at any other time or ' +
        'from another address, it revokes its whole family (RFC 9700 §4.14.2).',
      tags: ['auth'],
      auth: false,
      body: refreshBody,
      responses: {
        200: { description: 'A new access token and refresh token', schema: tokenPairSchema },
        401: { description: 'Invalid, expired, reused or revoked refresh token' },
      },
    },
    async ({ body }, req, res) => {
      const address = clientAddress(req);
      const result = await refreshTokens.rotate(body.refresh_token, {
        clientIp: address,
        issueAccessToken: (user, now) => {
          const access = issueAccessToken(user, now);
          return { token: access.token, expiresAtMs: access.expiresAtMs };
        },
      });
      if (result.outcome === 'reused') {
        logger.warn({ event: 'refresh.reuse', clientIp: address }, 'refresh token reused: family revoked');
        await audit.record({
          action: 'refresh-token.reuse-detected',
          subjectId: result.userId,
          origin: auditOrigin(req),
        });
      }
      if (result.outcome !== 'rotated' && result.outcome !== 'replayed') throw unauthorized(BAD_REFRESH);
      return tokenPair(res, result.pair, result.outcome === 'replayed' ? { replayedAt: clock() } : tokens);
    },
  );

  api.post(
    '/auth/logout',
    {
      summary: 'End the session of a refresh token',
      description:
        'Revokes the refresh token and every token of its family. Needs no access token, so a client whose ' +
        'access token expired can still log out. Unknown tokens are accepted silently. Access tokens already ' +
        'issued stay valid until they expire; POST /auth/logout-all ends them too.',
      tags: ['auth'],
      auth: false,
      body: refreshBody,
      responses: { 204: { description: 'Logged out' } },
    },
    async ({ body }) => {
      await refreshTokens.revokeFamilyOf(body.refresh_token);
      return undefined;
    },
  );

  api.post(
    '/auth/logout-all',
    {
      summary: 'End every session of the caller',
      description:
        'Raises the caller’s session version: every access token issued so far (this one included) is ' +
        'refused from now on — by auth at once, by the other services and the gateway within seconds — and ' +
        'every refresh token is revoked.',
      tags: ['auth'],
      // No fields: a body, if any, must be `{}` (an unknown field is a 400 like everywhere).
      body: logoutAllBody,
      responses: { 204: { description: 'Every session ended' } },
    },
    async ({ user }, req) => {
      await users.endAllSessions(user.id, actingAs(user.id, req));
      logger.info({ event: 'sessions.revoked', userId: user.id, reason: 'logout-all' }, 'logout-all');
      return undefined;
    },
  );

  api.get(
    '/.well-known/jwks.json',
    {
      summary: 'Public keys that verify access tokens',
      tags: ['auth'],
      auth: false,
      responses: { 200: { description: 'JSON Web Key Set', schema: jwksSchema } },
    },
    async (_input, _req, res) => {
      const current = await keys.fresh();
      // Caches may keep it briefly: verifiers refetch on an unknown kid anyway.
      res.set('Cache-Control', 'public, max-age=300');
      return current.jwks;
    },
  );

  return api;
}
