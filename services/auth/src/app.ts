import express, { type Express } from 'express';
import type { DataSource } from 'typeorm';
import { ApiRouter, authenticate, createServiceApp, type Logger, type Readiness } from '@finance/shared';
import type { AuthConfig } from './config';
import { PasswordHasher } from './domain/passwords';
import type { KeyRing } from './data/key-ring';
import { LoginThrottle } from './data/login-throttle';
import { RefreshTokenStore } from './data/refresh-token-store';
import { SessionRevocationFeed } from './data/session-revocations';
import { UserStore } from './data/user-store';
import { addAdminRoutes } from './http/admin-routes';
import { addAuthRoutes } from './http/auth-routes';
import { KeyRingVerifier } from './http/authenticate';
import { addInternalRoutes } from './http/internal-routes';
import { addUserRoutes } from './http/user-routes';

export interface AuthDeps {
  config: AuthConfig;
  dataSource: DataSource;
  logger: Logger;
  readiness: Readiness;
  /** Activated before the app serves (main.ts and tests call `keys.activate()`). */
  keys: KeyRing;
}

/**
 * The stateful parts of the service, each built once: the app serves with them, and main.ts
 * warms up, bootstraps and housekeeps with the very same instances (a second PasswordHasher
 * would be warmed up for nothing while the serving one computes its dummy hash on a login).
 */
export interface AuthParts {
  users: UserStore;
  refreshTokens: RefreshTokenStore;
  loginThrottle: LoginThrottle;
  passwords: PasswordHasher;
  revocations: SessionRevocationFeed;
}

export function buildAuthParts(deps: Omit<AuthDeps, 'readiness' | 'keys'>): AuthParts {
  const { config, dataSource } = deps;
  const bucket = (limit: number) => ({
    limit,
    windowMs: config.LOGIN_FAILURE_WINDOW_MINUTES * 60_000,
    backoffBaseMs: config.LOGIN_BACKOFF_BASE_SECONDS * 1000,
    backoffMaxMs: config.LOGIN_BACKOFF_MAX_SECONDS * 1000,
  });
  return {
    users: new UserStore(dataSource),
    refreshTokens: new RefreshTokenStore(
      dataSource,
      config.REFRESH_TOKEN_TTL_DAYS,
      config.REFRESH_REUSE_GRACE_SECONDS * 1000,
    ),
    loginThrottle: new LoginThrottle(
      dataSource,
      {
        buckets: {
          pair: bucket(config.LOGIN_MAX_FAILURES),
          account: bucket(config.LOGIN_MAX_FAILURES_PER_ACCOUNT),
          address: bucket(config.LOGIN_MAX_FAILURES_PER_IP),
        },
        knownAddressDays: config.LOGIN_KNOWN_ADDRESS_DAYS,
      },
      deps.logger,
    ),
    passwords: new PasswordHasher(config.BCRYPT_ROUNDS),
    // Longer than any access token lives (plus clock skew): an older row can stop no valid token.
    revocations: new SessionRevocationFeed(dataSource, config.ACCESS_TOKEN_TTL_SECONDS + 60),
  };
}

/** Builds the auth service's express app on the given parts (or fresh ones); tests listen on port 0, main.ts on PORT. */
export function buildAuth(deps: AuthDeps & { parts?: AuthParts }): { app: Express; parts: AuthParts } {
  const { config, keys } = deps;
  const parts = deps.parts ?? buildAuthParts(deps);
  const settings = { issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE };

  const api = new ApiRouter({
    authenticate: authenticate(new KeyRingVerifier(keys, settings, parts.users)),
  });
  addAuthRoutes(api, {
    ...parts,
    keys,
    tokens: { ...settings, ttlSeconds: config.ACCESS_TOKEN_TTL_SECONDS },
    logger: deps.logger,
  });
  addUserRoutes(api, parts);
  addAdminRoutes(api, parts);
  addInternalRoutes(api, parts);

  const app = createServiceApp({
    logger: deps.logger,
    readiness: deps.readiness,
    openapi: {
      title: 'Finance Tracker — auth',
      version: '1.0.0',
      description: 'Accounts, login, token refresh, profile and user administration.',
    },
    routers: [api],
    // Swagger UI's Authorize posts the OAuth2 password form to /auth/login.
    before: [express.urlencoded({ extended: false, limit: '10kb', parameterLimit: 20 })],
  });
  return { app, parts };
}

/** The app alone, on parts of its own (tests that need nothing else). */
export function buildApp(deps: AuthDeps): Express {
  return buildAuth(deps).app;
}
