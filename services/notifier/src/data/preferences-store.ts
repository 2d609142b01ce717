import type { DataSource, EntityManager } from 'typeorm';
import {
  defaultPreferences,
  overlayChannels,
  type ChannelChoices,
  type Preferences,
} from '../domain/preferences';

export interface StoredPreferences {
  preferences: Preferences;
  /** 0 while the user has never saved any (the defaults apply). */
  version: number;
  updatedAt: Date | null;
}

interface PreferencesRow {
  channels: ChannelChoices;
  quiet_hours_start: number | null;
  quiet_hours_end: number | null;
  version: number;
  updated_at: Date;
}

/**
 * A user's preferences: what they saved laid over the defaults (a kind added later starts with
 * its default), or the defaults themselves. `forUpdate` locks the row for a read-modify-write.
 */
export async function preferencesOf(
  db: DataSource | EntityManager,
  userId: string,
  options: { forUpdate?: boolean } = {},
): Promise<StoredPreferences> {
  const [row]: PreferencesRow[] = await db.query(
    `SELECT channels, quiet_hours_start, quiet_hours_end, version, updated_at
     FROM notification_preferences WHERE user_id = $1 ${options.forUpdate ? 'FOR UPDATE' : ''}`,
    [userId],
  );
  const defaults = defaultPreferences();
  if (!row) return { preferences: defaults, version: 0, updatedAt: null };
  return {
    preferences: {
      channels: overlayChannels(defaults.channels, row.channels),
      quietHours:
        row.quiet_hours_start === null || row.quiet_hours_end === null
          ? null
          : { start: row.quiet_hours_start, end: row.quiet_hours_end },
    },
    version: row.version,
    updatedAt: row.updated_at,
  };
}

/** Stores the whole matrix and quiet hours, one version up. */
export async function savePreferences(
  manager: EntityManager,
  userId: string,
  preferences: Preferences,
  now: Date,
): Promise<StoredPreferences> {
  const [row]: PreferencesRow[] = await manager.query(
    `INSERT INTO notification_preferences (user_id, channels, quiet_hours_start, quiet_hours_end, version, updated_at)
     VALUES ($1, $2, $3, $4, 1, $5)
     ON CONFLICT (user_id) DO UPDATE SET channels = EXCLUDED.channels,
       quiet_hours_start = EXCLUDED.quiet_hours_start, quiet_hours_end = EXCLUDED.quiet_hours_end,
       version = notification_preferences.version + 1, updated_at = EXCLUDED.updated_at
     RETURNING channels, quiet_hours_start, quiet_hours_end, version, updated_at`,
    [
      userId,
      JSON.stringify(preferences.channels),
      preferences.quietHours?.start ?? null,
      preferences.quietHours?.end ?? null,
      now,
    ],
  );
  return { preferences, version: row.version, updatedAt: row.updated_at };
}
