import type { EntityManager } from 'typeorm';
import { localDate, userSettingsOf } from '@finance/shared';
import type { CategoryKind } from '../../domain/categories';
import type { TransactionDraft } from '../../domain/transactions';
import type { LedgerContext } from '../../use-cases/context';
import { accountFactsOf, categoryKindsOf, defaultAccountFacts, rulesInOrder } from '../data/rules';
import { prepareRules, runRules, type PreparedRule, type RuleEffect } from '../domain/engine';
import { referencesOf, type RuleDefinition } from '../domain/rules';

/**
 * A user's rules ready to run on many drafts: loaded and compiled once (per request, per import,
 * per apply job), with the categories and accounts they name and the defaults a draft may leave out.
 */
export interface RuleSet {
  rules: PreparedRule[];
  categories: Map<string, CategoryKind>;
  accounts: Map<string, { archived: boolean; currency: string }>;
  defaultAccount: { id: string; currency: string } | undefined;
  baseCurrency: string;
  today: string;
}

const EMPTY: Omit<RuleSet, 'today' | 'baseCurrency'> = {
  rules: [],
  categories: new Map(),
  accounts: new Map(),
  defaultAccount: undefined,
};

/**
 * Loads the user's enabled rules in order (or `only` these, for a test or an apply), and what
 * they refer to. A user without rules costs one query.
 */
export async function loadRuleSet(
  context: LedgerContext,
  manager: EntityManager,
  userId: string,
  only?: readonly RuleDefinition[],
): Promise<RuleSet> {
  const rules = only ?? (await rulesInOrder(manager, userId, { enabledOnly: true }));
  if (rules.length === 0) return { ...EMPTY, baseCurrency: '', today: '' };
  const categoryIds = new Set<string>();
  const accountIds = new Set<string>();
  for (const rule of rules) {
    const refs = referencesOf(rule);
    refs.categoryIds.forEach((id) => categoryIds.add(id));
    refs.accountIds.forEach((id) => accountIds.add(id));
  }
  const settings = await userSettingsOf(manager, userId);
  return {
    rules: prepareRules(rules),
    categories: await categoryKindsOf(manager, userId, [...categoryIds]),
    accounts: await accountFactsOf(manager, userId, [...accountIds]),
    defaultAccount: await defaultAccountFacts(manager, userId),
    baseCurrency: settings.baseCurrency,
    today: localDate(context.clock(), settings.timezone),
  };
}

/** What a draft left to defaults, when the caller already knows it (an import row, a stored transaction). */
export interface DraftDefaults {
  accountId?: string;
  currency?: string;
}

/** Runs a loaded rule set on one draft (pure once loaded). */
export function runRuleSet(
  set: RuleSet,
  draft: TransactionDraft,
  known: DraftDefaults = {},
): { draft: TransactionDraft; effects: RuleEffect[] } {
  if (set.rules.length === 0) return { draft, effects: [] };
  const accountId = draft.accountId ?? known.accountId ?? set.defaultAccount?.id;
  const currency =
    draft.currency ??
    known.currency ??
    (accountId === undefined ? undefined : set.accounts.get(accountId)?.currency) ??
    (accountId === set.defaultAccount?.id ? set.defaultAccount?.currency : undefined) ??
    set.baseCurrency;
  return runRules(set.rules, draft, {
    accountId,
    date: draft.date ?? set.today,
    currency,
    categories: set.categories,
    accounts: set.accounts,
  });
}

/**
 * The user's enabled rules, in order, on a new transaction's draft (POST /transactions, a
 * recurring occurrence), before it is checked: what they set is then checked like what a client
 * sends. The draft's own account is looked up when it names one the rules do not (its currency
 * matters to a split).
 */
export async function applyRules(
  context: LedgerContext,
  manager: EntityManager,
  userId: string,
  draft: TransactionDraft,
): Promise<TransactionDraft> {
  const set = await loadRuleSet(context, manager, userId);
  if (set.rules.length === 0) return draft;
  let currency = draft.currency;
  if (currency === undefined && draft.accountId && !set.accounts.has(draft.accountId))
    currency = (await accountFactsOf(manager, userId, [draft.accountId])).get(draft.accountId)?.currency;
  return runRuleSet(set, draft, { currency }).draft;
}
