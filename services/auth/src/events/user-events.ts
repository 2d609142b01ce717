import type { EntityManager } from 'typeorm';
import type { User } from '../data/entities';
import { publishEvent } from './backbone';

/** What other services learn about a user: ledger needs currency and zone, notifier the contact. */
function profileOf(user: User) {
  return {
    email: user.email,
    username: user.username,
    baseCurrency: user.baseCurrency,
    timezone: user.timezone,
    role: user.role,
    // Session versions arrive with the revocation work in auth (issue 12 item 2); until then every token is version 0.
    sessionVersion: 0,
    isActive: user.isActive,
  };
}

/** Written in the caller's transaction, so the event exists if and only if the change committed. */
export async function userRegistered(manager: EntityManager, user: User): Promise<void> {
  await publishEvent(manager, {
    type: 'auth.user.registered',
    userId: user.id,
    aggregateId: user.id,
    aggregateVersion: user.version,
    payload: profileOf(user),
  });
}

export async function userUpdated(manager: EntityManager, user: User): Promise<void> {
  await publishEvent(manager, {
    type: 'auth.user.updated',
    userId: user.id,
    aggregateId: user.id,
    aggregateVersion: user.version,
    payload: profileOf(user),
  });
}

/** The row is gone; the event carries the version its deletion would have had. */
export async function userDeleted(manager: EntityManager, user: User): Promise<void> {
  await publishEvent(manager, {
    type: 'auth.user.deleted',
    userId: user.id,
    aggregateId: user.id,
    aggregateVersion: user.version + 1,
    payload: {},
  });
}
