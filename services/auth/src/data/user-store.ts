import type { DataSource, EntityManager } from 'typeorm';
import {
  conflict,
  eraseSentPayloadsOf,
  newId,
  notFound,
  type FieldError,
  pageInCreationOrder,
  type CreationCursor,
  uniqueViolation,
} from '@finance/shared';
import type { Role } from '../domain/profile';
import { userDeleted, userRegistered, userUpdated } from '../events/user-events';
import type { AuditAction, AuditContext, AuditEntry } from '../domain/audit';
import { recordAudit } from './audit-log';
import { User } from './entities';
import { revokeAllFamilies } from './refresh-token-store';
import { recordRevocation } from './session-revocations';

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

export interface UserFilter {
  /** Part of the e-mail address or username. */
  search?: string;
  role?: Role;
  isActive?: boolean;
}

/** Held (for its transaction) by every change of a role or an activation. */
const ADMIN_CHANGES_LOCK = 'finance-tracker:auth:admin-changes';

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
  const constraint = uniqueViolation(error)?.constraint;
  const field = constraint ? UNIQUE_FIELDS[constraint] : undefined;
  return field ? duplicate([field]) : (error as Error);
}

/**
 * The audit row of a change, written in its transaction. `selfActor`: with no actor given, the
 * user acted on their own account (a password change); otherwise the system did (the bootstrap).
 */
function auditRow(
  action: AuditAction,
  subjectId: string,
  context: AuditContext | undefined,
  selfActor: boolean,
  details?: AuditEntry['details'],
): AuditEntry {
  const actorId = context?.actorId !== undefined ? context.actorId : selfActor ? subjectId : null;
  return { action, subjectId, actorId, origin: context?.origin, details };
}

/**
 * Users and every change to them; each change writes its event in the same transaction. User ids
 * are UUIDv7 (`newId`): a service that meets the id of a user who registered a moment ago waits
 * for the registration event instead of answering 404 (ReadYourWrites).
 */
export class UserStore {
  constructor(
    private readonly dataSource: DataSource,
    /** "Now" for created/updated times, revocations and the events' occurredAt. */
    private readonly clock: () => Date,
  ) {}

  findById(id: string): Promise<User | null> {
    return this.dataSource.getRepository(User).findOneBy({ id });
  }

