import type { EntityManager } from 'typeorm';
import { UserProfile } from './entities';

/** What the ledger needs to know about a user. */
export interface LedgerProfile {
  baseCurrency: string;
  timezone: string;
}

/**
 * Until auth.user.registered has been applied (a request racing the event right after sign-up),
 * a user is treated as USD / UTC: the same defaults auth gives a user who chose nothing.
 */
export const FALLBACK_PROFILE: LedgerProfile = { baseCurrency: 'USD', timezone: 'UTC' };

export async function profileOf(manager: EntityManager, userId: string): Promise<LedgerProfile> {
  const profile = await manager.findOneBy(UserProfile, { userId });
  return profile ? { baseCurrency: profile.baseCurrency, timezone: profile.timezone } : FALLBACK_PROFILE;
}

export async function saveProfile(
  manager: EntityManager,
  userId: string,
  profile: LedgerProfile,
): Promise<void> {
  await manager.query(
    `INSERT INTO user_profiles (user_id, base_currency, timezone, updated_at) VALUES ($1, $2, $3, now())
     ON CONFLICT (user_id) DO UPDATE SET base_currency = EXCLUDED.base_currency, timezone = EXCLUDED.timezone, updated_at = now()`,
    [userId, profile.baseCurrency, profile.timezone],
  );
}
