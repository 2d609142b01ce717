import type { Request, Response } from 'express';
import { ApiRouter, HttpProblem, badRequest, unauthorized, type Logger } from '@finance/shared';
import { signAccessToken, type AccessTokenSettings } from '../domain/access-tokens';
import type { PasswordHasher } from '../domain/passwords';
import { isEmailIdentifier } from '../domain/profile';
import type { User } from '../data/entities';
import type { KeyRing } from '../data/key-ring';
import type { LoginFailures } from '../data/login-failures';
import type { RefreshTokenStore } from '../data/refresh-token-store';
import type { UserStore } from '../data/user-store';
import {
  jwksSchema,
  loginBody,
  presentUser,
  refreshBody,
  registerBody,
  tokenPairSchema,
  userSchema,
} from './schemas';

export interface AuthRouteDeps {
  users: UserStore;
  refreshTokens: RefreshTokenStore;
  loginFailures: LoginFailures;
  passwords: PasswordHasher;
  keys: KeyRing;
  tokens: AccessTokenSettings;
  logger: Logger;
}

/** One message for every failed login, so a client cannot tell which accounts exist or are disabled. */
const BAD_CREDENTIALS = 'Incorrect e-mail/username or password';
const BAD_REFRESH = 'The refresh token is invalid, expired or revoked';

export function clientAddress(req: Request): string {
  return req.ip ?? req.socket.remoteAddress ?? 'unknown';
}

export function tooManyAttempts(retryAfterSeconds: number): HttpProblem {
  return new HttpProblem(429, 'Too many failed attempts; try again later', {
    headers: { 'Retry-After': String(retryAfterSeconds) },
  });
}

/** Token answers must not be cached by anything in between (RFC 6749 §5.1). */
function tokenPair(res: Response, deps: AuthRouteDeps, user: User, refreshToken: string) {
  res.set({ 'Cache-Control': 'no-store', Pragma: 'no-cache' });
  const { token } = signAccessToken({ userId: user.id, role: user.role }, deps.keys.signingKey, deps.tokens);
  return {
    access_token: token,
    token_type: 'bearer' as const,
    expires_in: deps.tokens.ttlSeconds,
    refresh_token: refreshToken,
  };
}

export function addAuthRoutes(api: ApiRouter, deps: AuthRouteDeps): void {
  api.post(
    '/auth/register',
    {
      summary: 'Create an account',
      tags: ['auth'],
      auth: false,
      body: registerBody,
      responses: {
        201: { description: 'The new user', schema: userSchema },
        409: { description: 'The e-mail or username is taken (errors name the field)' },
      },
    },
    async ({ body }) => {
      const user = await deps.users.register({
        email: body.email,
        username: body.username,
        passwordHash: await deps.passwords.hash(body.password),
        baseCurrency: body.base_currency,
        timezone: body.timezone,
      });
      return presentUser(user);
    },
  );

  api.post(
    '/auth/login',
    {
      summary: 'Log in with e-mail or username and password',
      description:
        'Accepts JSON `{email | username, password}` or the OAuth2 password form (`username` may be an e-mail). ' +
        `Failed attempts are limited per account and per client address (429 with Retry-After).`,
      tags: ['auth'],
      auth: false,
      body: loginBody,
      bodyMediaTypes: ['application/x-www-form-urlencoded'],
      responses: {
        200: { description: 'An access token and a refresh token', schema: tokenPairSchema },
        401: { description: 'Wrong credentials or inactive account' },
        429: {
          description: 'Too many failed attempts',
          headers: { 'Retry-After': { description: 'Seconds' } },
        },
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
      const throttle = await deps.loginFailures.check(identifier, address);
      if (!throttle.allowed) {
        deps.logger.warn({ clientIp: address }, 'login throttled');
        throw tooManyAttempts(throttle.retryAfterSeconds);
      }

      const by = body.email !== undefined || isEmailIdentifier(identifier) ? 'email' : 'username';
      const user = await deps.users.findByLogin(by, identifier);
      // Always one bcrypt comparison, against a dummy hash for unknown users: equal timing.
      const matches = await deps.passwords.verify(body.password, user?.passwordHash);
      if (!user || !matches || !user.isActive) {
        await deps.loginFailures.record(identifier, address);
        // The identifier itself is not logged: it may be a mistyped password.
        deps.logger.info(
          {
            clientIp: address,
            userId: user?.id,
            reason: !user ? 'unknown' : !matches ? 'password' : 'inactive',
          },
          'login failed',
        );
        throw unauthorized(BAD_CREDENTIALS);
      }
      await deps.loginFailures.clear(identifier);
      deps.logger.info({ userId: user.id }, 'login');
      return tokenPair(res, deps, user, await deps.refreshTokens.startFamily(user.id));
    },
  );

  api.post(
    '/auth/refresh',
    {
      summary: 'Exchange a refresh token for a new token pair',
      description:
        'The presented token is used up. Presenting a used token again revokes its whole family (RFC 9700 §4.14.2).',
      tags: ['auth'],
      auth: false,
      body: refreshBody,
      responses: {
        200: { description: 'A new access token and refresh token', schema: tokenPairSchema },
        401: { description: 'Invalid, expired, reused or revoked refresh token' },
      },
    },
    async ({ body }, req, res) => {
      const result = await deps.refreshTokens.rotate(body.refresh_token);
      if (result.outcome === 'reused')
        deps.logger.warn({ clientIp: clientAddress(req) }, 'refresh token reused: family revoked');
      if (result.outcome !== 'rotated') throw unauthorized(BAD_REFRESH);
      return tokenPair(res, deps, result.user, result.refreshToken);
    },
  );

  api.post(
    '/auth/logout',
    {
      summary: 'End the session of a refresh token',
      description:
        'Revokes the refresh token and every token of its family. Needs no access token, so a client whose ' +
        'access token expired can still log out. Unknown tokens are accepted silently.',
      tags: ['auth'],
      auth: false,
      body: refreshBody,
      responses: { 204: { description: 'Logged out' } },
    },
    async ({ body }) => {
      await deps.refreshTokens.revokeFamilyOf(body.refresh_token);
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
      const keys = await deps.keys.fresh();
      // Caches may keep it briefly: verifiers refetch on an unknown kid anyway.
      res.set('Cache-Control', 'public, max-age=300');
      return keys.jwks;
    },
  );
}
