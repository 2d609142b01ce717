import { categoryKinds } from '@finance/shared';
import { RuleViolation, type FieldProblem } from './problems';
import type { TransactionType } from './transactions';

export type CategoryKind = (typeof categoryKinds)[number];

export type CategoryField = 'name' | 'color' | 'icon' | 'kind' | 'parentId' | 'reassignTo';

/** What a category is, as a client states it (PUT, or a PATCH merged onto the category). */
export interface CategoryState {
  name: string;
  color: string;
  icon: string | null;
  kind: CategoryKind;
  parentId: string | null;
}

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
export function parentProblems(facts: HierarchyFacts): FieldProblem<CategoryField>[] {
  const field = 'parentId';
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

/** A category's kind may change only to one that still fits the transactions filed under it. */
export function kindChangeViolation(
  kind: CategoryKind,
  usedTypes: readonly TransactionType[],
): RuleViolation<CategoryField> | undefined {
  if (kindAcceptsAll(kind, usedTypes)) return undefined;
  return new RuleViolation(
    'conflict',
    `The category has ${usedTypes.join(' and ')} transactions, which a ${kind} category cannot hold`,
    [{ field: 'kind', message: 'Does not fit the transactions already in this category' }],
  );
}

/** Where a deleted category's transactions may move: another category whose kind fits them all. */
export function reassignmentViolation(
  categoryId: string,
  target: { id: string; kind: CategoryKind },
  usedTypes: readonly TransactionType[],
): RuleViolation<CategoryField> | undefined {
  if (target.id === categoryId)
    return new RuleViolation('unprocessable', 'A category cannot be reassigned to itself', [
      { field: 'reassignTo', message: 'Must be another category' },
    ]);
  if (!kindAcceptsAll(target.kind, usedTypes))
    return new RuleViolation(
      'unprocessable',
      `The target category (${target.kind}) cannot hold this category's ${usedTypes.join(' and ')} transactions`,
      [{ field: 'reassignTo', message: 'Kind does not fit the transactions to move' }],
    );
  return undefined;
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
