import { RuleViolation } from '../src/domain/problems';
import { SPLIT_PARTS_MAX, resolveSplits, splitCategoryIds } from '../src/domain/splits';
import {
  patchedDraft,
  resolveTransaction,
  type SplitDraft,
  type TransactionDraft,
  type TransactionReferences,
  type TransactionState,
} from '../src/domain/transactions';

function violationOf(rule: () => unknown): RuleViolation {
  try {
    rule();
  } catch (error) {
    if (error instanceof RuleViolation) return error;
    throw error;
  }
  throw new Error('expected a RuleViolation');
}

const summary = (v: RuleViolation) => ({ kind: v.kind, fields: v.problems.map((p) => p.field) });
const part = (amount: string, categoryId: string | null = 'food'): SplitDraft => ({
  amount,
  categoryId,
  notes: null,
  tags: [],
});
const categories = new Map([
  ['food', { name: 'Groceries', kind: 'expense' as const }],
  ['home', { name: 'Household', kind: 'expense' as const }],
  ['pay', { name: 'Salary', kind: 'income' as const }],
]);
const receipt = { type: 'expense' as const, currency: 'USD', amountMinor: 8000n, baseAmountMinor: 8000n };

describe('the parts of a split transaction', () => {
  it('are priced exactly: amounts in minor units, base amounts allocated by largest remainder', () => {
    const parts = resolveSplits(
      [{ amount: '62.10', categoryId: 'food', notes: 'weekly', tags: ['a', 'a'] }, part('17.90', 'home')],
      { ...receipt, baseAmountMinor: 7360n }, // 80.00 USD was 73.60 EUR
      categories,
    );
    expect(parts).toEqual([
      { amountMinor: 6210n, baseAmountMinor: 5713n, categoryId: 'food', notes: 'weekly', tags: ['a'] },
      { amountMinor: 1790n, baseAmountMinor: 1647n, categoryId: 'home', notes: null, tags: [] },
    ]);
    // Three equal thirds of 10.00: the leftover cent goes to the first part.
    const thirds = resolveSplits(
      [part('1'), part('1'), part('1')],
      { ...receipt, amountMinor: 300n, baseAmountMinor: 1000n },
      categories,
    );
    expect(thirds.map((p) => p.baseAmountMinor)).toEqual([334n, 333n, 333n]);
  });

  it('are nothing when there are none', () => {
    expect(resolveSplits(undefined, receipt, categories)).toEqual([]);
    expect(resolveSplits(null, receipt, categories)).toEqual([]);
    expect(resolveSplits([], receipt, categories)).toEqual([]);
  });

  it('sum exactly to the amount', () => {
    const off = violationOf(() => resolveSplits([part('62.10'), part('17.89')], receipt, categories));
    expect(summary(off)).toEqual({ kind: 'invalid', fields: ['splits'] });
    expect(off.problems[0].message).toBe('Parts sum to 79.99, must sum to 80.00');
  });

  it('are 2 to 100 positive amounts in the currency', () => {
    expect(summary(violationOf(() => resolveSplits([part('80')], receipt, categories)))).toEqual({
      kind: 'invalid',
      fields: ['splits'],
    });
    const many = Array.from({ length: SPLIT_PARTS_MAX + 1 }, () => part('0.01'));
    expect(
      summary(violationOf(() => resolveSplits(many, { ...receipt, amountMinor: 101n }, categories))),
    ).toEqual({
      kind: 'invalid',
      fields: ['splits'],
    });
    const hundred = Array.from({ length: SPLIT_PARTS_MAX }, () => part('0.80'));
    expect(resolveSplits(hundred, receipt, categories)).toHaveLength(100);
    expect(
      summary(violationOf(() => resolveSplits([part('80.001'), part('0')], receipt, categories))),
    ).toEqual({
      kind: 'invalid',
      fields: ['splits[0].amount'],
    });
    expect(summary(violationOf(() => resolveSplits([part('80'), part('0')], receipt, categories)))).toEqual({
      kind: 'invalid',
      fields: ['splits[1].amount'],
    });
    const yen = { type: 'expense' as const, currency: 'JPY', amountMinor: 1000n, baseAmountMinor: 1000n };
    expect(summary(violationOf(() => resolveSplits([part('999.5'), part('0.5')], yen, categories)))).toEqual({
      kind: 'invalid',
      fields: ['splits[0].amount'],
    });
  });

  it('have categories of the user that fit the type', () => {
    expect(
      summary(violationOf(() => resolveSplits([part('40'), part('40', 'nope')], receipt, categories))),
    ).toEqual({ kind: 'not_found', fields: ['splits[1].categoryId'] });
    expect(
      summary(violationOf(() => resolveSplits([part('40'), part('40', 'pay')], receipt, categories))),
    ).toEqual({ kind: 'unprocessable', fields: ['splits[1].categoryId'] });
    expect(resolveSplits([part('40', null), part('40', null)], receipt, categories)).toHaveLength(2);
  });

  it('never divide a transfer', () => {
    const transfer = { ...receipt, type: 'transfer' as const };
    const v = violationOf(() => resolveSplits([part('40', null), part('40', null)], transfer, categories));
    expect(summary(v)).toEqual({ kind: 'invalid', fields: ['splits'] });
    expect(v.detail).toMatch(/A transfer cannot be split/);
  });

  it('name their categories once each', () => {
    expect(splitCategoryIds([part('1', 'a'), part('1', null), part('1', 'a'), part('1', 'b')])).toEqual([
      'a',
      'b',
    ]);
  });
});

