import {
  DuplicateIndex,
  duplicateKey,
  normaliseDescription,
  signedAmount,
} from '../src/import/domain/duplicates';
import { createdCategoryKind, nameKey, rowDraft, type ImportLookups } from '../src/import/domain/rows';
import type { StatementRow } from '../src/import/formats/statement';

describe('normaliseDescription', () => {
  it.each([
    ['CARD  PAYMENT - Café, Lisboa.', 'card payment café lisboa'],
    ['  card payment café lisboa ', 'card payment café lisboa'],
    ['Tab\there\nand newline', 'tab here and newline'],
    ['O’Brien & Sons (Ltd.)', 'obrien sons ltd'],
    ['ＡＢＣ　１２３', 'abc 123'], // full-width letters and space (NFKC)
    ['€ 12,00 — refund!', '1200 refund'],
    ['', ''],
  ])('%j → %j', (text, expected) => {
    expect(normaliseDescription(text)).toBe(expected);
  });
});

describe('DuplicateIndex', () => {
  const facts = {
    accountId: 'a',
    date: '2026-05-01',
    signedAmountMinor: -1250n,
    description: 'Coffee, Shop',
  };

  it('matches the same account, date, signed amount and normalised description, and nothing else', () => {
    const index = new DuplicateIndex();
    index.add(facts, null);
    expect(index.match({ ...facts, description: 'coffee  shop' }, null)).toBe('same_entry');
    expect(index.match({ ...facts, accountId: 'b' }, null)).toBeNull();
    expect(index.match({ ...facts, date: '2026-05-02' }, null)).toBeNull();
    expect(index.match({ ...facts, signedAmountMinor: 1250n }, null)).toBeNull();
    expect(index.match({ ...facts, description: 'Coffee Shops' }, null)).toBeNull();
  });

  it('matches by external id whatever else differs', () => {
    const index = new DuplicateIndex();
    index.add(facts, 'FITID-1');
    expect(index.match({ ...facts, accountId: 'b', signedAmountMinor: 1n }, 'FITID-1')).toBe('external_id');
    expect(index.match({ ...facts, accountId: 'b' }, 'FITID-2')).toBeNull();
  });

  it('keys money out as negative', () => {
    expect(signedAmount('expense', 5n)).toBe(-5n);
    expect(signedAmount('transfer', 5n)).toBe(-5n);
    expect(signedAmount('income', 5n)).toBe(5n);
    expect(duplicateKey(facts)).toBe('a|2026-05-01|-1250|coffee shop');
  });
});

describe('rowDraft', () => {
  const checking = { id: 'acc-1', name: 'Checking', currency: 'USD', archived: false };
  const savings = { id: 'acc-2', name: 'Savings', currency: 'USD', archived: false };
  const lookups: ImportLookups = {
    target: checking,
    accounts: new Map([
      [nameKey('Checking'), checking],
      [nameKey('Savings'), savings],
    ]),
    categories: new Map([
      [nameKey('Groceries'), { id: 'cat-1', name: 'Groceries', kind: 'expense' as const }],
    ]),
  };
  const row = (over: Partial<StatementRow>): StatementRow => ({
    line: 2,
    date: '2026-05-01',
    amount: '-12.50',
    currency: null,
    type: null,
    account: null,
    toAccount: null,
    description: 'Shop',
    payee: null,
    category: null,
    notes: null,
    tags: [],
    externalId: null,
    ...over,
  });

  it('takes the type from the sign and the amount without it, in the target account', () => {
    expect(rowDraft(row({}), lookups)).toMatchObject({
      kind: 'draft',
      draft: { type: 'expense', amount: '12.50', accountId: 'acc-1', categoryId: null },
    });
    expect(rowDraft(row({ amount: '3.00' }), lookups)).toMatchObject({
      draft: { type: 'income', amount: '3.00' },
    });
  });

  it('matches accounts and categories by name case-insensitively, and names what it does not know', () => {
    expect(rowDraft(row({ account: ' savings ', category: 'GROCERIES' }), lookups)).toMatchObject({
      draft: { accountId: 'acc-2', categoryId: 'cat-1' },
      newCategory: null,
    });
    expect(rowDraft(row({ category: 'Hobbies' }), lookups)).toMatchObject({ newCategory: 'Hobbies' });
    expect(rowDraft(row({ account: 'Nowhere' }), lookups)).toEqual({
      kind: 'problem',
      problem: { line: 2, column: 'account', reason: 'you have no account named "Nowhere"' },
    });
  });

  it('checks a transfer has its target, and the sign fits the stated type', () => {
    expect(rowDraft(row({ type: 'transfer', toAccount: 'Savings' }), lookups)).toMatchObject({
      draft: { type: 'transfer', toAccountId: 'acc-2' },
    });
    expect(rowDraft(row({ type: 'transfer' }), lookups)).toMatchObject({ problem: { column: 'to_account' } });
    expect(rowDraft(row({ type: 'income' }), lookups)).toMatchObject({ problem: { column: 'amount' } });
    expect(rowDraft(row({ amount: '-0.00' }), lookups)).toMatchObject({ problem: { column: 'amount' } });
  });

  it('gives a created category the kind its rows need', () => {
    expect(createdCategoryKind(new Set(['expense']))).toBe('expense');
    expect(createdCategoryKind(new Set(['income']))).toBe('income');
    expect(createdCategoryKind(new Set(['income', 'expense']))).toBe('both');
  });
});
