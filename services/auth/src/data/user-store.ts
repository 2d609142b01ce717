import { randomUUID } from 'node:crypto';
import { QueryFailedError, type DataSource, type EntityManager } from 'typeorm';
import { conflict, notFound, type FieldError } from '@finance/shared';
import type { Role } from '../domain/profile';
import { userDeleted, userRegistered, userUpdated } from '../events/user-events';
import { User } from './entities';
import { revokeAllFamilies } from './refresh-token-store';

export interface NewUser {
  email: string;
  username: string;
  passwordHash: string;
  baseCurrency: string;
  timezone: string;
  role?: Role;
}

export type ProfileChanges = Partial<Pick<User, 'email' | 'username' | 'baseCurrency' | 'timezone'>>;
export type AdminChanges = Partial<Pick<User, 'isActive' | 'role'>>;

const UNIQUE_FIELDS: Record<string, 'email' | 'username'> = {
  users_email_key: 'email',
  users_username_key: 'username',
};

function duplicate(fields: Array<'email' | 'username'>): Error {
  const errors: FieldError[] = fields.map((field) => ({
    field: `body.${field}`,
    message: `This ${field === 'email' ? 'e-mail address' : 'username'} is already taken`,
  }));
  return conflict(`A user with this ${fields.join(' and ')} already exists`, errors);
}

/** Two requests can pass the pre-check together; the unique constraint decides, and names the field. */
function asDuplicate(error: unknown): Error {
  if (error instanceof QueryFailedError) {
    const driver = error.driverError as { code?: string; constraint?: string };
    const field = driver.code === '23505' && driver.constraint ? UNIQUE_FIELDS[driver.constraint] : undefined;
    if (field) return duplicate([field]);
  }
  return error as Error;
}

/** Users and every change to them; each change writes its event in the same transaction. */
export class UserStore {
  constructor(private readonly dataSource: DataSource) {}

  findById(id: string): Promise<User | null> {
    return this.dataSource.getRepository(User).findOneBy({ id });
  }

  /** By e-mail or username, both stored lower-case. */
  findByLogin(by: 'email' | 'username', value: string): Promise<User | null> {
    return this.dataSource.getRepository(User).findOneBy({ [by]: value.toLowerCase() });
  }

  private async takenFields(
    manager: EntityManager,
    wanted: { email?: string; username?: string },
    exceptId?: string,
  ): Promise<Array<'email' | 'username'>> {
    const taken: Array<'email' | 'username'> = [];
    for (const field of ['email', 'username'] as const) {
      const value = wanted[field];
      if (value === undefined) continue;
      const other = await manager.getRepository(User).findOneBy({ [field]: value });
      if (other && other.id !== exceptId) taken.push(field);
    }
    return taken;
  }

  async register(input: NewUser): Promise<User> {
    try {
      return await this.dataSource.transaction(async (manager) => {
        const taken = await this.takenFields(manager, input);
        if (taken.length) throw duplicate(taken);
        const now = new Date();
        const user = manager.getRepository(User).create({
          id: randomUUID(),
          ...input,
          role: input.role ?? 'user',
          isActive: true,
          version: 1,
          createdAt: now,
          updatedAt: now,
        });
        await manager.getRepository(User).insert(user);
        await userRegistered(manager, user);
        return user;
      });
    } catch (error) {
      throw asDuplicate(error);
    }
  }

  /** Locks the caller's row for a read-modify-write; a missing (deleted) user is a 404. */
  private async lockUser(manager: EntityManager, id: string): Promise<User> {
    const user = await manager
      .getRepository(User)
      .createQueryBuilder('u')
      .setLock('pessimistic_write')
      .where('u.id = :id', { id })
      .getOne();
    if (!user) throw notFound('User');
    return user;
  }

  private async saveChanged(manager: EntityManager, user: User): Promise<void> {
    user.version += 1;
    user.updatedAt = new Date();
    await manager.getRepository(User).update(
      { id: user.id },
      {
        email: user.email,
        username: user.username,
        baseCurrency: user.baseCurrency,
        timezone: user.timezone,
        role: user.role,
        isActive: user.isActive,
        version: user.version,
        updatedAt: user.updatedAt,
      },
    );
  }

  /** Applies the changed fields only; an update that changes nothing bumps no version and emits nothing. */
  async updateProfile(id: string, changes: ProfileChanges): Promise<User> {
    try {
      return await this.dataSource.transaction(async (manager) => {
        const user = await this.lockUser(manager, id);
        const changed = (Object.keys(changes) as Array<keyof ProfileChanges>).filter(
          (key) => changes[key] !== undefined && changes[key] !== user[key],
        );
        if (changed.length === 0) return user;
        const taken = await this.takenFields(
          manager,
          {
            email: changed.includes('email') ? changes.email : undefined,
            username: changed.includes('username') ? changes.username : undefined,
          },
          id,
        );
        if (taken.length) throw duplicate(taken);
        for (const key of changed) Object.assign(user, { [key]: changes[key] });
        await this.saveChanged(manager, user);
        await userUpdated(manager, user);
        return user;
      });
    } catch (error) {
      throw asDuplicate(error);
    }
  }

  /** A new password ends every session: all refresh-token families are revoked with it. */
  async changePassword(id: string, passwordHash: string): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      await this.lockUser(manager, id);
      await manager.getRepository(User).update({ id }, { passwordHash, updatedAt: new Date() });
      await revokeAllFamilies(manager, id, 'password-changed');
    });
  }

  async delete(id: string): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const user = await this.lockUser(manager, id);
      // Refresh-token families go with the row (ON DELETE CASCADE).
      await manager.getRepository(User).delete({ id });
      await userDeleted(manager, user);
    });
  }

  /** Role and activation, for admins. Deactivation also ends the user's sessions. */
  async updateByAdmin(id: string, changes: AdminChanges): Promise<User> {
    return this.dataSource.transaction(async (manager) => {
      const user = await this.lockUser(manager, id);
      const roleChanged = changes.role !== undefined && changes.role !== user.role;
      const activeChanged = changes.isActive !== undefined && changes.isActive !== user.isActive;
      if (!roleChanged && !activeChanged) return user;
      if (roleChanged) user.role = changes.role as Role;
      if (activeChanged) user.isActive = changes.isActive as boolean;
      await this.saveChanged(manager, user);
      if (activeChanged && !user.isActive) await revokeAllFamilies(manager, id, 'deactivated');
      await userUpdated(manager, user);
      return user;
    });
  }

  /** One page in creation order; `after` is the last (created_at, id) the client saw. */
  async page(limit: number, after?: { createdAt: string; id: string }): Promise<User[]> {
    const query = this.dataSource
      .getRepository(User)
      .createQueryBuilder('u')
      .orderBy('u.created_at', 'ASC')
      .addOrderBy('u.id', 'ASC')
      .limit(limit + 1);
    if (after)
      query.where('(u.created_at, u.id) > (CAST(:createdAt AS timestamptz), CAST(:id AS uuid))', after);
    return query.getMany();
  }
}
