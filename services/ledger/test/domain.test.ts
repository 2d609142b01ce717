import { accountStateOf, replacedAccount, type StoredAccount } from '../src/domain/accounts';
import { accountBalance } from '../src/domain/balance';
import {
  categoryFits,
  kindAcceptsAll,
  kindChangeViolation,
  parentProblems,
  reassignmentViolation,
} from '../src/domain/categories';
import { isEmptyPatch, mergePatch } from '../src/domain/merge-patch';
import { storableMinorUnits } from '../src/domain/money';
import { RuleViolation } from '../src/domain/problems';
import { transactionFilter } from '../src/domain/transaction-filter';
import { cursorAfter, cursorSortViolation, sortPlan } from '../src/domain/transaction-order';
import {
  baseAmountOf,
  fxQuoteKey,
  patchedDraft,
  replacementDraft,
  resolveTransaction,
  transactionShapeProblems,
  type TransactionDraft,
  type TransactionReferences,
  type TransactionState,
} from '../src/domain/transactions';

/** The violation a rule throws, for asserting on (fails the test when nothing is thrown). */
function violationOf(rule: () => unknown): RuleViolation {
  try {
    rule();
  } catch (error) {
    if (error instanceof RuleViolation) return error;
    throw error;
  }
  throw new Error('expected a rule violation');
}
const summary = (v: RuleViolation | undefined) =>
  v && { kind: v.kind, fields: v.problems.map((p) => p.field) };

describe('balances', () => {
  it('are exact in minor units, beyond the safe integers of a float', () => {
    expect(
      accountBalance({
        openingBalance: -100_000n,
        income: 30n,
        expense: 10n,
        transfersOut: 5n,
        transfersIn: 7n,
      }),
    ).toBe(-99_978n);
    expect(
      accountBalance({
        openingBalance: 0n,
        income: 9_007_199_254_740_993n,
        expense: 0n,
        transfersOut: 0n,
        transfersIn: 0n,
      }),
    ).toBe(9_007_199_254_740_993n);
  });
});

describe('amounts', () => {
  it('become storable minor units, or an invalid field named in domain terms', () => {
    expect(storableMinorUnits('12.5', 'USD', 'amount')).toBe(1250n);
    expect(storableMinorUnits('-3', 'JPY', 'openingBalance')).toBe(-3n);
    expect(summary(violationOf(() => storableMinorUnits('1.5', 'JPY', 'amount')))).toEqual({
      kind: 'invalid',
      fields: ['amount'],
    });
    // 15 integer digits pass the wire's shape check; with CLF's 4 decimals they overflow a bigint.
    expect(
      violationOf(() => storableMinorUnits('999999999999999', 'CLF', 'amount')).problems[0].message,
    ).toMatch(/Too large/);
    expect(storableMinorUnits('922337203685477.5807', 'CLF', 'amount')).toBe(9_223_372_036_854_775_807n);
  });
});

