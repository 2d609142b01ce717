import { z } from 'zod';
import {
  baseCurrency,
  email,
  newPassword,
  presentedPassword,
  roles,
  timeZone,
  username,
} from '../domain/profile';
import type { User } from '../data/entities';

export const userSchema = z
  .object({
    id: z.uuid(),
    email: z.string(),
    username: z.string(),
    role: z.enum(roles),
    base_currency: z.string(),
    timezone: z.string(),
    is_active: z.boolean(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .meta({ id: 'User' });

export type UserBody = z.infer<typeof userSchema>;

/** The wire form of a user: snake_case, and never the password hash. */
export function presentUser(user: User): UserBody {
  return {
    id: user.id,
    email: user.email,
    username: user.username,
    role: user.role,
    base_currency: user.baseCurrency,
    timezone: user.timezone,
    is_active: user.isActive,
    created_at: user.createdAt.toISOString(),
    updated_at: user.updatedAt.toISOString(),
  };
}

export const registerBody = z.object({
  email,
  username,
  password: newPassword,
  base_currency: baseCurrency.default('USD'),
  timezone: timeZone.default('UTC'),
});

/**
 * JSON `{email | username, password}` or the OAuth2 password form Swagger UI's Authorize sends
 * (`username` may hold an e-mail; `grant_type`, `scope`, `client_id` are accepted and ignored).
 */
export const loginBody = z.object({
  email: z.string().trim().min(1).max(254).optional(),
  username: z.string().trim().min(1).max(254).optional(),
  password: presentedPassword,
  grant_type: z.literal('password').optional(),
  scope: z.string().max(1024).optional(),
  client_id: z.string().max(256).optional(),
  client_secret: z.string().max(256).optional(),
});

export const tokenPairSchema = z
  .object({
    access_token: z.string(),
    token_type: z.literal('bearer'),
    expires_in: z.number().int().meta({ description: 'Seconds until the access token expires' }),
    refresh_token: z.string(),
  })
  .meta({ id: 'TokenPair' });

const refreshToken = z.string().min(1).max(512).meta({ description: 'The opaque refresh token' });
export const refreshBody = z.object({ refresh_token: refreshToken });

export const updateMeBody = z.object({
  email: email.optional(),
  username: username.optional(),
  base_currency: baseCurrency.optional(),
  timezone: timeZone.optional(),
});

export const changePasswordBody = z.object({
  current_password: presentedPassword,
  new_password: newPassword,
});

export const deleteMeBody = z.object({ password: presentedPassword });

export const adminUserParams = z.object({ id: z.uuid() });

export const adminUpdateBody = z.object({
  is_active: z.boolean().optional(),
  role: z.enum(roles).optional(),
});

export const jwksSchema = z
  .object({
    keys: z.array(
      z.object({
        kty: z.string(),
        n: z.string(),
        e: z.string(),
        kid: z.string(),
        use: z.literal('sig'),
        alg: z.literal('RS256'),
      }),
    ),
  })
  .meta({ id: 'JsonWebKeySet' });
