import fc from 'fast-check';
import type { TransactionDraft } from '../src/domain/transactions';
import { compareDecimals, prepareRules, runRules, type RuleFacts } from '../src/rules/domain/engine';
import { patternProblem } from '../src/rules/domain/patterns';
import type { RuleDefinition } from '../src/rules/domain/rules';
import { sharesMakeWhole, splitByAmounts, splitByPercentages } from '../src/rules/domain/splits';

const GROCERIES = '00000000-0000-4000-8000-000000000001';
const SALARY = '00000000-0000-4000-8000-000000000002';
const SAVINGS = '00000000-0000-4000-8000-00000000000a';
const MAIN = '00000000-0000-4000-8000-00000000000b';

const facts: RuleFacts = {
  accountId: MAIN,
  date: '2026-03-10',
  currency: 'EUR',
  categories: new Map([
    [GROCERIES, 'expense'],
    [SALARY, 'income'],
  ]),
  accounts: new Map([[SAVINGS, { archived: false }]]),
};

function draft(over: Partial<TransactionDraft> = {}): TransactionDraft {
  return {
    toAccountId: null,
    categoryId: null,
    type: 'expense',
    amount: '42.50',
    description: 'ALBERT HEIJN 1234 AMSTERDAM',
    notes: null,
    payee: null,
    tags: [],
    ...over,
  };
}

function rule(over: Partial<RuleDefinition>): RuleDefinition {
  return {
    id: 'r1',
    name: 'rule',
    enabled: true,
    match: 'all',
    conditions: [],
    actions: [],
    stopProcessing: false,
    ...over,
  };
}

const albertHeijn = rule({
  name: 'Albert Heijn',
  conditions: [
    { field: 'description', operator: 'starts_with', value: 'albert heijn', caseSensitive: false },
  ],
  actions: [
    { type: 'setDescription', description: 'Albert Heijn' },
    { type: 'setCategory', categoryId: GROCERIES },
  ],
});

describe('matching', () => {
  it.each([
    ['contains', 'heijn 1234', true],
    ['contains', 'jumbo', false],
    ['starts_with', 'albert', true],
    ['starts_with', 'heijn', false],
    ['equals', 'albert heijn 1234 amsterdam', true],
    ['equals', 'albert heijn', false],
    ['regex', '^albert\\s+heijn\\s+\\d+', true],
    ['regex', 'jumbo|lidl', false],
  ] as const)('description %s %j → %s (case-insensitive)', (operator, value, expected) => {
    const prepared = prepareRules([
      rule({ conditions: [{ field: 'description', operator, value, caseSensitive: false }] }),
    ]);
    expect(runRules(prepared, draft(), facts).effects).toHaveLength(expected ? 1 : 0);
  });

  it('is case-sensitive when asked', () => {
    const prepared = prepareRules([
      rule({
        conditions: [{ field: 'description', operator: 'contains', value: 'albert', caseSensitive: true }],
      }),
    ]);
    expect(runRules(prepared, draft(), facts).effects).toHaveLength(0);
  });

  it.each([
    [{ field: 'amount', operator: 'eq', value: '42.5' }, true],
    [{ field: 'amount', operator: 'eq', value: '42.51' }, false],
    [{ field: 'amount', operator: 'lt', value: '42.500001' }, true],
    [{ field: 'amount', operator: 'gt', value: '42.50' }, false],
    [{ field: 'amount', operator: 'between', min: '42.50', max: '42.50' }, true],
    [{ field: 'amount', operator: 'between', min: '0.01', max: '42.49' }, false],
    [{ field: 'accountId', value: MAIN }, true],
    [{ field: 'accountId', value: SAVINGS }, false],
    [{ field: 'type', value: 'expense' }, true],
    [{ field: 'type', value: 'income' }, false],
    [{ field: 'date', operator: 'before', value: '2026-03-10' }, false],
    [{ field: 'date', operator: 'after', value: '2026-03-09' }, true],
    [{ field: 'date', operator: 'between', from: '2026-03-10', to: '2026-03-10' }, true],
    [{ field: 'payee', operator: 'equals', value: '', caseSensitive: false }, true],
  ] as const)('%j → %s', (condition, expected) => {
    const prepared = prepareRules([
      rule({ conditions: [condition as RuleDefinition['conditions'][number]] }),
    ]);
    expect(runRules(prepared, draft(), facts).effects).toHaveLength(expected ? 1 : 0);
  });

  it('match any needs one condition, all needs every one', () => {
    const conditions: RuleDefinition['conditions'] = [
      { field: 'type', value: 'income' },
      { field: 'amount', operator: 'gt', value: '10' },
    ];
    expect(runRules(prepareRules([rule({ conditions, match: 'any' })]), draft(), facts).effects).toHaveLength(
      1,
    );
    expect(runRules(prepareRules([rule({ conditions, match: 'all' })]), draft(), facts).effects).toHaveLength(
      0,
    );
  });

  it('compares decimals exactly', () => {
    expect(compareDecimals('0.1', '0.10')).toBe(0);
    expect(compareDecimals('12345678901234567890.01', '12345678901234567890.001')).toBe(1);
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 10n ** 20n }),
        fc.bigInt({ min: 0n, max: 10n ** 20n }),
        (a, b) => {
          const text = (n: bigint) => `${n / 100n}.${(n % 100n).toString().padStart(2, '0')}`;
          expect(compareDecimals(text(a), text(b))).toBe(a === b ? 0 : a < b ? -1 : 1);
        },
      ),
    );
  });
});

