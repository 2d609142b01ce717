import { z } from 'zod';
import {
  DATE_DOMAIN,
  isInDateDomain,
  paginationQuery,
  singleLineText,
  type CreationCursor,
} from '@finance/shared';
import {
  baseCurrency,
  email,
  newPassword,
  presentedPassword,
  roles,
  timeZone,
  username,
} from '../domain/profile';
import type { AuditEvent } from '../data/audit-log';
import type { User } from '../data/entities';
import { AUDIT_ACTIONS, initiatorOf } from '../domain/audit';

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

export const logoutAllBody = z.object({});

const refreshToken = z.string().min(1).max(512).meta({ description: 'The opaque refresh token' });
export const refreshBody = z.object({ refresh_token: refreshToken });

export const updateMeBody = z.object({
  email: email.optional().meta({ description: 'A new e-mail address needs `current_password` too' }),
  username: username.optional(),
  base_currency: baseCurrency.optional(),
  timezone: timeZone.optional(),
  current_password: presentedPassword
    .meta({ format: 'password', description: 'Required when the e-mail address changes' })
    .optional(),
});

export const changePasswordBody = z.object({
  current_password: presentedPassword,
  new_password: newPassword,
});

export const deleteMeBody = z.object({ password: presentedPassword });

export const adminUserParams = z.object({ id: z.uuid() });

const queryBoolean = z
  .enum(['true', 'false'])
  .transform((value) => value === 'true')
  .optional();

export const adminUsersQuery = z.object({
  ...paginationQuery,
  q: singleLineText({ max: 254 })
    .optional()
    .meta({ description: 'Part of the e-mail address or username (case-insensitive)' }),
  role: z.enum(roles).optional(),
  is_active: queryBoolean.meta({ description: '`true`: active users only; `false`: deactivated only' }),
});

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

/** `after`: a non-negative integer, small enough to be exact as a JSON number. */
export const revocationFeedQuery = z.object({
  after: z
    .string()
    .regex(/^\d{1,16}$/, { message: 'Must be a non-negative integer' })
    .transform(Number)
    .refine(Number.isSafeInteger, { message: 'Must be a non-negative integer' })
    .optional()
    .meta({ description: 'The last seq already seen; omitted: every retained row' }),
});

export const revocationFeedSchema = z
  .object({
    revocations: z.array(
      z.object({
        seq: z.number().int(),
        user_id: z.uuid(),
        session_version: z.number().int().meta({
          description: 'From now on, access tokens of user_id whose `sv` claim is lower are invalid',
        }),
        at: z.string().meta({ description: 'ISO 8601 instant of the bump' }),
      }),
    ),
    last_seq: z.number().int().meta({
      description:
        'The last row’s seq, or `after` (or the current seq) when there is none: pass it as `after`',
    }),
    retention_seconds: z.number().int().meta({
      description: 'Rows are kept this long (access-token lifetime + 60 s)',
    }),
  })
  .meta({ id: 'SessionRevocations' });

const auditFields = {
  id: z.uuid(),
  at: z.string().meta({ description: 'ISO 8601 instant' }),
  action: z.enum(AUDIT_ACTIONS),
  client_ip: z.string().nullable().meta({ description: 'The client address as the gateway saw it' }),
  user_agent: z.string().nullable(),
  details: z.record(z.string(), z.unknown()).meta({
    description:
      'Facts of the action: a role change’s `from`/`to`, a failed login’s `reason`, a lock-out’s `scope`…',
  }),
};

export const auditEventSchema = z
  .object({
    ...auditFields,
    actor_id: z
      .uuid()
      .nullable()
      .meta({ description: 'Who acted; null: the system, or nobody known (a failed login)' }),
    user_id: z.uuid().nullable().meta({ description: 'The user the action concerns' }),
  })
  .meta({ id: 'AuditEvent' });

export const securityEventSchema = z
  .object({
    ...auditFields,
    initiated_by: z.enum(['self', 'admin', 'system']).meta({
      description:
        '`self`: you; `admin`: an administrator; `system`: no known actor (a failed login, a lock-out, the bootstrap)',
    }),
  })
  .meta({ id: 'SecurityEvent' });

export function presentAuditEvent(event: AuditEvent): z.infer<typeof auditEventSchema> {
  return {
    id: event.id,
    at: event.at.toISOString(),
    action: event.action,
    actor_id: event.actorId,
    user_id: event.subjectId,
    client_ip: event.clientIp,
    user_agent: event.userAgent,
    details: event.details,
  };
}

export function presentSecurityEvent(event: AuditEvent): z.infer<typeof securityEventSchema> {
  return {
    id: event.id,
    at: event.at.toISOString(),
    action: event.action,
    initiated_by: initiatorOf(event.actorId, event.subjectId),
    client_ip: event.clientIp,
    user_agent: event.userAgent,
    details: event.details,
  };
}

/** An ISO 8601 instant with its offset, inside the one date domain every service accepts. */
const instant = z.iso
  .datetime({ offset: true })
  .refine((text) => !Number.isNaN(Date.parse(text)) && isInDateDomain(text.slice(0, 10)), {
    message: `Must be an ISO 8601 date-time from ${DATE_DOMAIN.min} to ${DATE_DOMAIN.max}`,
  })
  .transform((text) => new Date(text));

const auditPeriod = {
  from: instant.optional().meta({ description: 'From this instant (inclusive, ISO 8601)' }),
  to: instant.optional().meta({ description: 'Until this instant (exclusive, ISO 8601)' }),
};

export const securityEventsQuery = z.object({
  ...paginationQuery,
  action: z.enum(AUDIT_ACTIONS).optional(),
  ...auditPeriod,
});

export const adminAuditQuery = z.object({
  ...paginationQuery,
  actor_id: z.uuid().optional().meta({ description: 'Who acted' }),
  user_id: z.uuid().optional().meta({ description: 'The user concerned' }),
  action: z.enum(AUDIT_ACTIONS).optional(),
  ...auditPeriod,
});

/** Audit lists continue after the last (at, id) seen, newest first. */
export function auditPosition(event: AuditEvent): CreationCursor {
  return { c: event.at.toISOString(), id: event.id };
}
