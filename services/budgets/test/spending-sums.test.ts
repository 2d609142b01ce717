import fc from 'fast-check';
import { addDays, compareDates } from '@finance/shared';
import { openTestDataSource, type TestDataSource } from '@finance/shared/testing';
import budgets from '../src/service';
import { sumRanges, type SumRange } from '../src/data/spending-analysis';
import { writeSpendingTransaction, type SpendingTransactionState } from '../src/data/spending-transactions';
import { newId } from './fixtures';

/**
 * The one query every budget figure comes from, against a brute-force sum over the same rows:
 * any transactions (types, categories, currencies, tombstones, several a day) and any ranges
 * (overlapping, nested, one day, sharing edges with spending days).
 */
describe('sums of spending per range', () => {
  let database: TestDataSource;
  const categories = [newId(), newId(), newId()];
  const base = '2026-01-01';

  beforeAll(async () => {
    database = await openTestDataSource(budgets, 'budgets_sums');
  });

  afterAll(async () => {
    await database?.close();
  });

  const day = fc.integer({ min: 0, max: 40 }).map((n) => addDays(base, n));
  const part = fc.record({
    categoryId: fc.constantFrom(null, ...categories),
    baseAmountMinor: fc.bigInt({ min: 1n, max: 1_000_000_000_000n }),
  });
  const whole = fc.record({
    categoryId: fc.constantFrom(null, ...categories),
    type: fc.constantFrom('expense', 'expense', 'income', 'transfer') as fc.Arbitrary<
      SpendingTransactionState['type']
    >,
    baseAmountMinor: fc.bigInt({ min: 1n, max: 9_000_000_000_000_000n }),
    baseCurrency: fc.constantFrom('EUR', 'EUR', 'USD'),
    date: day,
    deleted: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
  });
  // Some are split: their parts (2–4) in their own categories, summing to the amount.
  const transaction = fc
    .record({
      t: whole,
      a: fc.boolean(),
      b: fc.boolean(),
      parts: fc.array(part, { minLength: 2, maxLength: 4 }),
    })
    .map(({ t, a, b, parts }) =>
      a && b // one in four
        ? {
            ...t,
            categoryId: null,
            baseAmountMinor: parts.reduce((sum, p) => sum + p.baseAmountMinor, 0n),
            parts,
          }
        : { ...t, parts: [] },
    );
  const range: fc.Arbitrary<SumRange> = fc
    .record({
      categoryId: fc.constantFrom(null, ...categories),
      currency: fc.constantFrom('EUR', 'USD'),
      a: day,
      b: day,
    })
    .map(({ categoryId, currency, a, b }) => {
      const [from, to] = compareDates(a, b) <= 0 ? [a, b] : [b, a];
      return { categoryId, currency, from, to };
    });

  it('equals the brute-force sum of the expenses each range counts', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(transaction, { maxLength: 60 }),
        fc.array(range, { minLength: 1, maxLength: 25 }),
        async (transactions, ranges) => {
          const userId = newId();
          const other = newId(); // another user's spending never counts
          for (const t of transactions)
            for (const owner of [userId, other])
              await writeSpendingTransaction(database.dataSource.manager, {
                ...t,
                id: newId(),
                userId: owner,
                version: 1,
              });
          const expected = ranges.map((r) => {
            // What a range counts: a transaction whole, or (a category's range) each part in it.
            const counted = transactions
              .filter(
                (t) =>
                  !t.deleted &&
                  t.type === 'expense' &&
                  compareDates(r.from, t.date) <= 0 &&
                  compareDates(t.date, r.to) <= 0,
              )
              .flatMap((t) =>
                r.categoryId === null || t.parts.length === 0
                  ? [t]
                  : t.parts.map((p) => ({ ...p, baseCurrency: t.baseCurrency })),
              )
              .filter((t) => r.categoryId === null || t.categoryId === r.categoryId);
            const inCurrency = counted.filter((t) => t.baseCurrency === r.currency);
            return {
              spent: inCurrency.reduce((sum, t) => sum + t.baseAmountMinor, 0n),
              // The range's expenses in another base currency: left out of spent, and counted.
              uncounted: counted.length - inCurrency.length,
            };
          });
          expect(await sumRanges(database.dataSource.manager, userId, ranges)).toEqual(expected);
        },
      ),
      { numRuns: 40 },
    );
  });
});
