import {
  clearedStatusViolation,
  lockedChanges,
  lockedChangeViolation,
  lockedStateOf,
  statementDifference,
} from '../src/reconciliation/domain/reconciliation';
import { patchedDraft, replacementDraft, type TransactionState } from '../src/domain/transactions';

describe('reconciliation rules', () => {
  const stored = {
    amountMinor: '1250',
    currency: 'EUR',
    date: '2026-01-05',
    accountId: 'a',
    toAccountId: null,
    type: 'expense' as const,
    cleared: 'reconciled' as const,
  };

  it('lets a client set uncleared or cleared, and reconciled only where it already is', () => {
    expect(clearedStatusViolation(undefined, undefined)).toBeUndefined();
    expect(clearedStatusViolation('cleared', 'reconciled')).toBeUndefined();
    expect(clearedStatusViolation('reconciled', 'reconciled')).toBeUndefined();
    for (const stored of [undefined, 'uncleared', 'cleared'] as const) {
      const violation = clearedStatusViolation('reconciled', stored);
      expect(violation?.kind).toBe('unprocessable');
      expect(violation?.problems.map((p) => p.field)).toEqual(['cleared']);
    }
  });

  it('names exactly the locked fields that change, amounts compared as exact decimals', () => {
    const before = lockedStateOf(stored);
    expect(before.amount).toBe('12.50');
    expect(lockedChanges(before, lockedStateOf({ ...stored, amountMinor: 1250n }))).toEqual([]);
    expect(
      lockedChanges(
        before,
        lockedStateOf({ ...stored, amountMinor: 1251n, date: '2026-01-06', cleared: 'cleared' }),
      ),
    ).toEqual(['amount', 'date', 'cleared']);
    expect(lockedChanges(before, lockedStateOf({ ...stored, type: 'transfer', toAccountId: 'b' }))).toEqual([
      'toAccountId',
      'type',
    ]);
    const refused = lockedChangeViolation('update', ['amount']);
    expect(refused.kind).toBe('conflict');
    expect(refused.detail).toContain('force=true');
    expect(lockedChangeViolation('delete', ['amount']).problems.map((p) => p.field)).toEqual(['force']);
  });

  it('measures a statement against the cleared balance exactly, in minor units', () => {
    expect(statementDifference(12_485n, 12_485n)).toBe(0n);
    expect(statementDifference(11_785n, 12_485n)).toBe(-700n);
    expect(statementDifference(9_007_199_254_740_993n, 1n)).toBe(9_007_199_254_740_992n);
  });

  it('keeps the stored status on a PUT that leaves it out and on a PATCH that does not name it', () => {
    const current: TransactionState = {
      accountId: 'a',
      toAccountId: null,
      categoryId: null,
      type: 'expense',
      amount: '12.50',
      currency: 'EUR',
      description: '',
      notes: null,
      payee: null,
      tags: [],
      date: '2026-01-05',
      cleared: 'reconciled',
      splits: [],
    };
    const put = replacementDraft(current, {
      toAccountId: null,
      categoryId: null,
      type: 'expense',
      amount: '12.50',
      description: 'x',
      notes: null,
      payee: null,
      tags: [],
    });
    expect(put.cleared).toBe('reconciled');
    expect(patchedDraft(current, { notes: 'n' })?.cleared).toBe('reconciled');
    expect(patchedDraft(current, { cleared: 'cleared' })?.cleared).toBe('cleared');
  });
});
