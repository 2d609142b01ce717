import express, { type Express } from 'express';
import type { DataSource } from 'typeorm';
import { ApiRouter, authenticate, createServiceApp, type Logger, type Readiness } from '@finance/shared';
import type { AuthConfig } from './config';
import { PasswordHasher } from './domain/passwords';
import type { KeyRing } from './data/key-ring';
import { LoginFailures } from './data/login-failures';
import { RefreshTokenStore } from './data/refresh-token-store';
import { UserStore } from './data/user-store';
import { addAdminRoutes } from './http/admin-routes';
import { addAuthRoutes } from './http/auth-routes';
import { KeyRingVerifier } from './http/authenticate';
import { addUserRoutes } from './http/user-routes';

export interface AuthDeps {
  config: AuthConfig;
  dataSource: DataSource;
  logger: Logger;
  readiness: Readiness;
  /** Activated before the app serves (main.ts and tests call `keys.activate()`). */
  keys: KeyRing;
}

/** Builds the auth service's express app; tests listen on port 0, main.ts on PORT. */
export function buildApp(deps: AuthDeps): Express {
  const { config, dataSource, keys } = deps;
  const users = new UserStore(dataSource);
  const refreshTokens = new RefreshTokenStore(dataSource, config.REFRESH_TOKEN_TTL_DAYS);
  const loginFailures = new LoginFailures(dataSource, {
    maxFailuresPerAccount: config.LOGIN_MAX_FAILURES,
    maxFailuresPerIp: config.LOGIN_MAX_FAILURES_PER_IP,
    windowMs: config.LOGIN_FAILURE_WINDOW_MINUTES * 60_000,
  });
  const passwords = new PasswordHasher(config.BCRYPT_ROUNDS);
  const settings = { issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE };

  const api = new ApiRouter({ authenticate: authenticate(new KeyRingVerifier(keys, settings)) });
  addAuthRoutes(api, {
    users,
    refreshTokens,
    loginFailures,
    passwords,
    keys,
    tokens: { ...settings, ttlSeconds: config.ACCESS_TOKEN_TTL_SECONDS },
    logger: deps.logger,
  });
  addUserRoutes(api, { users, passwords, loginFailures });
  addAdminRoutes(api, { users });

  return createServiceApp({
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
}