  /** What token verification needs, read fresh for every request (one primary-key lookup). */
  async sessionStateOf(id: string): Promise<{ isActive: boolean; sessionVersion: number } | undefined> {
    const [row]: Array<{ is_active: boolean; session_version: number }> = await this.dataSource.query(
      `SELECT is_active, session_version FROM users WHERE id = $1`,
      [id],
    );
    return row ? { isActive: row.is_active, sessionVersion: row.session_version } : undefined;
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

  async register(input: NewUser, audit?: AuditContext): Promise<User> {
    try {
      return await this.dataSource.transaction(async (manager) => {
        const taken = await this.takenFields(manager, input);
        if (taken.length) throw duplicate(taken);
        const now = this.clock();
        const user = manager.getRepository(User).create({
          id: newId(),
          ...input,
          role: input.role ?? 'user',
          isActive: true,
          version: 1,
          sessionVersion: 0,
          createdAt: now,
          updatedAt: now,
        });
        await manager.getRepository(User).insert(user);
        await userRegistered(manager, user);
        await recordAudit(
          manager,
          auditRow('user.registered', user.id, audit, true, { role: user.role }),
          now,
        );
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

  private async saveChanged(
    manager: EntityManager,
    user: User,
    now: Date,
    passwordHash?: string,
  ): Promise<void> {
    user.version += 1;
    user.updatedAt = now;
    if (passwordHash !== undefined) user.passwordHash = passwordHash;
    await manager.getRepository(User).update(
      { id: user.id },
      {
        email: user.email,
        username: user.username,
        passwordHash: user.passwordHash,
        baseCurrency: user.baseCurrency,
        timezone: user.timezone,
        role: user.role,
        isActive: user.isActive,
        version: user.version,
        sessionVersion: user.sessionVersion,
        updatedAt: user.updatedAt,
      },
    );
  }

  /**
   * Ends every session of the user, in the caller's transaction: a new session version (so every
   * access token issued before is refused), every refresh-token family revoked, and a row in the
   * revocation feed the gateway polls. The caller saves the user and writes its event.
   */
  private async bumpSessions(manager: EntityManager, user: User, reason: string, now: Date): Promise<void> {
    user.sessionVersion += 1;
    await revokeAllFamilies(manager, user.id, reason, now);
    await recordRevocation(manager, user.id, user.sessionVersion, now);
  }

  /** Applies the changed fields only; an update that changes nothing bumps no version and emits nothing. */
  async updateProfile(id: string, changes: ProfileChanges, audit?: AuditContext): Promise<User> {
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
        const now = this.clock();
        await this.saveChanged(manager, user, now);
        await userUpdated(manager, user);
        if (changed.includes('email'))
          await recordAudit(manager, auditRow('email.changed', id, audit, true), now);
        return user;
      });
    } catch (error) {
      throw asDuplicate(error);
    }
  }

  /** A new password ends every session (access and refresh tokens alike). */
  async changePassword(id: string, passwordHash: string, audit?: AuditContext): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const user = await this.lockUser(manager, id);
      const now = this.clock();
      await this.bumpSessions(manager, user, 'password-changed', now);
      await this.saveChanged(manager, user, now, passwordHash);
      await userUpdated(manager, user);
      await recordAudit(manager, auditRow('password.changed', id, audit, true), now);
    });
  }

  /** `POST /auth/logout-all`: every session of the user ends, the caller's own included. */
  async endAllSessions(id: string, audit?: AuditContext): Promise<User> {
    return this.dataSource.transaction(async (manager) => {
      const user = await this.lockUser(manager, id);
      const now = this.clock();
      await this.bumpSessions(manager, user, 'logout-all', now);
      await this.saveChanged(manager, user, now);
      await userUpdated(manager, user);
      await recordAudit(manager, auditRow('sessions.ended', id, audit, true), now);
      return user;
    });
  }

  /**
   * The deletion is a bump too: the revocation feed tells the gateway to refuse every token at
   * once. The user's events already published lose their payloads (e-mail, username…) in the same
   * transaction: the outbox keeps its rows a while for the relay, not the person's data. An event
   * still unsent is erased by the relay's prune once sent (auth's own consumer records the
   * deletion in `deleted_users` when auth.user.deleted comes back).
   */
  async delete(id: string, audit?: AuditContext): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const user = await this.lockUser(manager, id);
      const now = this.clock();
      await recordRevocation(manager, id, user.sessionVersion + 1, now);
      // Refresh-token families and known login addresses go with the row (ON DELETE CASCADE).
      await manager.getRepository(User).delete({ id });
      await eraseSentPayloadsOf(manager, id);
      await userDeleted(manager, user, now);
      await recordAudit(manager, auditRow('user.deleted', id, audit, true), now);
    });
  }

  /**
   * Role and activation, for admins. A role change or a deactivation ends every session: tokens
   * carry the role, and a deactivated user must be refused everywhere at once. The last active
   * admin can be neither demoted nor deactivated (409): changes of admins take turns (a
   * transaction-scoped advisory lock), so two admins demoting each other at once cannot both win.
   */
  async updateByAdmin(id: string, changes: AdminChanges, audit?: AuditContext): Promise<User> {
    return this.dataSource.transaction(async (manager) => {
      await manager.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [ADMIN_CHANGES_LOCK]);
      const user = await this.lockUser(manager, id);
      const roleChanged = changes.role !== undefined && changes.role !== user.role;
      const activeChanged = changes.isActive !== undefined && changes.isActive !== user.isActive;
      if (!roleChanged && !activeChanged) return user;
      const before = { role: user.role, isActive: user.isActive };
      const wasActiveAdmin = user.role === 'admin' && user.isActive;
      if (roleChanged) user.role = changes.role as Role;
      if (activeChanged) user.isActive = changes.isActive as boolean;
      if (wasActiveAdmin && !(user.role === 'admin' && user.isActive)) {
        const [{ others }]: Array<{ others: number }> = await manager.query(
          `SELECT count(*)::int AS others FROM users WHERE role = 'admin' AND is_active AND id <> $1`,
          [id],
        );
        if (others === 0)
          throw conflict('This is the last active admin; make another user admin first', [
            { field: activeChanged ? 'body.is_active' : 'body.role', message: 'Would leave no active admin' },
          ]);
      }
      const now = this.clock();
      if (roleChanged) await this.bumpSessions(manager, user, 'role-changed', now);
      else if (!user.isActive) await this.bumpSessions(manager, user, 'deactivated', now);
      await this.saveChanged(manager, user, now);
      await userUpdated(manager, user);
      if (roleChanged)
        await recordAudit(
          manager,
          auditRow('user.role-changed', id, audit, false, { from: before.role, to: user.role }),
          now,
        );
      if (activeChanged)
        await recordAudit(
          manager,
          auditRow(user.isActive ? 'user.reactivated' : 'user.deactivated', id, audit, false),
          now,
        );
      return user;
    });
  }

  /** `POST /admin/users/{id}/revoke-sessions`: like logout-all, on an admin's word. */
  async revokeSessions(id: string, audit?: AuditContext): Promise<User> {
    return this.dataSource.transaction(async (manager) => {
      const user = await this.lockUser(manager, id);
      const now = this.clock();
      await this.bumpSessions(manager, user, 'revoked-by-admin', now);
      await this.saveChanged(manager, user, now);
      await userUpdated(manager, user);
      await recordAudit(manager, auditRow('sessions.revoked-by-admin', id, audit, false), now);
      return user;
    });
  }

  /** For GET /admin/stats: every user, the active ones, the active admins. */
  async counts(): Promise<{ users: number; active_users: number; active_admins: number }> {
    const [row]: Array<{ users: number; active_users: number; active_admins: number }> = await this.dataSource
      .query(`SELECT count(*)::int AS users, (count(*) FILTER (WHERE is_active))::int AS active_users,
                (count(*) FILTER (WHERE is_active AND role = 'admin'))::int AS active_admins FROM users`);
    return row;
  }

  /** One page in creation order; `after` is the last (created_at, id) the client saw. */
  async page(limit: number, after?: CreationCursor, filter: UserFilter = {}): Promise<User[]> {
    const query = this.dataSource.getRepository(User).createQueryBuilder('u').where('true');
    // Both columns are stored lower-case; the search is a substring of either.
    if (filter.search !== undefined)
      query.andWhere(`(u.email LIKE :pattern OR u.username LIKE :pattern)`, {
        pattern: containsPattern(filter.search.toLowerCase()),
      });
    if (filter.role !== undefined) query.andWhere('u.role = :role', { role: filter.role });
    if (filter.isActive !== undefined) query.andWhere('u.is_active = :active', { active: filter.isActive });
    return pageInCreationOrder(query, 'u', { after, limit }).getMany();
  }
}

/** LIKE's own characters taken literally (PostgreSQL's default escape is the backslash). */
function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}
