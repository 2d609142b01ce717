import { MoneyError, formatMinorUnits, parseDecimal, toMinorUnits } from '@finance/shared';
import { categoryFits, type CategoryKind } from '../../domain/categories';
import type { SplitDraft, TransactionDraft } from '../../domain/transactions';
import { compilePattern, type CompiledPattern } from './patterns';
import type { RuleAction, RuleCondition, RuleDefinition, SplitPartRule, TextField } from './rules';
import { splitByAmounts, splitByPercentages } from './splits';

/** At most this many tags on a transaction (the transaction schema's own limit). */
export const MAX_TAGS = 20;

/** What the rules need beyond the draft: what a draft left to defaults, and the user's ids the rules name. */
export interface RuleFacts {
  /** The draft's account, or the default account when it names none (undefined: none yet). */
  accountId: string | undefined;
  /** The draft's date, or today in the user's timezone. */
  date: string;
  /** The draft's currency, or its account's (for amounts in minor units). */
  currency: string;
  /** The user's categories the rules name (a deleted one is absent). */
  categories: ReadonlyMap<string, CategoryKind>;
  /** The user's accounts the rules name, with whether each is archived. */
  accounts: ReadonlyMap<string, { archived: boolean }>;
}

/** The transaction fields a rule may change. */
export type RuleChangedField =
  'categoryId' | 'payee' | 'tags' | 'notes' | 'description' | 'type' | 'toAccountId' | 'splits';

/** What one matching rule did: the fields it changed, and the actions it left out and why. */
export interface RuleEffect {
  ruleId: string;
  ruleName: string;
  changed: RuleChangedField[];
  skipped: Array<{ action: RuleAction['type']; reason: string }>;
}

/** A rule with its regexes compiled once (per request or per import, not per transaction). */
export interface PreparedRule {
  rule: RuleDefinition;
  patterns: ReadonlyMap<RuleCondition, CompiledPattern>;
}

export function prepareRules(rules: readonly RuleDefinition[]): PreparedRule[] {
  return rules.map((rule) => {
    const patterns = new Map<RuleCondition, CompiledPattern>();
    for (const c of rule.conditions)
      if (c.field === 'description' || c.field === 'payee' || c.field === 'notes')
        if (c.operator === 'regex') patterns.set(c, compilePattern(c.value, c.caseSensitive));
    return { rule, patterns };
  });
}

/** Exact comparison of two decimal strings (-1, 0, 1): cross-multiplied bigints, never floats. */
export function compareDecimals(a: string, b: string): number {
  const x = parseDecimal(a);
  const y = parseDecimal(b);
  const left = x.value * y.scale;
  const right = y.value * x.scale;
  return left === right ? 0 : left < right ? -1 : 1;
}

function textMatches(
  condition: Extract<RuleCondition, { field: TextField }>,
  text: string | null,
  pattern: CompiledPattern | undefined,
): boolean {
  const value = text ?? '';
  if (pattern) return pattern.test(value);
  const [subject, wanted] = condition.caseSensitive
    ? [value, condition.value]
    : [value.toLowerCase(), condition.value.toLowerCase()];
  if (condition.operator === 'equals') return subject === wanted;
  if (condition.operator === 'starts_with') return subject.startsWith(wanted);
  return subject.includes(wanted);
}

function conditionMatches(
  condition: RuleCondition,
  draft: TransactionDraft,
  facts: RuleFacts,
  pattern: CompiledPattern | undefined,
): boolean {
  switch (condition.field) {
    case 'description':
    case 'payee':
    case 'notes':
      return textMatches(condition, draft[condition.field], pattern);
    case 'amount': {
      if (condition.operator === 'between')
        return (
          compareDecimals(draft.amount, condition.min) >= 0 &&
          compareDecimals(draft.amount, condition.max) <= 0
        );
      const order = compareDecimals(draft.amount, condition.value);
      return condition.operator === 'eq' ? order === 0 : condition.operator === 'lt' ? order < 0 : order > 0;
    }
    case 'accountId':
      return facts.accountId === condition.value;
    case 'type':
      return draft.type === condition.value;
    case 'date':
      if (condition.operator === 'between') return facts.date >= condition.from && facts.date <= condition.to;
      return condition.operator === 'before' ? facts.date < condition.value : facts.date > condition.value;
  }
}

/** Whether a rule's conditions hold for a draft (a rule without conditions matches everything). */
export function ruleMatches(prepared: PreparedRule, draft: TransactionDraft, facts: RuleFacts): boolean {
  const { rule, patterns } = prepared;
  const holds = (c: RuleCondition) => conditionMatches(c, draft, facts, patterns.get(c));
  if (rule.conditions.length === 0) return true;
  return rule.match === 'any' ? rule.conditions.some(holds) : rule.conditions.every(holds);
}

type ActionOutcome = { draft: TransactionDraft; changed: RuleChangedField[] } | { skipped: string };

const isBlank = (text: string | null | undefined) =>
  text === null || text === undefined || text.trim() === '';

/**
 * One action on a draft. A rule fills what the transaction leaves empty and never overrides what it
 * already has (a category, payee or notes the client set, a transfer, existing splits); the
 * exceptions are a description rename (its purpose is replacing what the bank sent) and tags, which
 * are added and removed.
 */
