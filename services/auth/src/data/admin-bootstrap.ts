import type { Logger } from '@finance/shared';
import type { PasswordHasher } from '../domain/passwords';
import { email as emailSchema, newPassword, username as usernameSchema } from '../domain/profile';
import type { UserStore } from './user-store';

export interface AdminAccount {
  email: string;
  username: string;
  password: string;
}

export class AdminBootstrapError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AdminBootstrapError';
  }
}

/**
 * Makes sure an admin with this e-mail exists. Idempotent: a new account is created with the
 * admin role; an existing one is promoted (and reactivated) but keeps its password, so running
 * it at every start never overwrites a password the admin changed since.
 */
export async function ensureAdmin(
  account: AdminAccount,
  deps: { users: UserStore; passwords: PasswordHasher; logger?: Logger },
): Promise<'created' | 'promoted' | 'unchanged'> {
  const email = emailSchema.safeParse(account.email);
  if (!email.success) throw new AdminBootstrapError('admin e-mail is not a valid e-mail address');
  const username = usernameSchema.safeParse(account.username);
  if (!username.success)
    throw new AdminBootstrapError('admin username must be 3–32 characters of a–z 0–9 _ . -');
  const password = newPassword.safeParse(account.password);
  if (!password.success) throw new AdminBootstrapError('admin password must be 8–72 bytes');

  const existing = await deps.users.findByLogin('email', email.data);
  if (existing) {
    if (existing.role === 'admin' && existing.isActive) return 'unchanged';
    await deps.users.updateByAdmin(existing.id, { role: 'admin', isActive: true });
    deps.logger?.info({ userId: existing.id }, 'existing user promoted to admin');
    return 'promoted';
  }
  const byName = await deps.users.findByLogin('username', username.data);
  if (byName) throw new AdminBootstrapError(`username ${username.data} belongs to another account`);
  const user = await deps.users.register(
    {
      email: email.data,
      username: username.data,
      passwordHash: await deps.passwords.hash(password.data),
      baseCurrency: 'USD',
      timezone: 'UTC',
      role: 'admin',
      // The system acted (configuration or the CLI), not the new account.
    },
    { actorId: null },
  );
  deps.logger?.info({ userId: user.id }, 'admin account created');
  return 'created';
}

/**
 * Makes an existing account an admin (and active) — the way to the first admin for a user who
 * registered normally, without any password on a command line. The promotion ends the user's
 * sessions (a role change does), so they log in again to get an admin token.
 */
export async function promoteToAdmin(
  email: string,
  deps: { users: UserStore; logger?: Logger },
): Promise<'promoted' | 'unchanged'> {
  const parsed = emailSchema.safeParse(email);
  if (!parsed.success) throw new AdminBootstrapError('not a valid e-mail address');
  const user = await deps.users.findByLogin('email', parsed.data);
  if (!user) throw new AdminBootstrapError(`no account has the e-mail ${parsed.data}`);
  if (user.role === 'admin' && user.isActive) return 'unchanged';
  await deps.users.updateByAdmin(user.id, { role: 'admin', isActive: true }, { actorId: null });
  deps.logger?.info({ userId: user.id }, 'user promoted to admin');
  return 'promoted';
}
