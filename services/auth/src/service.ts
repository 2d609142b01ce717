import express from 'express';
import { defineService } from '@finance/shared';
import { authConfigSchema, type AuthConfig } from './config';
import { authEntities } from './data/entities';
import { authMigrations } from './data/migrations';
import { adminRouter } from './http/admin-router';
import { authRouter } from './http/auth-router';
import { KeyRingVerifier } from './http/authenticate';
import { internalRouter } from './http/internal-router';
import { usersRouter } from './http/users-router';
import { setupAuth, type AuthParts } from './parts';

/**
 * Auth: accounts, login, token refresh, profile and user administration; the source of users
 * (`auth.user.*`). It consumes no events of its own (the shared user directory is kept from its
 * own `auth.user.*`, like everywhere).
 */
export default defineService<AuthConfig, AuthParts>({
  name: 'auth',
  configSchema: authConfigSchema,
  migrations: authMigrations,
  entities: authEntities,
  openapi: {
    title: 'Finance Tracker — auth',
    description: 'Accounts, login, token refresh, profile and user administration.',
  },
  // Its own tokens, checked against its own key ring, and sessions at the source: the users table.
  verifier: (context, { keys, users }) => {
    const { JWT_ISSUER: issuer, JWT_AUDIENCE: audience } = context.config;
    return new KeyRingVerifier(keys, { issuer, audience }, users, context.clock);
  },
  setup: setupAuth,
  // For the admin's GET /admin/stats (gathered by the gateway from /internal/stats).
  stats: (_context, { users }) => users.counts(),
  routes: (context, parts) => [
    authRouter(context, parts),
    usersRouter(context, parts),
    adminRouter(context, parts),
    internalRouter(context, parts),
  ],
  http: {
    // Swagger UI's Authorize posts the OAuth2 password form to /auth/login.
    before: [express.urlencoded({ extended: false, limit: '10kb', parameterLimit: 20 })],
  },
});
