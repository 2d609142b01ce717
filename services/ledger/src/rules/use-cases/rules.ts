import type { EntityManager } from 'typeorm';
import { lockUserForWrite } from '@finance/shared';
import { RuleViolation, missing } from '../../domain/problems';
import type { LedgerContext } from '../../use-cases/context';
import type { VersionCheck } from '../../use-cases/version-check';
import {
  accountFactsOf,
  categoryKindsOf,
  countRules,
  deleteRule as deleteRuleRow,
  findRule,
  insertRule,
  listRules,
  renumberRules,
  rulesInOrder,
  updateRule,
  type RuleContent,
  type RuleCursor,
  type RuleRecord,
} from '../data/rules';
import { referencesOf } from '../domain/rules';

/** A rule names fields as its wire body does (`actions.1.category_id`); the HTTP layer prefixes `body.`. */
export type RuleField = string;

/**
 * Takes the user (as every write does) and their rules' order: writes of one user's rules run one
 * at a time, so positions stay a clean 0…n-1.
 */
async function lockRulesOf(manager: EntityManager, userId: string): Promise<void> {
  await lockUserForWrite(manager, userId);
  await manager.query(`SELECT pg_advisory_xact_lock(hashtextextended('rules:' || $1, 0))`, [userId]);
}

/** Every category and account a rule names is the user's (404 naming the first that is not). */
export async function checkReferences(manager: EntityManager, userId: string, content: RuleContent) {
  const refs = referencesOf(content);
  const categories = await categoryKindsOf(manager, userId, refs.categoryIds);
  const accounts = await accountFactsOf(manager, userId, refs.accountIds);
  const problem = (field: string, what: string) =>
    new RuleViolation<RuleField>('not_found', `${what} not found`, [
      { field, message: `No such ${what.toLowerCase()}` },
    ]);
  for (const [i, c] of content.conditions.entries())
    if (c.field === 'accountId' && !accounts.has(c.value)) throw problem(`conditions[${i}].value`, 'Account');
  for (const [i, a] of content.actions.entries()) {
    if (a.type === 'setCategory' && !categories.has(a.categoryId))
      throw problem(`actions[${i}].category_id`, 'Category');
    if (a.type === 'markTransfer' && !accounts.has(a.toAccountId))
      throw problem(`actions[${i}].to_account_id`, 'Account');
    if (a.type === 'split') {
      for (const [j, p] of a.parts.entries())
        if (p.categoryId && !categories.has(p.categoryId))
          throw problem(`actions[${i}].parts[${j}].category_id`, 'Category');
      if (a.remainder?.categoryId && !categories.has(a.remainder.categoryId))
        throw problem(`actions[${i}].remainder.category_id`, 'Category');
    }
  }
}

/** Puts `id` at `position` in the user's order (clamped to the end); the others shift. */
async function moveRule(manager: EntityManager, userId: string, id: string, position: number) {
  const order = (await rulesInOrder(manager, userId)).map((r) => r.id).filter((r) => r !== id);
  order.splice(Math.min(position, order.length), 0, id);
  await renumberRules(manager, userId, order);
}

export async function createRule(
  context: LedgerContext,
  manager: EntityManager,
  userId: string,
  content: RuleContent,
  position: number | undefined,
  maxRules: number,
): Promise<RuleRecord> {
  await lockRulesOf(manager, userId);
  const count = await countRules(manager, userId);
  if (count >= maxRules)
    throw new RuleViolation(
      'conflict',
      `You have ${count} rules, the most a user may have; delete one first`,
    );
  await checkReferences(manager, userId, content);
  const rule = await insertRule(manager, userId, content, count, context.clock());
  if (position === undefined || position >= count) return rule;
  await moveRule(manager, userId, rule.id, position);
  return (await findRule(manager, userId, rule.id))!;
}

export async function getRule(context: LedgerContext, userId: string, id: string): Promise<RuleRecord> {
  const rule = await findRule(context.dataSource.manager, userId, id);
  if (!rule) throw missing('Rule');
  return rule;
}

export function listRulesPage(
  context: LedgerContext,
  userId: string,
  options: { after?: RuleCursor; limit: number },
): Promise<RuleRecord[]> {
  return listRules(context.dataSource.manager, userId, options);
}

/**
 * PUT and PATCH: the new content (from the stored one) checked like a new rule's, and the rule
 * moved when a position is given. Moving renumbers the others without new versions of them: the
 * order is the list's, not part of another rule's content.
 */
export async function changeRule(
  context: LedgerContext,
  userId: string,
  id: string,
  check: VersionCheck,
  change: (current: RuleContent) => RuleContent | undefined,
  position: number | undefined,
): Promise<RuleRecord> {
  return context.dataSource.transaction(async (manager) => {
    await lockRulesOf(manager, userId);
    const current = await findRule(manager, userId, id, { lock: true });
    if (!current) throw missing('Rule');
    check(current.version);
    const content = change(current);
    const moved = position !== undefined && position !== current.position;
    if (!content && !moved) return current; // an empty PATCH: no new version
    if (content) await checkReferences(manager, userId, content);
    if (moved) await moveRule(manager, userId, id, position);
    return updateRule(manager, current, content ?? current, context.clock());
  });
}

export async function deleteRule(
  context: LedgerContext,
  userId: string,
  id: string,
  check: VersionCheck,
): Promise<void> {
  await context.dataSource.transaction(async (manager) => {
    await lockRulesOf(manager, userId);
    const current = await findRule(manager, userId, id, { lock: true });
    if (!current) throw missing('Rule');
    check(current.version);
    await deleteRuleRow(manager, userId, id);
    await renumberRules(
      manager,
      userId,
      (await rulesInOrder(manager, userId)).map((r) => r.id),
    );
  });
}