describe('actions', () => {
  it('renames and categorises', () => {
    const { draft: after, effects } = runRules(prepareRules([albertHeijn]), draft(), facts);
    expect(after).toMatchObject({ description: 'Albert Heijn', categoryId: GROCERIES });
    expect(effects).toEqual([
      { ruleId: 'r1', ruleName: 'Albert Heijn', changed: ['description', 'categoryId'], skipped: [] },
    ]);
  });

  it('never overrides a category, payee or notes the transaction has; renames anyway', () => {
    const rules = prepareRules([
      rule({
        actions: [
          { type: 'setCategory', categoryId: GROCERIES },
          { type: 'setPayee', payee: 'AH' },
          { type: 'setNotes', notes: 'n' },
          { type: 'setDescription', description: 'Albert Heijn' },
        ],
      }),
    ]);
    const mine = draft({ categoryId: SALARY, payee: 'Mine', notes: 'mine' });
    const { draft: after, effects } = runRules(rules, mine, facts);
    expect(after).toEqual({ ...mine, description: 'Albert Heijn' });
    expect(effects[0].skipped.map((s) => s.action)).toEqual(['setCategory', 'setPayee', 'setNotes']);
  });

  it('skips a category that does not fit the type, or is gone', () => {
    const rules = prepareRules([
      rule({
        actions: [
          { type: 'setCategory', categoryId: SALARY },
          { type: 'setCategory', categoryId: '00000000-0000-4000-8000-0000000000ff' },
        ],
      }),
    ]);
    const { draft: after, effects } = runRules(rules, draft(), facts);
    expect(after.categoryId).toBeNull();
    expect(effects[0].skipped).toHaveLength(2);
  });

  it('adds and removes tags, within the limit', () => {
    const rules = prepareRules([
      rule({
        actions: [
          { type: 'addTags', tags: ['food', 'weekly'] },
          { type: 'removeTags', tags: ['card'] },
        ],
      }),
    ]);
    expect(runRules(rules, draft({ tags: ['card', 'food'] }), facts).draft.tags).toEqual(['food', 'weekly']);
    const full = Array.from({ length: 20 }, (_, i) => `t${i}`);
    expect(runRules(rules, draft({ tags: full }), facts).draft.tags).toEqual(full);
  });

  it('marks an expense as a transfer to another account of the user', () => {
    const rules = prepareRules([rule({ actions: [{ type: 'markTransfer', toAccountId: SAVINGS }] })]);
    expect(runRules(rules, draft(), facts).draft).toMatchObject({ type: 'transfer', toAccountId: SAVINGS });
    expect(runRules(rules, draft({ type: 'income' }), facts).draft.type).toBe('income');
    expect(runRules(rules, draft(), { ...facts, accountId: SAVINGS }).draft.type).toBe('expense');
  });

  it('later rules see earlier changes; stop_processing ends the run; disabled rules are passed over', () => {
    const second = rule({
      id: 'r2',
      conditions: [{ field: 'description', operator: 'equals', value: 'Albert Heijn', caseSensitive: true }],
      actions: [{ type: 'addTags', tags: ['food'] }],
    });
    expect(runRules(prepareRules([albertHeijn, second]), draft(), facts).draft.tags).toEqual(['food']);
    const stopping = { ...albertHeijn, stopProcessing: true };
    expect(runRules(prepareRules([stopping, second]), draft(), facts).draft.tags).toEqual([]);
    const disabled = { ...albertHeijn, enabled: false };
    expect(runRules(prepareRules([disabled]), draft(), facts).effects).toEqual([]);
  });

  it('splits by percentages into SplitDraft parts', () => {
    const rules = prepareRules([
      rule({
        actions: [
          {
            type: 'split',
            mode: 'percentages',
            parts: [
              { share: '33.3333', categoryId: GROCERIES, notes: null, tags: [] },
              { share: '33.3333', categoryId: null, notes: 'b', tags: [] },
              { share: '33.3334', categoryId: null, notes: null, tags: ['x'] },
            ],
            remainder: null,
          },
        ],
      }),
    ]);
    expect(runRules(rules, draft({ amount: '10.00' }), facts).draft.splits).toEqual([
      { amount: '3.33', categoryId: GROCERIES, notes: null, tags: [] },
      { amount: '3.33', categoryId: null, notes: 'b', tags: [] },
      { amount: '3.34', categoryId: null, notes: null, tags: ['x'] },
    ]);
  });

  it('splits fixed amounts with the rest in a last part, or not at all when they exceed it', () => {
    const rules = prepareRules([
      rule({
        actions: [
          {
            type: 'split',
            mode: 'amounts',
            parts: [{ share: '17.90', categoryId: null, notes: 'household', tags: [] }],
            remainder: { categoryId: GROCERIES, notes: null, tags: [] },
          },
        ],
      }),
    ]);
    expect(runRules(rules, draft({ amount: '80' }), facts).draft.splits).toEqual([
      { amount: '17.90', categoryId: null, notes: 'household', tags: [] },
      { amount: '62.10', categoryId: GROCERIES, notes: null, tags: [] },
    ]);
    const small = runRules(rules, draft({ amount: '10' }), facts);
    expect(small.draft.splits).toBeUndefined();
    expect(small.effects[0].skipped[0].action).toBe('split');
  });
});