describe('JSON merge patch (RFC 7396)', () => {
  it('follows the examples of RFC 7396 appendix A', () => {
    const cases: Array<[unknown, unknown, unknown]> = [
      [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
      [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
      [{ a: 'b' }, { a: null }, {}],
      [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
      [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
      [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
      [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
      [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
      [
        ['a', 'b'],
        ['c', 'd'],
        ['c', 'd'],
      ],
      [{ a: 'b' }, ['c'], ['c']],
      [{ a: 'foo' }, null, null],
      [{ a: 'foo' }, 'bar', 'bar'],
      [{ e: null }, { a: 1 }, { e: null, a: 1 }],
      [[1, 2], { a: 'b', c: null }, { a: 'b' }],
      [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
    ];
    for (const [target, patch, result] of cases)
      expect(mergePatch(target as object, patch as object)).toEqual(result);
  });

  it('leaves members the patch does not name, and changes neither argument', () => {
    const target = { name: 'A', tags: ['x'], icon: 'i' as string | null };
    const patch = { name: undefined, icon: null };
    expect(mergePatch(target, patch)).toEqual({ name: 'A', tags: ['x'] });
    expect(target).toEqual({ name: 'A', tags: ['x'], icon: 'i' });
    expect(patch).toEqual({ name: undefined, icon: null });
    expect(isEmptyPatch({})).toBe(true);
    expect(isEmptyPatch({ name: undefined })).toBe(true);
    expect(isEmptyPatch({ icon: null })).toBe(false);
  });
});

describe('accounts', () => {
  const stored: StoredAccount = {
    name: 'Everyday',
    type: 'checking',
    currency: 'USD',
    openingBalanceMinor: '100050',
    archived: false,
  };

  it('keep currency and opening balance when a replacement leaves them out (money history)', () => {
    expect(replacedAccount(stored, { name: 'Old', type: 'checking', archived: true }, true)).toEqual({
      name: 'Old',
      type: 'checking',
      currency: 'USD',
      openingBalanceMinor: 100050n,
      archived: true,
    });
    expect(
      replacedAccount(stored, { name: 'X', type: 'cash', openingBalance: '-20', archived: false }, true)
        .openingBalanceMinor,
    ).toBe(-2000n);
    // The merge a PATCH makes restates what is there: the same values, nothing reset.
    const archived = mergePatch(accountStateOf(stored), { archived: true });
    expect(replacedAccount(stored, archived, true)).toMatchObject({
      openingBalanceMinor: 100050n,
      archived: true,
    });
  });

  it('change currency only while unused, and the opening balance must fit the new currency', () => {
    const toJpy = { name: 'X', type: 'cash' as const, currency: 'JPY', archived: false };
    expect(summary(violationOf(() => replacedAccount(stored, toJpy, true)))).toEqual({
      kind: 'conflict',
      fields: ['currency'],
    });
    // 1000.50 has decimals JPY does not have: the client must state a new opening balance.
    expect(summary(violationOf(() => replacedAccount(stored, toJpy, false)))).toEqual({
      kind: 'invalid',
      fields: ['openingBalance'],
    });
    expect(replacedAccount(stored, { ...toJpy, openingBalance: '150000' }, false)).toMatchObject({
      currency: 'JPY',
      openingBalanceMinor: 150000n,
    });
  });
});

describe('categories', () => {
  it('fit categories to transaction types', () => {
    expect(categoryFits('expense', 'expense')).toBe(true);
    expect(categoryFits('expense', 'income')).toBe(false);
    expect(categoryFits('income', 'income')).toBe(true);
    expect(categoryFits('both', 'expense')).toBe(true);
    expect(categoryFits('both', 'transfer')).toBe(false);
    expect(kindAcceptsAll('expense', ['expense'])).toBe(true);
    expect(kindAcceptsAll('expense', ['expense', 'income'])).toBe(false);
    expect(kindAcceptsAll('income', [])).toBe(true);
  });

  it('keep sub-categories one level deep, naming parentId', () => {
    const base = { categoryId: 'c', parentId: 'p', parentsParentId: null, hasChildren: false };
    expect(parentProblems(base)).toEqual([]);
    expect(parentProblems({ ...base, parentId: 'c' })).toEqual([
      { field: 'parentId', message: 'A category cannot be its own parent' },
    ]);
    expect(parentProblems({ ...base, parentsParentId: 'g' })[0].message).toMatch(/one level/);
    expect(parentProblems({ ...base, hasChildren: true })[0].message).toMatch(/sub-categories/);
    expect(parentProblems({ ...base, categoryId: null })).toEqual([]);
  });

  it('change kind or take over transactions only where the kind fits them', () => {
    expect(kindChangeViolation('income', ['income'])).toBeUndefined();
    expect(summary(kindChangeViolation('income', ['expense', 'income']))).toEqual({
      kind: 'conflict',
      fields: ['kind'],
    });
    const target = { id: 't', kind: 'income' as const };
    expect(reassignmentViolation('c', target, ['income'])).toBeUndefined();
    expect(summary(reassignmentViolation('c', target, ['expense']))).toEqual({
      kind: 'unprocessable',
      fields: ['reassignTo'],
    });
    expect(reassignmentViolation('t', target, [])?.detail).toMatch(/itself/);
  });
});

describe('transactions', () => {
  const checking = { id: 'acc', name: 'Checking', currency: 'USD', archived: false };
  const savings = { id: 'sav', name: 'Savings', currency: 'USD', archived: false };
  const draft: TransactionDraft = {
    accountId: 'acc',
    toAccountId: null,
    categoryId: null,
    type: 'expense',
    amount: '12.5',
    description: 'Shop',
    notes: null,
    payee: null,
    tags: ['a', 'b', 'a'],
  };
  const refs: TransactionReferences = {
    account: checking,
    toAccount: undefined,
    category: undefined,
    splitCategories: new Map(),
    baseCurrency: 'USD',
    today: '2024-06-01',
    quotes: new Map(),
  };

  it('check the shape of transfers before any lookup, in domain field names', () => {
    expect(
      transactionShapeProblems({ type: 'transfer', accountId: 'a', toAccountId: null, categoryId: null }),
    ).toEqual([{ field: 'toAccountId', message: 'Required for a transfer' }]);
    expect(
      transactionShapeProblems({ type: 'transfer', accountId: 'a', toAccountId: 'a', categoryId: 'c' }).map(
        (e) => e.field,
      ),
    ).toEqual(['toAccountId', 'categoryId']);
    expect(transactionShapeProblems({ type: 'income', toAccountId: 'b', categoryId: null })).toHaveLength(1);
    expect(transactionShapeProblems({ type: 'expense', toAccountId: null, categoryId: 'c' })).toEqual([]);
  });

  it('resolve a draft into stored values: minor units, base amount, tags once, today by default', () => {
    expect(resolveTransaction(draft, refs)).toEqual({
      accountId: 'acc',
      toAccountId: null,
      categoryId: null,
      type: 'expense',
      amountMinor: 1250n,
      currency: 'USD',
      baseAmountMinor: 1250n,
      baseCurrency: 'USD',
      fxRate: null,
      fxRateDate: null,
      toAmountMinor: null,
      toCurrency: null,
      description: 'Shop',
      notes: null,
      payee: null,
      tags: ['a', 'b'],
      date: '2024-06-01',
      cleared: 'uncleared',
      splits: [],
    });
    expect(resolveTransaction({ ...draft, date: '2020-02-29' }, refs).date).toBe('2020-02-29');
  });

  it('apply the reference rules in order, each with its kind and field', () => {
    const transfer = { ...draft, type: 'transfer' as const, toAccountId: 'sav' };
    const cases: Array<[TransactionDraft, Partial<TransactionReferences>, string, string[]]> = [
      [draft, { account: undefined }, 'not_found', ['accountId']],
      [{ ...transfer, toAccountId: 'acc' }, {}, 'invalid', ['toAccountId']],
      [transfer, { toAccount: undefined }, 'not_found', ['toAccountId']],
      [draft, { account: { ...checking, archived: true } }, 'conflict', ['accountId']],
      [transfer, { toAccount: { ...savings, archived: true } }, 'conflict', ['toAccountId']],
      [{ ...draft, amount: '1.001' }, {}, 'invalid', ['amount']],
      [{ ...draft, currency: 'EUR' }, {}, 'unprocessable', ['currency']],
      [transfer, { toAccount: { ...savings, currency: 'EUR' } }, 'unprocessable', ['toAccountId']], // no rate stored
      [draft, { baseCurrency: 'EUR' }, 'unprocessable', ['currency']],
      [{ ...draft, categoryId: 'cat' }, { category: undefined }, 'not_found', ['categoryId']],
      [
        { ...draft, categoryId: 'cat' },
        { category: { name: 'Pay', kind: 'income' } },
        'unprocessable',
        ['categoryId'],
      ],
    ];
    for (const [d, r, kind, fields] of cases)
      expect(
        summary(violationOf(() => resolveTransaction(d, { ...refs, toAccount: savings, ...r }))),
      ).toEqual({
        kind,
        fields,
      });
    expect(resolveTransaction(transfer, { ...refs, toAccount: savings }).toAccountId).toBe('sav');
    expect(
      resolveTransaction(
        { ...draft, categoryId: 'cat' },
        { ...refs, category: { name: 'Food', kind: 'both' } },
      ).categoryId,
    ).toBe('cat');
  });

  it('keep the recorded base amount of unchanged money; convert new money at the stored rate, naming the pair and date when there is none', () => {
    const recorded = {
      amountMinor: 1000n,
      currency: 'USD',
      baseAmountMinor: 1000n,
      baseCurrency: 'USD',
      date: '2024-01-05',
      fxRate: null,
      fxRateDate: null,
      toAmountMinor: null,
      toCurrency: null,
    };
    const later = { toAccount: undefined, baseCurrency: 'EUR', recorded, quotes: new Map() };
    const same = { amountMinor: 1000n, currency: 'USD', date: '2024-01-05' };
    expect(baseAmountOf(same, checking, later)).toMatchObject({
      baseAmountMinor: 1000n,
      baseCurrency: 'USD',
    });
    const refused = violationOf(() => baseAmountOf({ ...same, amountMinor: 1200n }, checking, later));
    expect(summary(refused)).toEqual({ kind: 'unprocessable', fields: ['currency'] });
    expect(refused.detail).toContain('"Checking" is in USD, but your base currency is EUR');
    expect(refused.detail).toContain('no USD→EUR rate on or before 2024-01-05');
    expect(refused.problems[0].message).toBe('no USD→EUR rate on or before 2024-01-05');
    // A changed date is new money too: converted at that day's rate.
    expect(
      summary(violationOf(() => baseAmountOf({ ...same, date: '2024-01-08' }, checking, later))),
    ).toEqual({
      kind: 'unprocessable',
      fields: ['currency'],
    });
    const quotes = new Map([
      [
        fxQuoteKey('USD', 'EUR'),
        { from: 'USD', to: 'EUR', ratio: { numerator: 100n, denominator: 108n }, date: '2024-01-05' },
      ],
    ]);
    expect(baseAmountOf({ ...same, amountMinor: 1200n }, checking, { ...later, quotes })).toEqual({
      baseAmountMinor: 1111n, // 12.00 × 100/108 = 11.111… → 11.11
      baseCurrency: 'EUR',
      fxRate: '0.925925925926',
      fxRateDate: '2024-01-05',
      toAmountMinor: null,
      toCurrency: null,
    });
    expect(
      baseAmountOf({ ...same, amountMinor: 5n, currency: 'EUR' }, { ...checking, currency: 'EUR' }, later),
    ).toMatchObject({ baseAmountMinor: 5n, baseCurrency: 'EUR', fxRate: null });
  });

  it("give a transfer between currencies both amounts, at the same day's rate", () => {
    const yen = { id: 'yen', name: 'Yen', currency: 'JPY', archived: false };
    const quotes = new Map([
      [
        fxQuoteKey('USD', 'JPY'),
        { from: 'USD', to: 'JPY', ratio: { numerator: 1575n, denominator: 10n }, date: '2024-05-31' },
      ],
    ]);
    const money = { amountMinor: 1001n, currency: 'USD', date: '2024-06-02' };
    expect(baseAmountOf(money, checking, { toAccount: yen, baseCurrency: 'USD', quotes })).toEqual({
      baseAmountMinor: 1001n,
      baseCurrency: 'USD',
      fxRate: null,
      fxRateDate: null,
      toAmountMinor: 1577n, // 10.01 × 157.5 = 1576.575 → 1577
      toCurrency: 'JPY',
    });
    const none = violationOf(() =>
      baseAmountOf(money, checking, { toAccount: yen, baseCurrency: 'USD', quotes: new Map() }),
    );
    expect(summary(none)).toEqual({ kind: 'unprocessable', fields: ['toAccountId'] });
    expect(none.problems[0].message).toBe('no USD→JPY rate on or before 2024-06-02');
  });

  const stored: TransactionState = {
    accountId: 'acc',
    toAccountId: 'sav',
    categoryId: null,
    type: 'transfer',
    amount: '50.00',
    currency: 'USD',
    description: 'ATM',
    notes: 'n',
    payee: null,
    tags: ['cash'],
    date: '2024-02-10',
    cleared: 'uncleared',
    splits: [],
  };

  it('merge a PATCH onto the stored state with the rules of its type', () => {
    expect(patchedDraft(stored, {})).toBeUndefined();
    expect(patchedDraft(stored, { notes: null })).toMatchObject({
      notes: null,
      toAccountId: 'sav',
      amount: '50.00',
    });
    // A transfer turned into an expense loses its target account; the other way round, its category.
    expect(patchedDraft(stored, { type: 'expense' })).toMatchObject({ type: 'expense', toAccountId: null });
    const expense = { ...stored, type: 'expense' as const, toAccountId: null, categoryId: 'cat' };
    expect(patchedDraft(expense, { type: 'transfer', toAccountId: 'sav' })).toMatchObject({
      categoryId: null,
      toAccountId: 'sav',
    });
    expect(patchedDraft(expense, { amount: '1' })).toMatchObject({ categoryId: 'cat', currency: 'USD' });
    // Another account without a currency takes that account's; with one, the one given.
    expect(patchedDraft(expense, { accountId: 'other' })?.currency).toBeUndefined();
    expect(patchedDraft(expense, { accountId: 'other', currency: 'USD' })?.currency).toBe('USD');
    expect(patchedDraft(expense, { accountId: 'acc' })?.currency).toBe('USD');
    expect(patchedDraft(expense, { tags: [] })?.tags).toEqual([]);
  });

  it('keep account and date on a PUT that leaves them out, and reset the rest', () => {
    const put: TransactionDraft = { ...draft, accountId: undefined, date: undefined, tags: [] };
    expect(replacementDraft(stored, put)).toMatchObject({
      accountId: 'acc',
      date: '2024-02-10',
      tags: [],
      notes: null,
    });
    expect(replacementDraft(stored, { ...put, accountId: 'x', date: '2024-01-01' })).toMatchObject({
      accountId: 'x',
      date: '2024-01-01',
    });
  });
});

describe('listing', () => {
  it('orders bounds by the calendar and amounts in the base currency', () => {
    expect(
      transactionFilter({ from: '2024-01-01', to: '2024-01-01', minAmount: '1', maxAmount: '1' }, 'JPY'),
    ).toMatchObject({
      minBaseAmount: 1n,
      maxBaseAmount: 1n,
    });
    expect(
      summary(violationOf(() => transactionFilter({ from: '2024-02-01', to: '2024-01-31' }, 'USD'))),
    ).toEqual({
      kind: 'invalid',
      fields: ['from'],
    });
    expect(
      summary(violationOf(() => transactionFilter({ minAmount: '10', maxAmount: '9.99' }, 'USD'))),
    ).toEqual({
      kind: 'invalid',
      fields: ['minAmount'],
    });
    expect(summary(violationOf(() => transactionFilter({ maxAmount: '0.5' }, 'JPY')))).toEqual({
      kind: 'invalid',
      fields: ['maxAmount'],
    });
  });

  it('builds cursors bound to their sort', () => {
    const row = { id: '3f0e7d3c-8a4b-4d1e-9c2a-1b2c3d4e5f60', date: '2024-01-02', baseAmountMinor: '1234' };
    expect(cursorAfter('-date', row)).toEqual({ s: '-date', k: '2024-01-02', id: row.id });
    expect(cursorAfter('amount', row)).toEqual({ s: 'amount', k: '1234', id: row.id });
    expect(sortPlan('-amount')).toEqual({ column: 'base_amount_minor', descending: true });
    expect(sortPlan('date')).toEqual({ column: 'date', descending: false });
    expect(cursorSortViolation('-date', cursorAfter('-date', row))).toBeUndefined();
    expect(summary(cursorSortViolation('amount', cursorAfter('-date', row)))).toEqual({
      kind: 'invalid',
      fields: ['cursor'],
    });
  });
});