function applyAction(action: RuleAction, draft: TransactionDraft, facts: RuleFacts): ActionOutcome {
  switch (action.type) {
    case 'setCategory': {
      if (draft.categoryId !== null) return { skipped: 'The transaction already has a category' };
      if (draft.splits?.length) return { skipped: 'The transaction is split (its parts have categories)' };
      const kind = facts.categories.get(action.categoryId);
      if (!kind) return { skipped: 'The category no longer exists' };
      if (!categoryFits(kind, draft.type))
        return { skipped: `The category is for ${kind} transactions, not ${draft.type}` };
      return { draft: { ...draft, categoryId: action.categoryId }, changed: ['categoryId'] };
    }
    case 'setPayee':
      if (!isBlank(draft.payee)) return { skipped: 'The transaction already has a payee' };
      return { draft: { ...draft, payee: action.payee }, changed: ['payee'] };
    case 'setNotes':
      if (!isBlank(draft.notes)) return { skipped: 'The transaction already has notes' };
      return { draft: { ...draft, notes: action.notes }, changed: ['notes'] };
    case 'setDescription':
      if (draft.description === action.description) return { skipped: 'Already this description' };
      return { draft: { ...draft, description: action.description }, changed: ['description'] };
    case 'addTags': {
      const tags = [...new Set([...draft.tags, ...action.tags])];
      if (tags.length === draft.tags.length) return { skipped: 'Already tagged' };
      if (tags.length > MAX_TAGS) return { skipped: `A transaction has at most ${MAX_TAGS} tags` };
      return { draft: { ...draft, tags }, changed: ['tags'] };
    }
    case 'removeTags': {
      const tags = draft.tags.filter((t) => !action.tags.includes(t));
      if (tags.length === draft.tags.length) return { skipped: 'None of these tags is on it' };
      return { draft: { ...draft, tags }, changed: ['tags'] };
    }
    case 'markTransfer': {
      if (draft.type !== 'expense') return { skipped: 'Only an expense is turned into a transfer' };
      if (draft.categoryId !== null) return { skipped: 'The transaction already has a category' };
      if (draft.splits?.length) return { skipped: 'The transaction is split' };
      const account = facts.accounts.get(action.toAccountId);
      if (!account) return { skipped: 'The account no longer exists' };
      if (account.archived) return { skipped: 'The account is archived' };
      if (action.toAccountId === facts.accountId) return { skipped: 'It is the transaction’s own account' };
      return {
        draft: { ...draft, type: 'transfer', toAccountId: action.toAccountId },
        changed: ['type', 'toAccountId'],
      };
    }
    case 'split':
      return appliedSplit(action, draft, facts);
  }
}

function appliedSplit(
  action: Extract<RuleAction, { type: 'split' }>,
  draft: TransactionDraft,
  facts: RuleFacts,
): ActionOutcome {
  if (draft.splits?.length) return { skipped: 'The transaction is already split' };
  if (draft.type === 'transfer') return { skipped: 'A transfer is not split' };
  if (draft.categoryId !== null) return { skipped: 'The transaction already has a category' };
  let total: bigint;
  let fixed: bigint[] = [];
  try {
    total = toMinorUnits(draft.amount, facts.currency);
    if (action.mode === 'amounts') fixed = action.parts.map((p) => toMinorUnits(p.share, facts.currency));
  } catch (error) {
    if (error instanceof MoneyError) return { skipped: `Does not fit the currency ${facts.currency}` };
    throw error;
  }
  const amounts =
    action.mode === 'percentages'
      ? splitByPercentages(
          total,
          action.parts.map((p) => p.share),
        )
      : splitByAmounts(total, fixed);
  if (!amounts) return { skipped: 'The fixed amounts exceed the transaction’s amount' };
  const described: Array<Omit<SplitPartRule, 'share'>> = [...action.parts];
  if (amounts.length > action.parts.length)
    described.push(action.remainder ?? { categoryId: null, notes: null, tags: [] });
  for (const part of described) {
    if (part.categoryId === null) continue;
    const kind = facts.categories.get(part.categoryId);
    if (!kind) return { skipped: 'A part’s category no longer exists' };
    if (!categoryFits(kind, draft.type))
      return { skipped: `A part’s category is for ${kind} transactions, not ${draft.type}` };
  }
  // A part a percentage rounds to nothing is left out (a split part is positive).
  const splits: SplitDraft[] = [];
  amounts.forEach((minor, i) => {
    if (minor > 0n)
      splits.push({
        amount: formatMinorUnits(minor, facts.currency),
        categoryId: described[i].categoryId,
        notes: described[i].notes,
        tags: [...described[i].tags],
      });
  });
  if (splits.length < 2) return { skipped: 'The amount is too small to split' };
  return { draft: { ...draft, splits }, changed: ['splits'] };
}

/**
 * Runs the rules in order on a draft: each sees what the rules before it made of the draft (a
 * rename can feed a later rule's condition); a matching rule with `stopProcessing` ends the run.
 * Disabled rules are passed over. Returns the new draft and, per matching rule, what it did.
 */
export function runRules(
  rules: readonly PreparedRule[],
  initial: TransactionDraft,
  facts: RuleFacts,
): { draft: TransactionDraft; effects: RuleEffect[] } {
  let draft = initial;
  const effects: RuleEffect[] = [];
  for (const prepared of rules) {
    const { rule } = prepared;
    if (!rule.enabled || !ruleMatches(prepared, draft, facts)) continue;
    const effect: RuleEffect = { ruleId: rule.id, ruleName: rule.name, changed: [], skipped: [] };
    for (const action of rule.actions) {
      const outcome = applyAction(action, draft, facts);
      if ('skipped' in outcome) effect.skipped.push({ action: action.type, reason: outcome.skipped });
      else {
        draft = outcome.draft;
        for (const f of outcome.changed) if (!effect.changed.includes(f)) effect.changed.push(f);
      }
    }
    effects.push(effect);
    if (rule.stopProcessing) break;
  }
  return { draft, effects };
}
