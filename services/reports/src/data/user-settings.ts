import type { DataSource, EntityManager } from 'typeorm';

export interface UserSettings {
  baseCurrency: string;
  timezone: string;
}

/** Used until auth's events (or a first transaction) tell us otherwise. */
export const DEFAULT_SETTINGS: UserSettings = { baseCurrency: 'USD', timezone: 'UTC' };

export async function userSettings(db: DataSource | EntityManager, userId: string): Promise<UserSettings> {
  const [row] = (await db.query(`SELECT base_currency, timezone FROM user_settings WHERE user_id = $1`, [
    userId,
  ])) as Array<{ base_currency: string; timezone: string }>;
  return row ? { baseCurrency: row.base_currency, timezone: row.timezone } : DEFAULT_SETTINGS;
}
