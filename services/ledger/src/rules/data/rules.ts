import type { EntityManager } from 'typeorm';
import { z } from 'zod';
import { changedRows, newId } from '@finance/shared';
import type { CategoryKind } from '../../domain/categories';
import type { RuleAction, RuleCondition, RuleDefinition } from '../domain/rules';

/** A stored rule: its definition, its place in the user's order, its version. */
export interface RuleRecord extends RuleDefinition {
  userId: string;
  position: number;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

/** What a client states of a rule (everything but the id; the position is where it goes). */
export type RuleContent = Omit<RuleDefinition, 'id'>;

interface RuleRow {
  id: string;
  user_id: string;
  name: string;
  enabled: boolean;
  match: 'all' | 'any';
  conditions: RuleCondition[];
  actions: RuleAction[];
  stop_processing: boolean;
  position: number;
  version: number;
  created_at: Date;
  updated_at: Date;
}

function recordOf(row: RuleRow): RuleRecord {
  return {
    id: row.id,
    userId: row.user_id,
    name: row.name,
    enabled: row.enabled,
    match: row.match,
    conditions: row.conditions,
    actions: row.actions,
    stopProcessing: row.stop_processing,
    position: row.position,
    version: row.version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export async function findRule(
  manager: EntityManager,
  userId: string,
  id: string,
  options: { lock?: boolean } = {},
): Promise<RuleRecord | undefined> {
  const rows: RuleRow[] = await manager.query(
    `SELECT * FROM rules WHERE user_id = $1 AND id = $2 ${options.lock ? 'FOR UPDATE' : ''}`,
    [userId, id],
  );
  return rows[0] && recordOf(rows[0]);
}

/** All of a user's rules in their order (bounded by MAX_RULES_PER_USER). */
export async function rulesInOrder(
  manager: EntityManager,
  userId: string,
  options: { enabledOnly?: boolean } = {},
): Promise<RuleRecord[]> {
  const rows: RuleRow[] = await manager.query(
    `SELECT * FROM rules WHERE user_id = $1 ${options.enabledOnly ? 'AND enabled' : ''} ORDER BY position, id`,
    [userId],
  );
  return rows.map(recordOf);
}

/** Where a page of rules (in their order) ended. */
export const ruleCursorSchema = z.object({ p: z.number().int(), id: z.uuid() });
export type RuleCursor = z.output<typeof ruleCursorSchema>;

export function ruleCursorAfter(rule: RuleRecord): RuleCursor {
  return { p: rule.position, id: rule.id };
}

/** One keyset page of a user's rules in their order (limit + 1 rows). */
export async function listRules(
  manager: EntityManager,
  userId: string,
  options: { after?: RuleCursor; limit: number },
): Promise<RuleRecord[]> {
  const rows: RuleRow[] = options.after
    ? await manager.query(
        `SELECT * FROM rules WHERE user_id = $1 AND (position, id) > ($2, $3::uuid)
          ORDER BY position, id LIMIT $4`,
        [userId, options.after.p, options.after.id, options.limit + 1],
      )
    : await manager.query(`SELECT * FROM rules WHERE user_id = $1 ORDER BY position, id LIMIT $2`, [
        userId,
        options.limit + 1,
      ]);
  return rows.map(recordOf);
}

export async function countRules(manager: EntityManager, userId: string): Promise<number> {
  const [{ count }]: Array<{ count: number }> = await manager.query(
    `SELECT count(*)::int AS count FROM rules WHERE user_id = $1`,
    [userId],
  );
  return count;
}

export async function insertRule(
  manager: EntityManager,
  userId: string,
  content: RuleContent,
  position: number,
  now: Date,
): Promise<RuleRecord> {
  const rows: RuleRow[] = await manager.query(
    `INSERT INTO rules (id, user_id, name, enabled, match, conditions, actions, stop_processing, position, version, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1, $10, $10) RETURNING *`,
    [
      newId(),
      userId,
      content.name,
      content.enabled,
      content.match,
      JSON.stringify(content.conditions),
      JSON.stringify(content.actions),
      content.stopProcessing,
      position,
      now,
    ],
  );
  return recordOf(rows[0]);
}

/** Writes a rule's new content as its next version. */
export async function updateRule(
  manager: EntityManager,
  rule: RuleRecord,
  content: RuleContent,
  now: Date,
): Promise<RuleRecord> {
  const rows = await changedRows<RuleRow>(
    manager,
    `UPDATE rules SET name = $3, enabled = $4, match = $5, conditions = $6, actions = $7,
            stop_processing = $8, version = version + 1, updated_at = $9
      WHERE user_id = $1 AND id = $2 RETURNING *`,
    [
      rule.userId,
      rule.id,
      content.name,
      content.enabled,
      content.match,
      JSON.stringify(content.conditions),
      JSON.stringify(content.actions),
      content.stopProcessing,
      now,
    ],
  );
  return recordOf(rows[0]);
}

/** Stores a user's order: rule ids in their new order get positions 0, 1, 2… */
export async function renumberRules(manager: EntityManager, userId: string, ids: readonly string[]) {
  await manager.query(
    `UPDATE rules r SET position = o.position - 1
       FROM unnest($2::uuid[]) WITH ORDINALITY AS o(id, position)
      WHERE r.user_id = $1 AND r.id = o.id AND r.position <> o.position - 1`,
    [userId, ids],
  );
}

export async function deleteRule(manager: EntityManager, userId: string, id: string): Promise<void> {
  await manager.query(`DELETE FROM rules WHERE user_id = $1 AND id = $2`, [userId, id]);
}

/** Everything rules keep for a user (their deletion). */
export async function deleteRulesOf(manager: EntityManager, userId: string): Promise<void> {
  for (const table of ['rules', 'rule_jobs', 'recategorisations', 'rule_suggestion_dismissals'])
    await manager.query(`DELETE FROM ${table} WHERE user_id = $1`, [userId]);
}

/** The kinds of the user's categories among `ids` (an id that is not theirs is absent). */
export async function categoryKindsOf(
  manager: EntityManager,
  userId: string,
  ids: readonly string[],
): Promise<Map<string, CategoryKind>> {
  if (ids.length === 0) return new Map();
  const rows: Array<{ id: string; kind: CategoryKind }> = await manager.query(
    `SELECT id, kind FROM categories WHERE user_id = $1 AND id = ANY($2::uuid[])`,
    [userId, ids],
  );
  return new Map(rows.map((r) => [r.id, r.kind]));
}

/** The user's accounts among `ids`, with whether each is archived and its currency. */
export async function accountFactsOf(
  manager: EntityManager,
  userId: string,
  ids: readonly string[],
): Promise<Map<string, { archived: boolean; currency: string }>> {
  if (ids.length === 0) return new Map();
  const rows: Array<{ id: string; archived: boolean; currency: string }> = await manager.query(
    `SELECT id, archived, currency FROM accounts WHERE user_id = $1 AND id = ANY($2::uuid[])`,
    [userId, ids],
  );
  return new Map(rows.map((r) => [r.id, { archived: r.archived, currency: r.currency }]));
}

/** The user's default account, if they have one yet. */
export async function defaultAccountFacts(
  manager: EntityManager,
  userId: string,
): Promise<{ id: string; currency: string } | undefined> {
  const rows: Array<{ id: string; currency: string }> = await manager.query(
    `SELECT id, currency FROM accounts WHERE user_id = $1 AND is_default`,
    [userId],
  );
  return rows[0];
}
