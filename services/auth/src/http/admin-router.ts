import {
  ApiRouter,
  conflict,
  forbidden,
  notFound,
  pageSchema,
  toPage,
  creationCursorOf,
  creationPosition,
} from '@finance/shared';
import type { UserStore } from '../data/user-store';
import { actingAs } from './audit-origin';
import type { AuthContext, AuthParts } from '../parts';
import {
  adminAuditQuery,
  adminUpdateBody,
  adminUserParams,
  auditEventSchema,
  auditPosition,
  presentAuditEvent,
  adminUsersQuery,
  logoutAllBody,
  presentUser,
  userSchema,
} from './schemas';

/** The token's role may be up to one token lifetime old; a demoted admin is stopped here. */
async function requireCurrentAdmin(users: UserStore, id: string): Promise<void> {
  const caller = await users.findById(id);
  if (!caller || !caller.isActive || caller.role !== 'admin') throw forbidden('This needs the admin role');
}

/** User administration, for admins whose role is current (not only in their token). */
export function adminRouter(context: AuthContext, parts: AuthParts): ApiRouter {
  const api = new ApiRouter({ authenticate: context.authenticate });
  const { users, audit } = parts;

  api.get(
    '/admin/users',
    {
      summary: 'List all users (admin)',
      tags: ['admin'],
      role: 'admin',
      description:
        'Search with `q` (part of the e-mail address or username, case-insensitive) and filter by `role` and ' +
        '`is_active`; the filters combine. Keyset pagination: pass `next_cursor` back as `cursor` with the same filters.',
      query: adminUsersQuery,
      responses: {
        200: { description: 'A page of users, oldest first', schema: pageSchema(userSchema) },
        403: { description: 'The caller is not an admin' },
      },
    },
    async ({ query, user }) => {
      await requireCurrentAdmin(users, user.id);
      const after = creationCursorOf(query.cursor);
      const rows = await users.page(query.limit, after, {
        search: query.q,
        role: query.role,
        isActive: query.is_active,
      });
      return toPage(rows, query.limit, creationPosition, presentUser);
    },
  );

  api.get(
    '/admin/users/:id',
    {
      summary: 'One user (admin)',
      tags: ['admin'],
      role: 'admin',
      params: adminUserParams,
      responses: {
        200: { description: 'The user', schema: userSchema },
        403: { description: 'The caller is not an admin' },
        404: { description: 'No such user' },
      },
    },
    async ({ params, user }) => {
      await requireCurrentAdmin(users, user.id);
      const target = await users.findById(params.id);
      if (!target) throw notFound('User');
      return presentUser(target);
    },
  );

  api.patch(
    '/admin/users/:id',
    {
      summary: 'Activate, deactivate or change the role of a user (admin)',
      description:
        'A deactivation or a role change ends every session of the user at once (access tokens are refused by ' +
        'every service within seconds, refresh tokens revoked). Admins cannot demote or deactivate themselves, ' +
        'and the last active admin cannot be demoted or deactivated (409).',
      tags: ['admin'],
      role: 'admin',
      params: adminUserParams,
      body: adminUpdateBody,
      responses: {
        200: { description: 'The updated user', schema: userSchema },
        403: { description: 'The caller is not an admin' },
        404: { description: 'No such user' },
        409: { description: 'An admin tried to lock themselves out, or it is the last active admin' },
      },
    },
    async ({ params, body, user }, req) => {
      await requireCurrentAdmin(users, user.id);
      if (params.id === user.id && (body.role === 'user' || body.is_active === false))
        throw conflict('Admins cannot demote or deactivate themselves; ask another admin');
      const target = await users.findById(params.id);
      if (!target) throw notFound('User');
      const updated = await users.updateByAdmin(
        params.id,
        { role: body.role, isActive: body.is_active },
        actingAs(user.id, req),
      );
      return presentUser(updated);
    },
  );

  api.get(
    '/admin/audit',
    {
      summary: 'The audit log (admin)',
      description:
        'Security-relevant actions, newest first: logins, failed logins, lock-outs, password and e-mail changes, ' +
        'refresh-token reuse, ended sessions, role changes, deactivations and every admin action — who ' +
        '(`actor_id`), whom (`user_id`), what, when, and from where (client address as the gateway saw it, ' +
        'user agent). Append-only; kept AUDIT_RETENTION_DAYS. Filters combine; keyset pagination.',
      tags: ['admin'],
      role: 'admin',
      query: adminAuditQuery,
      responses: {
        200: { description: 'A page of audit events, newest first', schema: pageSchema(auditEventSchema) },
        403: { description: 'The caller is not an admin' },
      },
    },
    async ({ query, user }) => {
      await requireCurrentAdmin(users, user.id);
      const rows = await audit.page(
        {
          actorId: query.actor_id,
          subjectId: query.user_id,
          action: query.action,
          from: query.from,
          to: query.to,
        },
        query.limit,
        creationCursorOf(query.cursor),
      );
      return toPage(rows, query.limit, auditPosition, presentAuditEvent);
    },
  );

  api.post(
    '/admin/users/:id/revoke-sessions',
    {
      summary: 'End every session of a user (admin)',
      description:
        'Like the user’s own logout-all: their access tokens are refused by every service within seconds and ' +
        'every refresh token is revoked. The account stays active: the user may log in again.',
      tags: ['admin'],
      role: 'admin',
      params: adminUserParams,
      // No fields: a body, if any, must be `{}`.
      body: logoutAllBody,
      responses: {
        204: { description: 'Every session of the user has ended' },
        403: { description: 'The caller is not an admin' },
        404: { description: 'No such user' },
      },
    },
    async ({ params, user }, req) => {
      await requireCurrentAdmin(users, user.id);
      await users.revokeSessions(params.id, actingAs(user.id, req));
      return undefined;
    },
  );

  return api;
}
