import { awaitUserKnown, type ServiceContext, type UserSettings } from '@finance/shared';
import type { WritingUser } from '../data/draft-references';

/** What the use cases run on: the ledger's database, "now", and the wait for users auth registered a moment ago. */
export type LedgerContext = Pick<ServiceContext, 'dataSource' | 'clock' | 'readYourWrites'>;

/**
 * Turns the writing user, as the write's locking statement found them, into the settings the write
 * uses (base currency, time zone). It may instead undo the write to wait for the user's
 * registration (see {@link withUserSettings}).
 */
export type SettingsOf = (user: WritingUser) => UserSettings;

/** Thrown inside a write to undo it (its DB transaction rolls back) and wait for the user's registration. */
class RegistrationOnItsWay extends Error {}

/**
 * Runs a write that needs the user's settings, so that a write made right after registering uses
 * the user's own base currency and time zone, not the defaults (the shared `awaitUserKnown`).
 * Optimistic, so a known user's write costs no extra round trip: the write reads the user in its
 * own locking statement, and only when that finds a user who registered a moment ago
 * (`readYourWrites.waitFor`: a fresh UUIDv7) and whose registration has not arrived, the write is
 * undone, the registration awaited (bounded), and the write run once more with what is known then.
 * Waiting inside the write is not an option: it holds the user's row, which the registration
 * handler needs.
 */
export async function withUserSettings<T>(
  context: LedgerContext,
  userId: string,
  write: (settingsOf: SettingsOf) => Promise<T>,
): Promise<T> {
  try {
    return await write((user) => {
      if (!user.known && context.readYourWrites.waitFor(userId) > 0) throw new RegistrationOnItsWay();
      return user;
    });
  } catch (error) {
    if (!(error instanceof RegistrationOnItsWay)) throw error;
  }
  await awaitUserKnown(context.readYourWrites, context.dataSource, userId);
  return write((user) => user);
}
