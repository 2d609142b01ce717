import type { Request } from 'express';
import {
  ApiRouter,
  HttpProblem,
  badRequest,
  creationCursorOf,
  pageSchema,
  toPage,
  unauthorized,
  type AuthenticatedUser,
} from '@finance/shared';
import type { User } from '../data/entities';
import type { UserStore } from '../data/user-store';
import type { AuthContext, AuthParts } from '../parts';
import { actingAs, auditOrigin } from './audit-origin';
import { clientAddress, tooManyAttempts } from './auth-router';
import {
  auditPosition,
  changePasswordBody,
  deleteMeBody,
  presentSecurityEvent,
  presentUser,
  securityEventSchema,
  securityEventsQuery,
  updateMeBody,
  userSchema,
} from './schemas';

type PasswordCheckParts = Pick<AuthParts, 'passwords' | 'loginThrottle' | 'audit'>;

/** A valid token whose user was deleted or deactivated since it was issued no longer counts. */
async function currentUser(users: UserStore, caller: AuthenticatedUser): Promise<User> {
  const user = await users.findById(caller.id);
  if (!user || !user.isActive) throw unauthorized('The account no longer exists or is disabled');
  return user;
}

/**
 * Confirms the caller knows the password before a sensitive change. Each try is counted in the
 * same budget as logins of the account from that address, so a stolen access token cannot
 * brute-force it (and cannot lock the owner out from elsewhere either).
 */
async function confirmPassword(
  deps: PasswordCheckParts,
  user: User,
  password: string,
  field: string,
  req: Request,
): Promise<void> {
  const origin = auditOrigin(req);
  const attempt = await deps.loginThrottle.admit({
    userId: user.id,
    clientIp: clientAddress(req),
    userAgent: origin.userAgent,
  });
  if (!attempt.allowed) throw tooManyAttempts(attempt.retryAfterSeconds);
  if (!(await deps.passwords.verify(password, user.passwordHash))) {
    // A wrong password behind a valid token: audited like a failed login (a stolen token guessing).
    await deps.audit.record({
      action: 'login.failed',
      subjectId: user.id,
      actorId: user.id,
      origin,
      details: { reason: 'password', during: 'password-confirmation' },
    });
    throw new HttpProblem(403, 'The password is incorrect', {
      errors: [{ field: `body.${field}`, message: 'Incorrect password' }],
    });
  }
  await deps.loginThrottle.succeeded(attempt);
}

const passwordResponses = {
  403: { description: 'The password is wrong (errors name the field)' },
  429: { description: 'Too many wrong passwords', headers: { 'Retry-After': { description: 'Seconds' } } },
};

/** The caller's own account: profile, password, deletion. */
export function usersRouter(context: AuthContext, parts: AuthParts): ApiRouter {
  const api = new ApiRouter({ authenticate: context.authenticate });
  const { users, passwords } = parts;

  api.get(
    '/users/me',
    {
      summary: 'The caller’s profile',
      tags: ['users'],
      responses: { 200: { description: 'The user', schema: userSchema } },
    },
    async ({ user }) => presentUser(await currentUser(users, user)),
  );

  api.put(
    '/users/me',
    {
      summary: 'Change the caller’s profile',
      description:
        'Only email, username, base_currency and timezone may be set; any other field is rejected. ' +
        '**Changing the e-mail address needs `current_password`** (the e-mail is the login and contact ' +
        'identifier, so a stolen access token alone must not be able to take the account over): without it ' +
        '400 naming `body.current_password`, wrong 403, too many wrong tries 429 — as for the password ' +
        'change. A `current_password` given with any other change is checked too.',
      tags: ['users'],
      body: updateMeBody,
      responses: {
        200: { description: 'The updated user', schema: userSchema },
        400: { description: 'Invalid fields, or an e-mail change without current_password' },
        ...passwordResponses,
        409: { description: 'The e-mail or username is taken (errors name the field)' },
      },
    },
    async ({ body, user }, req) => {
      const me = await currentUser(users, user);
      const changesEmail = body.email !== undefined && body.email !== me.email;
      if (changesEmail && body.current_password === undefined)
        throw badRequest('Changing the e-mail address needs the current password', [
          { field: 'body.current_password', message: 'Required to change the e-mail address' },
        ]);
      if (body.current_password !== undefined)
        await confirmPassword(parts, me, body.current_password, 'current_password', req);
      const updated = await users.updateProfile(
        user.id,
        {
          email: body.email,
          username: body.username,
          baseCurrency: body.base_currency,
          timezone: body.timezone,
        },
        actingAs(user.id, req),
      );
      return presentUser(updated);
    },
  );

  api.get(
    '/users/me/security-events',
    {
      summary: 'The caller’s security events',
      description:
        'What the audit log holds about the caller’s account, newest first: logins and failed logins, ' +
        'lock-outs, password and e-mail changes, ended sessions, refresh-token reuse, and what an admin did ' +
        '(`initiated_by`: `self`, `admin` or `system`), with the client address and user agent. Filter by ' +
        '`action` and period; keyset pagination.',
      tags: ['users'],
      query: securityEventsQuery,
      responses: {
        200: { description: 'A page of events, newest first', schema: pageSchema(securityEventSchema) },
      },
    },
    async ({ query, user }) => {
      const me = await currentUser(users, user);
      const rows = await parts.audit.page(
        { subjectId: me.id, action: query.action, from: query.from, to: query.to },
        query.limit,
        creationCursorOf(query.cursor),
      );
      return toPage(rows, query.limit, auditPosition, presentSecurityEvent);
    },
  );

  api.put(
    '/users/me/password',
    {
      summary: 'Change the caller’s password',
      description:
        'Needs the current password; the new one must differ from it (400 naming `body.new_password`). ' +
        'Ends every session: every access token issued so far is refused and every refresh token revoked.',
      tags: ['users'],
      body: changePasswordBody,
      responses: {
        204: { description: 'Changed' },
        400: { description: 'Invalid fields, or the new password is the current one' },
        ...passwordResponses,
      },
    },
    async ({ body, user }, req) => {
      const me = await currentUser(users, user);
      await confirmPassword(parts, me, body.current_password, 'current_password', req);
      // Compared with bcrypt, not as strings: what counts is what bcrypt would accept.
      if (await passwords.verify(body.new_password, me.passwordHash))
        throw badRequest('The new password must differ from the current one', [
          { field: 'body.new_password', message: 'Must differ from the current password' },
        ]);
      await users.changePassword(me.id, await passwords.hash(body.new_password), actingAs(me.id, req));
      return undefined;
    },
  );

  api.delete(
    '/users/me',
    {
      summary: 'Delete the caller’s account',
      description:
        'Needs the password. Every token of the user is refused from now on; other services purge the ' +
        'user’s data when they receive auth.user.deleted.',
      tags: ['users'],
      body: deleteMeBody,
      responses: {
        204: { description: 'Deleted' },
        ...passwordResponses,
      },
    },
    async ({ body, user }, req) => {
      const me = await currentUser(users, user);
      await confirmPassword(parts, me, body.password, 'password', req);
      await users.delete(me.id, actingAs(me.id, req));
      return undefined;
    },
  );

  return api;
}