describe('splits', () => {
  it('largest remainder: exact sum, each part within one unit of its exact share', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 10n ** 15n }),
        fc.array(fc.integer({ min: 1, max: 1000 }), { minLength: 1, maxLength: 8 }),
        (total, weights) => {
          // Shares in 1/10,000 % making exactly 100 %: the last takes what the others leave.
          const units = weights.map((w) => BigInt(w));
          const sum = units.reduce((a, b) => a + b, 0n);
          const scaled = units.map((u) => (u * 1_000_000n) / sum);
          scaled[scaled.length - 1] += 1_000_000n - scaled.reduce((a, b) => a + b, 0n);
          if (scaled.some((s) => s <= 0n)) return;
          const shares = scaled.map((s) => `${s / 10_000n}.${(s % 10_000n).toString().padStart(4, '0')}`);
          expect(sharesMakeWhole(shares)).toBe(true);
          const parts = splitByPercentages(total, shares);
          expect(parts.reduce((a, b) => a + b, 0n)).toBe(total);
          parts.forEach((p, i) => {
            const exactTimesWhole = total * scaled[i];
            expect(p * 1_000_000n <= exactTimesWhole + 1_000_000n).toBe(true);
            expect(p * 1_000_000n >= exactTimesWhole - 1_000_000n).toBe(true);
          });
        },
      ),
    );
  });

  it('gives leftover units to the largest remainders, ties to the earlier part', () => {
    expect(splitByPercentages(100n, ['33.3333', '33.3333', '33.3334'])).toEqual([33n, 33n, 34n]);
    expect(splitByPercentages(1n, ['50', '50'])).toEqual([1n, 0n]);
    expect(splitByPercentages(5n, ['10', '20', '70'])).toEqual([1n, 1n, 3n]);
  });

  it('rejects shares that do not make 100 % or have too many decimals', () => {
    expect(sharesMakeWhole(['50', '49.99'])).toBe(false);
    expect(sharesMakeWhole(['50.00001', '49.99999'])).toBe(false);
    expect(sharesMakeWhole(['0', '100'])).toBe(false);
  });

  it('fixed amounts keep the remainder in a last part', () => {
    expect(splitByAmounts(1000n, [300n, 200n])).toEqual([300n, 200n, 500n]);
    expect(splitByAmounts(500n, [300n, 200n])).toEqual([300n, 200n]);
    expect(splitByAmounts(400n, [300n, 200n])).toBeUndefined();
  });
});

describe('patterns', () => {
  it('refuses what RE2 cannot run in linear time, and over-long patterns', () => {
    expect(patternProblem('^albert\\s+heijn')).toBeUndefined();
    expect(patternProblem('(a)\\1')).toMatch(/backreferences/);
    expect(patternProblem('(?=a)b')).toBeDefined();
    expect(patternProblem('(')).toBeDefined();
    expect(patternProblem('a'.repeat(201))).toMatch(/200/);
  });

  it('matches a catastrophic-looking pattern on long input without backtracking', () => {
    const prepared = prepareRules([
      rule({ conditions: [{ field: 'notes', operator: 'regex', value: '(a+)+$', caseSensitive: false }] }),
    ]);
    // A backtracking engine takes longer than the universe on this; RE2 answers at once.
    expect(runRules(prepared, draft({ notes: `${'a'.repeat(1999)}!` }), facts).effects).toHaveLength(0);
  });
});
