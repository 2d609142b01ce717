import type { EntityManager } from 'typeorm';
import type { Transaction } from '../../data/entities';
import type { TransactionType } from '../../domain/transactions';
import { normaliseDescription } from '../../import/domain/duplicates';

/** What a re-categorisation is remembered by: the payee when the transaction has one, else its description. */
export type MatchField = 'payee' | 'description';

/**
 * Remembers a manual re-categorisation (PUT or PATCH changing the category): one row per
 * transaction, its latest; a transaction made uncategorised is no longer an example.
 */
export async function recordRecategorisation(manager: EntityManager, t: Transaction): Promise<void> {
  const payee = t.payee?.trim() ?? '';
  const [field, text]: [MatchField, string] = payee
    ? ['payee', payee]
    : ['description', t.description.trim()];
  const key = normaliseDescription(text);
  if (t.categoryId === null || key === '') {
    await manager.query(`DELETE FROM recategorisations WHERE user_id = $1 AND transaction_id = $2`, [
      t.userId,
      t.id,
    ]);
    return;
  }
  await manager.query(
    `INSERT INTO recategorisations (user_id, transaction_id, match_field, match_key, match_text, transaction_type, category_id, recorded_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
     ON CONFLICT (user_id, transaction_id) DO UPDATE SET match_field = $3, match_key = $4, match_text = $5,
       transaction_type = $6, category_id = $7, recorded_at = $8`,
    [t.userId, t.id, field, key, text, t.type, t.categoryId, t.updatedAt],
  );
}

/** Transactions re-categorised alike: the same normalised payee or description to the same category. */
export interface RecategorisationGroup {
  field: MatchField;
  key: string;
  /** The latest example's own text (what a suggested condition matches). */
  text: string;
  type: TransactionType;
  categoryId: string;
  categoryName: string;
  examples: number;
}

/** The groups of at least `threshold` examples, not dismissed, to a category the user still has; most examples first. */
export async function recategorisationGroups(
  manager: EntityManager,
  userId: string,
  threshold: number,
  limit: number,
): Promise<RecategorisationGroup[]> {
  const rows: Array<{
    match_field: MatchField;
    match_key: string;
    match_text: string;
    transaction_type: TransactionType;
    category_id: string;
    category_name: string;
    examples: number;
  }> = await manager.query(
    `SELECT r.match_field, r.match_key, r.category_id, c.name AS category_name, count(*)::int AS examples,
            (array_agg(r.match_text ORDER BY r.recorded_at DESC))[1] AS match_text,
            (array_agg(r.transaction_type ORDER BY r.recorded_at DESC))[1] AS transaction_type
       FROM recategorisations r
       JOIN categories c ON c.user_id = r.user_id AND c.id = r.category_id
      WHERE r.user_id = $1
        AND NOT EXISTS (SELECT 1 FROM rule_suggestion_dismissals d
                         WHERE d.user_id = r.user_id AND d.match_field = r.match_field
                           AND d.match_key = r.match_key AND d.category_id = r.category_id)
      GROUP BY r.match_field, r.match_key, r.category_id, c.name
     HAVING count(*) >= $2
      ORDER BY examples DESC, r.match_key, r.category_id
      LIMIT $3`,
    [userId, threshold, limit],
  );
  return rows.map((r) => ({
    field: r.match_field,
    key: r.match_key,
    text: r.match_text,
    type: r.transaction_type,
    categoryId: r.category_id,
    categoryName: r.category_name,
    examples: r.examples,
  }));
}

export async function dismissSuggestion(
  manager: EntityManager,
  userId: string,
  group: Pick<RecategorisationGroup, 'field' | 'key' | 'categoryId'>,
  now: Date,
): Promise<void> {
  await manager.query(
    `INSERT INTO rule_suggestion_dismissals (user_id, match_field, match_key, category_id, dismissed_at)
     VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
    [userId, group.field, group.key, group.categoryId, now],
  );
}
