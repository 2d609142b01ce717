import { z } from 'zod';
import {
  ApiRouter,
  conflict,
  forbidden,
  notFound,
  pageSchema,
  paginationQuery,
  toPage,
  creationCursorOf,
  creationPosition,
} from '@finance/shared';
import type { UserStore } from '../data/user-store';
import type { AuthContext, AuthParts } from '../parts';
import { adminUpdateBody, adminUserParams, presentUser, userSchema } from './schemas';

/** The token's role may be up to one token lifetime old; a demoted admin is stopped here. */
async function requireCurrentAdmin(users: UserStore, id: string): Promise<void> {
  const caller = await users.findById(id);
  if (!caller || !caller.isActive || caller.role !== 'admin') throw forbidden('This needs the admin role');
}

/** User administration, for admins whose role is current (not only in their token). */
export function adminRouter(context: AuthContext, parts: AuthParts): ApiRouter {
  const api = new ApiRouter({ authenticate: context.authenticate });
  const { users } = parts;

  api.get(
    '/admin/users',
    {
      summary: 'List all users (admin)',
      tags: ['admin'],
      role: 'admin',
      query: z.object(paginationQuery),
      responses: {
        200: { description: 'A page of users, oldest first', schema: pageSchema(userSchema) },
        403: { description: 'The caller is not an admin' },
      },
    },
    async ({ query, user }) => {
      await requireCurrentAdmin(users, user.id);
      const after = creationCursorOf(query.cursor);
      const rows = await users.page(query.limit, after);
      return toPage(rows, query.limit, creationPosition, presentUser);
    },
  );

  api.patch(
    '/admin/users/:id',
    {
      summary: 'Activate, deactivate or change the role of a user (admin)',
      description:
        'Deactivating a user revokes all their refresh tokens. Admins cannot demote or deactivate themselves.',
      tags: ['admin'],
      role: 'admin',
      params: adminUserParams,
      body: adminUpdateBody,
      responses: {
        200: { description: 'The updated user', schema: userSchema },
        403: { description: 'The caller is not an admin' },
        404: { description: 'No such user' },
        409: { description: 'An admin tried to lock themselves out' },
      },
    },
    async ({ params, body, user }) => {
      await requireCurrentAdmin(users, user.id);
      if (params.id === user.id && (body.role === 'user' || body.is_active === false))
        throw conflict('Admins cannot demote or deactivate themselves; ask another admin');
      const target = await users.findById(params.id);
      if (!target) throw notFound('User');
      const updated = await users.updateByAdmin(params.id, {
        role: body.role,
        isActive: body.is_active,
      });
      return presentUser(updated);
    },
  );

  return api;
}
