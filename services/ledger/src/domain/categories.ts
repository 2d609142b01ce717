import type { FieldError } from '@finance/shared';

export const CATEGORY_KINDS = ['expense', 'income', 'both'] as const;
export type CategoryKind = (typeof CATEGORY_KINDS)[number];
export const TRANSACTION_TYPES = ['income', 'expense', 'transfer'] as const;
export type TransactionType = (typeof TRANSACTION_TYPES)[number];

/** Whether a transaction of `type` may be filed under a category of `kind`. Transfers never have one. */
export function categoryFits(kind: CategoryKind, type: TransactionType): boolean {
  if (type === 'transfer') return false;
  return kind === 'both' || kind === type;
}

/** Whether a category of `kind` can hold transactions of every one of `usedTypes`. */
export function kindAcceptsAll(kind: CategoryKind, usedTypes: readonly TransactionType[]): boolean {
  return usedTypes.every((type) => type === 'transfer' || categoryFits(kind, type));
}

export interface HierarchyFacts {
  categoryId: string | null;
  parentId: string;
  /** The proposed parent's own parent: sub-categories go one level deep only. */
  parentsParentId: string | null;
  /** Whether the category being changed has sub-categories of its own. */
  hasChildren: boolean;
}

/** Rules for giving a category a parent; returns the reasons it is not allowed (empty = fine). */
export function parentProblems(facts: HierarchyFacts): FieldError[] {
  const field = 'body.parent_id';
  if (facts.categoryId !== null && facts.parentId === facts.categoryId)
    return [{ field, message: 'A category cannot be its own parent' }];
  if (facts.parentsParentId !== null)
    return [{ field, message: 'The parent is itself a sub-category; only one level of nesting is allowed' }];
  if (facts.hasChildren)
    return [
      { field, message: 'This category has sub-categories, so it cannot become a sub-category itself' },
    ];
  return [];
}

export interface DefaultCategory {
  name: string;
  color: string;
  icon: string;
  kind: CategoryKind;
}

/** What every new user starts with (created on auth.user.registered). */
export const DEFAULT_CATEGORIES: readonly DefaultCategory[] = [
  { name: 'Groceries', color: '#4CAF50', icon: 'shopping-cart', kind: 'expense' },
  { name: 'Dining', color: '#FF7043', icon: 'utensils', kind: 'expense' },
  { name: 'Transport', color: '#42A5F5', icon: 'bus', kind: 'expense' },
  { name: 'Housing', color: '#8D6E63', icon: 'home', kind: 'expense' },
  { name: 'Utilities', color: '#FFCA28', icon: 'bolt', kind: 'expense' },
  { name: 'Health', color: '#EF5350', icon: 'heart-pulse', kind: 'expense' },
  { name: 'Entertainment', color: '#AB47BC', icon: 'film', kind: 'expense' },
  { name: 'Shopping', color: '#EC407A', icon: 'bag', kind: 'expense' },
  { name: 'Travel', color: '#26C6DA', icon: 'plane', kind: 'expense' },
  { name: 'Education', color: '#5C6BC0', icon: 'graduation-cap', kind: 'expense' },
  { name: 'Subscriptions', color: '#7E57C2', icon: 'repeat', kind: 'expense' },
  { name: 'Salary', color: '#2E7D32', icon: 'briefcase', kind: 'income' },
  { name: 'Freelance', color: '#00897B', icon: 'laptop', kind: 'income' },
  { name: 'Investments', color: '#1565C0', icon: 'chart-line', kind: 'both' },
  { name: 'Gifts', color: '#F06292', icon: 'gift', kind: 'both' },
  { name: 'Other', color: '#9E9E9E', icon: 'tag', kind: 'both' },
];
