import type { TransactionType } from '../../domain/transactions';

/**
 * A rule as the domain sees it: when its conditions match a transaction (all of them, or any with
 * `match: 'any'`), its actions change the transaction. Rules run in `position` order; a matching
 * rule with `stopProcessing` ends the run.
 */
export interface RuleDefinition {
  id: string;
  name: string;
  enabled: boolean;
  match: 'all' | 'any';
  conditions: RuleCondition[];
  actions: RuleAction[];
  stopProcessing: boolean;
}

export const TEXT_FIELDS = ['description', 'payee', 'notes'] as const;
export type TextField = (typeof TEXT_FIELDS)[number];
export const TEXT_MODES = ['contains', 'starts_with', 'equals', 'regex'] as const;
export type TextMode = (typeof TEXT_MODES)[number];

export type RuleCondition =
  | { field: TextField; operator: TextMode; value: string; caseSensitive: boolean }
  /** Decimal strings compared exactly with the transaction's own amount (its currency). */
  | { field: 'amount'; operator: 'eq' | 'lt' | 'gt'; value: string }
  | { field: 'amount'; operator: 'between'; min: string; max: string }
  | { field: 'accountId'; value: string }
  | { field: 'type'; value: TransactionType }
  /** Calendar dates; before/after are exclusive, between is inclusive. */
  | { field: 'date'; operator: 'before' | 'after'; value: string }
  | { field: 'date'; operator: 'between'; from: string; to: string };

/** A part of a split action: a percentage (up to 4 decimals) or a fixed amount. */
export interface SplitPartRule {
  share: string;
  categoryId: string | null;
  notes: string | null;
  tags: string[];
}

export type RuleAction =
  | { type: 'setCategory'; categoryId: string }
  | { type: 'setPayee'; payee: string }
  | { type: 'addTags'; tags: string[] }
  | { type: 'removeTags'; tags: string[] }
  | { type: 'setNotes'; notes: string }
  | { type: 'setDescription'; description: string }
  | { type: 'markTransfer'; toAccountId: string }
  /**
   * `percentages`: shares sum to 100, split by largest remainder; `amounts`: fixed amounts, what is
   * left goes to a last part with `remainder` (its category, notes, tags).
   */
  | {
      type: 'split';
      mode: 'percentages' | 'amounts';
      parts: SplitPartRule[];
      remainder: Omit<SplitPartRule, 'share'> | null;
    };

/** The category and account ids a rule names (checked to be the user's when it is saved). */
export function referencesOf(rule: Pick<RuleDefinition, 'conditions' | 'actions'>): {
  categoryIds: string[];
  accountIds: string[];
} {
  const categoryIds = new Set<string>();
  const accountIds = new Set<string>();
  for (const c of rule.conditions) if (c.field === 'accountId') accountIds.add(c.value);
  for (const a of rule.actions) {
    if (a.type === 'setCategory') categoryIds.add(a.categoryId);
    if (a.type === 'markTransfer') accountIds.add(a.toAccountId);
    if (a.type === 'split') {
      for (const p of a.parts) if (p.categoryId) categoryIds.add(p.categoryId);
      if (a.remainder?.categoryId) categoryIds.add(a.remainder.categoryId);
    }
  }
  return { categoryIds: [...categoryIds], accountIds: [...accountIds] };
}
