import { ApiRouter, HttpProblem, unauthorized, type AuthenticatedUser } from '@finance/shared';
import type { PasswordHasher } from '../domain/passwords';
import type { LoginFailures } from '../data/login-failures';
import type { User } from '../data/entities';
import type { UserStore } from '../data/user-store';
import { clientAddress, tooManyAttempts } from './auth-routes';
import { changePasswordBody, deleteMeBody, presentUser, updateMeBody, userSchema } from './schemas';

export interface UserRouteDeps {
  users: UserStore;
  passwords: PasswordHasher;
  loginFailures: LoginFailures;
}

/** A valid token whose user was deleted or deactivated since it was issued no longer counts. */
async function currentUser(users: UserStore, caller: AuthenticatedUser): Promise<User> {
  const user = await users.findById(caller.id);
  if (!user || !user.isActive) throw unauthorized('The account no longer exists or is disabled');
  return user;
}

/**
 * Confirms the caller knows the password before a sensitive change. Wrong guesses count
 * towards the same throttle as logins, so a stolen access token cannot brute-force it.
 */
async function confirmPassword(
  deps: UserRouteDeps,
  user: User,
  password: string,
  field: string,
  address: string,
): Promise<void> {
  const key = `user:${user.id}`;
  const throttle = await deps.loginFailures.check(key, address);
  if (!throttle.allowed) throw tooManyAttempts(throttle.retryAfterSeconds);
  if (!(await deps.passwords.verify(password, user.passwordHash))) {
    await deps.loginFailures.record(key, address);
    throw new HttpProblem(403, 'The password is incorrect', {
      errors: [{ field: `body.${field}`, message: 'Incorrect password' }],
    });
  }
}

export function addUserRoutes(api: ApiRouter, deps: UserRouteDeps): void {
  api.get(
    '/users/me',
    {
      summary: 'The caller’s profile',
      tags: ['users'],
      responses: { 200: { description: 'The user', schema: userSchema } },
    },
    async ({ user }) => presentUser(await currentUser(deps.users, user)),
  );

  api.put(
    '/users/me',
    {
      summary: 'Change the caller’s profile',
      description:
        'Only email, username, base_currency and timezone may be set; any other field is rejected.',
      tags: ['users'],
      body: updateMeBody,
      responses: {
        200: { description: 'The updated user', schema: userSchema },
        409: { description: 'The e-mail or username is taken (errors name the field)' },
      },
    },
    async ({ body, user }) => {
      await currentUser(deps.users, user);
      const updated = await deps.users.updateProfile(user.id, {
        email: body.email,
        username: body.username,
        baseCurrency: body.base_currency,
        timezone: body.timezone,
      });
      return presentUser(updated);
    },
  );

  api.put(
    '/users/me/password',
    {
      summary: 'Change the caller’s password',
      description: 'Needs the current password. Ends every session: all refresh tokens are revoked.',
      tags: ['users'],
      body: changePasswordBody,
      responses: {
        204: { description: 'Changed' },
        403: { description: 'The current password is wrong' },
        429: { description: 'Too many wrong passwords' },
      },
    },
    async ({ body, user }, req) => {
      const me = await currentUser(deps.users, user);
      await confirmPassword(deps, me, body.current_password, 'current_password', clientAddress(req));
      await deps.users.changePassword(me.id, await deps.passwords.hash(body.new_password));
      return undefined;
    },
  );

  api.delete(
    '/users/me',
    {
      summary: 'Delete the caller’s account',
      description:
        'Needs the password. Other services purge the user’s data when they receive auth.user.deleted.',
      tags: ['users'],
      body: deleteMeBody,
      responses: {
        204: { description: 'Deleted' },
        403: { description: 'The password is wrong' },
        429: { description: 'Too many wrong passwords' },
      },
    },
    async ({ body, user }, req) => {
      const me = await currentUser(deps.users, user);
      await confirmPassword(deps, me, body.password, 'password', clientAddress(req));
      await deps.users.delete(me.id);
      return undefined;
    },
  );
}
