import type { DataSource, EntityManager } from 'typeorm';
import { UNCATEGORISED } from '../domain/analytics';

/**
 * Recomputes a user's daily roll-ups from their stored transactions in one pass. The event
 * handlers keep the roll-ups current incrementally; this is the repair / bulk-load path (after
 * a bulk insert into the read model, or to check that the increments never drifted). Rows are
 * kept per base currency and summed as numeric, exactly as the handlers keep them.
 */
export async function rebuildRollups(db: DataSource, userId: string): Promise<void> {
  await db.transaction(async (manager: EntityManager) => {
    await manager.query(`DELETE FROM daily_rollups WHERE user_id = $1`, [userId]);
    await manager.query(`DELETE FROM daily_account_rollups WHERE user_id = $1`, [userId]);
    await manager.query(
      `INSERT INTO daily_rollups (user_id, date, category_key, type, base_currency, total_minor, count)
       SELECT user_id, date, coalesce(category_id, $2), type, base_currency, sum(base_amount_minor), count(*)
       FROM report_transactions WHERE user_id = $1 AND type <> 'transfer'
       GROUP BY user_id, date, coalesce(category_id, $2), type, base_currency`,
      [userId, UNCATEGORISED],
    );
    await manager.query(
      `INSERT INTO daily_account_rollups (user_id, account_id, date, category_key, type, base_currency, total_minor, count)
       SELECT user_id, account_id, date, category_key, type, base_currency, sum(amount), count(*)
       FROM (
         SELECT user_id, account_id, date, coalesce(category_id, $2) AS category_key,
                CASE WHEN type = 'transfer' THEN 'transfer_out' ELSE type END AS type, base_currency,
                base_amount_minor AS amount
         FROM report_transactions WHERE user_id = $1
         UNION ALL
         SELECT user_id, to_account_id, date, coalesce(category_id, $2), 'transfer_in', base_currency, base_amount_minor
         FROM report_transactions WHERE user_id = $1 AND type = 'transfer' AND to_account_id IS NOT NULL
       ) flows
       GROUP BY user_id, account_id, date, category_key, type, base_currency`,
      [userId, UNCATEGORISED],
    );
  });
}
