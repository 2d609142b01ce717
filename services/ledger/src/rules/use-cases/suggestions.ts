import { createHash } from 'node:crypto';
import { missing } from '../../domain/problems';
import type { LedgerContext } from '../../use-cases/context';
import type { RuleContent } from '../data/rules';
import {
  dismissSuggestion as dismissSuggestionRow,
  recategorisationGroups,
  type RecategorisationGroup,
} from '../data/suggestions';
import { loadRuleSet, runRuleSet, type RuleSet } from './rule-runs';

/** Re-categorisations alike (same normalised payee or description, same category) that make a suggestion. */
export const SUGGESTION_THRESHOLD = 2;
/** Most suggestions offered at once (the ones with the most examples). */
export const MAX_SUGGESTIONS = 20;
/** Groups looked at to find them (bounded work; ones covered by a rule are passed over). */
const GROUPS_LOOKED_AT = 500;

export interface RuleSuggestion {
  id: string;
  group: RecategorisationGroup;
  rule: RuleContent;
}

function suggestionId(g: Pick<RecategorisationGroup, 'field' | 'key' | 'categoryId'>): string {
  return createHash('sha256').update(`${g.field}\n${g.key}\n${g.categoryId}`).digest('hex').slice(0, 32);
}

/** Whether the user's enabled rules already categorise a transaction like the group's examples. */
function covered(set: RuleSet, g: RecategorisationGroup): boolean {
  const { draft } = runRuleSet(set, {
    toAccountId: null,
    categoryId: null,
    type: g.type,
    amount: '1',
    description: g.field === 'description' ? g.text : '',
    notes: null,
    payee: g.field === 'payee' ? g.text : null,
    tags: [],
  });
  return draft.categoryId !== null;
}

function suggestionOf(g: RecategorisationGroup): RuleSuggestion {
  const name = `${g.text} → ${g.categoryName}`;
  return {
    id: suggestionId(g),
    group: g,
    rule: {
      name: name.length > 100 ? `${name.slice(0, 99)}…` : name,
      enabled: true,
      match: 'all',
      conditions: [{ field: g.field, operator: 'equals', value: g.text, caseSensitive: false }],
      actions: [{ type: 'setCategory', categoryId: g.categoryId }],
      stopProcessing: false,
    },
  };
}

async function candidates(context: LedgerContext, userId: string): Promise<RuleSuggestion[]> {
  const { manager } = context.dataSource;
  const groups = await recategorisationGroups(manager, userId, SUGGESTION_THRESHOLD, GROUPS_LOOKED_AT);
  if (groups.length === 0) return [];
  const set = await loadRuleSet(context, manager, userId);
  return groups.filter((g) => !covered(set, g)).map(suggestionOf);
}

/** Rules learned from manual re-categorisations, offered (never applied). */
export async function listSuggestions(context: LedgerContext, userId: string): Promise<RuleSuggestion[]> {
  return (await candidates(context, userId)).slice(0, MAX_SUGGESTIONS);
}

/** A dismissed suggestion is not offered again (more examples of it do not bring it back). */
export async function dismissSuggestion(context: LedgerContext, userId: string, id: string): Promise<void> {
  const found = (await candidates(context, userId)).find((s) => s.id === id);
  if (!found) throw missing('Suggestion');
  await dismissSuggestionRow(context.dataSource.manager, userId, found.group, context.clock());
}
