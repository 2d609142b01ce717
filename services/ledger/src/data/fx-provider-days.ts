import type { EntityManager } from 'typeorm';

/** Records that the provider (quoting against `base`) answered for these past days. */
export async function recordAnsweredDays(
  manager: EntityManager,
  base: string,
  dates: string[],
  now: Date,
): Promise<void> {
  if (dates.length === 0) return;
  await manager.query(
    `INSERT INTO fx_provider_days (base, date, answered_at)
     SELECT $1, d, $3 FROM unnest($2::date[]) AS d
     ON CONFLICT (base, date) DO NOTHING`,
    [base, dates, now],
  );
}

/** Whether the provider (quoting against `base`) has answered for `date`. */
export async function providerAnswered(manager: EntityManager, base: string, date: string): Promise<boolean> {
  const rows: unknown[] = await manager.query(
    `SELECT 1 FROM fx_provider_days WHERE base = $1 AND date = $2`,
    [base, date],
  );
  return rows.length > 0;
}
