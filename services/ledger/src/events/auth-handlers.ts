import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { In } from 'typeorm';
import { acceptAggregateVersion, type EventConsumer, type FinanceEvent } from '@finance/shared';
import { Category } from '../data/entities';
import { saveProfile } from '../data/profiles';
import { DEFAULT_CATEGORIES } from '../domain/categories';
import { publishCategoryChange } from './publish';

/** Copies the base currency and timezone; skips an update older than what is already applied. */
async function applyProfile(
  event: FinanceEvent<'auth.user.registered' | 'auth.user.updated'>,
  manager: EntityManager,
) {
  if (!(await acceptAggregateVersion(manager, event))) return false;
  await saveProfile(manager, event.userId, {
    baseCurrency: event.payload.baseCurrency,
    timezone: event.payload.timezone,
  });
  return true;
}

/**
 * A new user gets a profile and the default categories (names they already made are kept).
 * If a newer auth.user.updated overtook this event, the profile stays as it is but the
 * categories are still created; if the user was deleted meanwhile (no profile), nothing is.
 */
export async function onUserRegistered(
  event: FinanceEvent<'auth.user.registered'>,
  manager: EntityManager,
): Promise<void> {
  if (!(await applyProfile(event, manager))) {
    const profiles: unknown[] = await manager.query(`SELECT 1 FROM user_profiles WHERE user_id = $1`, [
      event.userId,
    ]);
    if (profiles.length === 0) return;
  }
  const now = new Date();
  const inserted: Array<{ id: string }> = [];
  for (const d of DEFAULT_CATEGORIES) {
    const rows: Array<{ id: string }> = await manager.query(
      `INSERT INTO categories (id, user_id, name, color, icon, kind, parent_id, version, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, NULL, 1, $7, $7)
       ON CONFLICT (user_id, lower(name)) DO NOTHING RETURNING id`,
      [randomUUID(), event.userId, d.name, d.color, d.icon, d.kind, now],
    );
    inserted.push(...rows);
  }
  for (const category of await manager.findBy(Category, { id: In(inserted.map((r) => r.id)) }))
    await publishCategoryChange(manager, 'created', category);
}

export async function onUserUpdated(
  event: FinanceEvent<'auth.user.updated'>,
  manager: EntityManager,
): Promise<void> {
  await applyProfile(event, manager);
}

/**
 * Removes everything the ledger holds for the user. No per-row events: every consumer purges
 * on the same auth.user.deleted.
 */
export async function onUserDeleted(
  event: FinanceEvent<'auth.user.deleted'>,
  manager: EntityManager,
): Promise<void> {
  await acceptAggregateVersion(manager, event);
  const userId = event.userId;
  await manager.query(`DELETE FROM transactions WHERE user_id = $1`, [userId]);
  await manager.query(`DELETE FROM categories WHERE user_id = $1`, [userId]);
  await manager.query(`DELETE FROM accounts WHERE user_id = $1`, [userId]);
  await manager.query(`DELETE FROM idempotency_keys WHERE user_id = $1`, [userId]);
  await manager.query(`DELETE FROM user_profiles WHERE user_id = $1`, [userId]);
}

export function registerAuthHandlers(consumer: EventConsumer): EventConsumer {
  return consumer
    .on('auth.user.registered', onUserRegistered)
    .on('auth.user.updated', onUserUpdated)
    .on('auth.user.deleted', onUserDeleted);
}