describe('a split transaction', () => {
  const checking = { id: 'acc', name: 'Checking', currency: 'USD', archived: false };
  const refs: TransactionReferences = {
    account: checking,
    toAccount: undefined,
    category: undefined,
    splitCategories: categories,
    baseCurrency: 'USD',
    today: '2024-06-01',
    quotes: new Map(),
  };
  const draft: TransactionDraft = {
    accountId: 'acc',
    toAccountId: null,
    categoryId: null,
    type: 'expense',
    amount: '80.00',
    description: 'Supermarket',
    notes: null,
    payee: null,
    tags: [],
    splits: [part('62.10', 'food'), part('17.90', 'home')],
  };

  it('has its categories in its parts, not its own', () => {
    expect(resolveTransaction(draft, refs).splits.map((p) => p.amountMinor)).toEqual([6210n, 1790n]);
    const both = violationOf(() =>
      resolveTransaction({ ...draft, categoryId: 'food' }, { ...refs, category: categories.get('food') }),
    );
    expect(summary(both)).toEqual({ kind: 'invalid', fields: ['categoryId'] });
    expect(resolveTransaction({ ...draft, splits: [] }, refs).splits).toEqual([]);
  });

  const stored: TransactionState = {
    accountId: 'acc',
    toAccountId: null,
    categoryId: null,
    type: 'expense',
    amount: '80.00',
    currency: 'USD',
    description: 'Supermarket',
    notes: null,
    payee: null,
    tags: [],
    date: '2024-06-01',
    splits: [part('62.10', 'food'), part('17.90', 'home')],
    cleared: 'uncleared',
  };

  it('keeps, replaces or drops its parts on a PATCH', () => {
    expect(patchedDraft(stored, { notes: 'x' })?.splits).toEqual(stored.splits);
    const replaced = [part('70', 'food'), part('10', 'home')];
    expect(patchedDraft(stored, { splits: replaced })?.splits).toEqual(replaced);
    expect(patchedDraft(stored, { splits: null })?.splits).toEqual([]);
    expect(patchedDraft(stored, { splits: [] })?.splits).toEqual([]);
    // Turning it into a transfer drops the parts, as it drops a category.
    expect(patchedDraft(stored, { type: 'transfer', toAccountId: 'sav' })?.splits).toEqual([]);
    // A new amount alone keeps the old parts, which then no longer sum: refused, naming splits.
    const moved = patchedDraft(stored, { amount: '90.00' })!;
    expect(summary(violationOf(() => resolveTransaction(moved, refs)))).toEqual({
      kind: 'invalid',
      fields: ['splits'],
    });
  });

  it('drops its own category when a PATCH splits it, unless the PATCH names one', () => {
    const categorised = { ...stored, categoryId: 'food', splits: [] };
    expect(patchedDraft(categorised, { splits: stored.splits! })?.categoryId).toBeNull();
    expect(patchedDraft(categorised, { splits: stored.splits!, categoryId: 'food' })?.categoryId).toBe(
      'food',
    );
    expect(patchedDraft(categorised, { notes: 'x' })?.categoryId).toBe('food');
  });
});
