import type { EntityManager } from 'typeorm';
import { publishEvent } from '@finance/shared';
import type { User } from '../data/entities';

/**
 * What other services learn about a user: ledger needs currency and zone, notifier the contact,
 * every verifier the session version and activation (token revocation).
 */
function profileOf(user: User) {
  return {
    email: user.email,
    username: user.username,
    baseCurrency: user.baseCurrency,
    timezone: user.timezone,
    role: user.role,
    // Consumers refuse tokens whose `sv` is below this, and every token of an inactive user.
    sessionVersion: user.sessionVersion,
    isActive: user.isActive,
  };
}

/**
 * Written in the caller's transaction, so the event exists if and only if the change committed;
 * `occurredAt` is the change's time on the service's clock.
 */
export async function userRegistered(manager: EntityManager, user: User): Promise<void> {
  await publishEvent(manager, {
    type: 'auth.user.registered',
    userId: user.id,
    aggregateId: user.id,
    aggregateVersion: user.version,
    occurredAt: user.createdAt.toISOString(),
    payload: profileOf(user),
  });
}

export async function userUpdated(manager: EntityManager, user: User): Promise<void> {
  await publishEvent(manager, {
    type: 'auth.user.updated',
    userId: user.id,
    aggregateId: user.id,
    aggregateVersion: user.version,
    occurredAt: user.updatedAt.toISOString(),
    payload: profileOf(user),
  });
}

/** The row is gone; the event carries the version its deletion would have had. */
export async function userDeleted(manager: EntityManager, user: User, at: Date): Promise<void> {
  await publishEvent(manager, {
    type: 'auth.user.deleted',
    userId: user.id,
    aggregateId: user.id,
    aggregateVersion: user.version + 1,
    occurredAt: at.toISOString(),
    payload: {},
  });
}
