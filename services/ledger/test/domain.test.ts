import { accountBalance } from '../src/domain/balance';
import { categoryFits, kindAcceptsAll, parentProblems } from '../src/domain/categories';
import { isCalendarDate, todayIn } from '../src/domain/dates';
import { canonicalJson, requestFingerprint } from '../src/domain/idempotency';
import { cursorAfter, sortPlan } from '../src/domain/transaction-order';
import { currencyProblem, transactionShapeProblems } from '../src/domain/transactions';

describe('ledger domain rules', () => {
  it('computes balances exactly in minor units', () => {
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
    ).toBe(
      9_007_199_254_740_993n, // beyond Number.MAX_SAFE_INTEGER, still exact
    );
  });

  it('fits categories to transaction types', () => {
    expect(categoryFits('expense', 'expense')).toBe(true);
    expect(categoryFits('expense', 'income')).toBe(false);
    expect(categoryFits('income', 'income')).toBe(true);
    expect(categoryFits('both', 'expense')).toBe(true);
    expect(categoryFits('both', 'transfer')).toBe(false);
    expect(kindAcceptsAll('expense', ['expense'])).toBe(true);
    expect(kindAcceptsAll('expense', ['expense', 'income'])).toBe(false);
    expect(kindAcceptsAll('income', [])).toBe(true);
  });

  it('keeps sub-categories one level deep', () => {
    const base = { categoryId: 'c', parentId: 'p', parentsParentId: null, hasChildren: false };
    expect(parentProblems(base)).toEqual([]);
    expect(parentProblems({ ...base, parentId: 'c' })[0].message).toMatch(/own parent/);
    expect(parentProblems({ ...base, parentsParentId: 'g' })[0].message).toMatch(/one level/);
    expect(parentProblems({ ...base, hasChildren: true })[0].message).toMatch(/sub-categories/);
    expect(parentProblems({ ...base, categoryId: null })).toEqual([]);
  });

  it('checks transfer shape and currencies', () => {
    expect(
      transactionShapeProblems({ type: 'transfer', accountId: 'a', toAccountId: null, categoryId: null }),
    ).toEqual([{ field: 'body.to_account_id', message: 'Required for a transfer' }]);
    expect(
      transactionShapeProblems({ type: 'transfer', accountId: 'a', toAccountId: 'a', categoryId: 'c' }).map(
        (e) => e.field,
      ),
    ).toEqual(['body.to_account_id', 'body.category_id']);
    expect(
      transactionShapeProblems({ type: 'income', accountId: 'a', toAccountId: 'b', categoryId: null }),
    ).toHaveLength(1);
    expect(
      transactionShapeProblems({ type: 'expense', accountId: 'a', toAccountId: null, categoryId: 'c' }),
    ).toEqual([]);
    const usd = { currency: 'USD', archived: false };
    expect(currencyProblem('USD', usd, usd, 'USD')).toBeUndefined();
    expect(currencyProblem('EUR', usd, undefined, 'USD')?.field).toBe('body.currency');
    expect(currencyProblem('USD', usd, { currency: 'EUR', archived: false }, 'USD')?.field).toBe(
      'body.to_account_id',
    );
    expect(currencyProblem('USD', usd, undefined, 'EUR')?.message).toMatch(/not available yet/);
  });

  it('fingerprints request bodies canonically', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[1,{"x":1,"y":2}]},"b":1}',
    );
    expect(requestFingerprint({ a: 1, b: '2' })).toBe(requestFingerprint({ b: '2', a: 1 }));
    expect(requestFingerprint({ a: 1 })).not.toBe(requestFingerprint({ a: '1' }));
    expect(requestFingerprint({ a: 1, b: undefined })).toBe(requestFingerprint({ a: 1 }));
  });

  it('knows calendar dates and today in a timezone', () => {
    expect(isCalendarDate('2024-02-29')).toBe(true);
    expect(isCalendarDate('2023-02-29')).toBe(false);
    expect(isCalendarDate('2024-2-1')).toBe(false);
    const instant = new Date('2024-03-31T23:30:00Z');
    expect(todayIn('UTC', instant)).toBe('2024-03-31');
    expect(todayIn('Europe/Paris', instant)).toBe('2024-04-01');
    expect(todayIn('America/New_York', instant)).toBe('2024-03-31');
    expect(todayIn('Not/AZone', instant)).toBe('2024-03-31');
  });

  it('builds cursors bound to their sort', () => {
    const row = { id: '3f0e7d3c-8a4b-4d1e-9c2a-1b2c3d4e5f60', date: '2024-01-02', baseAmountMinor: '1234' };
    expect(cursorAfter('-date', row)).toEqual({ s: '-date', k: '2024-01-02', id: row.id });
    expect(cursorAfter('amount', row)).toEqual({ s: 'amount', k: '1234', id: row.id });
    expect(sortPlan('-amount')).toEqual({ column: 'base_amount_minor', descending: true });
    expect(sortPlan('date')).toEqual({ column: 'date', descending: false });
  });
});
