import type { DataSource, EntityManager } from 'typeorm';
import { UNCATEGORISED } from '../domain/analytics';

/**
 * Recomputes a user's daily roll-ups from their stored transactions in one pass. The event
 * handlers keep the roll-ups current incrementally; this is the repair / bulk-load path (after
 * a bulk insert into the read model, or to check that the increments never drifted). Rows are
 * kept per base currency and summed as numeric, exactly as the handlers keep them.
 */
/**
 * A user's transactions as the roll-ups count them: whole, or a split one per category of its
 * parts (the parts' base amounts there summed, once per category), as the event handlers add them.
 */
const LINES = `(
  SELECT account_id, to_account_id, date, type, base_currency, category_id, base_amount_minor
  FROM report_transactions WHERE user_id = $1 AND splits = '[]'::jsonb
  UNION ALL
  SELECT t.account_id, NULL, t.date, t.type, t.base_currency, (p->>'categoryId')::uuid,
         sum((p->>'baseAmountMinor')::bigint)
  FROM report_transactions t CROSS JOIN LATERAL jsonb_array_elements(t.splits) p
  WHERE t.user_id = $1 AND t.splits <> '[]'::jsonb
  GROUP BY t.id, t.account_id, t.date, t.type, t.base_currency, (p->>'categoryId')::uuid
) AS lines`;

export async function rebuildRollups(db: DataSource, userId: string): Promise<void> {
  await db.transaction(async (manager: EntityManager) => {
    await manager.query(`DELETE FROM daily_rollups WHERE user_id = $1`, [userId]);
    await manager.query(`DELETE FROM daily_account_rollups WHERE user_id = $1`, [userId]);
    await manager.query(
      `INSERT INTO daily_rollups (user_id, date, category_key, type, base_currency, total_minor, count)
       SELECT $1, date, coalesce(category_id, $2), type, base_currency, sum(base_amount_minor), count(*)
       FROM ${LINES} WHERE type <> 'transfer'
       GROUP BY date, coalesce(category_id, $2), type, base_currency`,
      [userId, UNCATEGORISED],
    );
    await manager.query(
      `INSERT INTO daily_account_rollups (user_id, account_id, date, category_key, type, base_currency, total_minor, count)
       SELECT $1, account_id, date, category_key, type, base_currency, sum(amount), count(*)
       FROM (
         SELECT account_id, date, coalesce(category_id, $2) AS category_key,
                CASE WHEN type = 'transfer' THEN 'transfer_out' ELSE type END AS type, base_currency,
                base_amount_minor AS amount
         FROM ${LINES}
         UNION ALL
         SELECT to_account_id, date, coalesce(category_id, $2), 'transfer_in', base_currency, base_amount_minor
         FROM report_transactions WHERE user_id = $1 AND type = 'transfer' AND to_account_id IS NOT NULL
       ) flows
       GROUP BY account_id, date, category_key, type, base_currency`,
      [userId, UNCATEGORISED],
    );
  });
}
