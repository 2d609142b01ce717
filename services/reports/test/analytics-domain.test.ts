import {
  UNCATEGORISED,
  categoryTrends,
  incomeExpenseSeries,
  otherCurrencies,
  runningBalance,
  savingsRate,
  spendingBreakdown,
} from '../src/domain/analytics';

/** The pure rules behind the analytics endpoints (the HTTP tests check them against the roll-ups). */
describe('analytics domain', () => {
  const food = '4c1b6a4e-9a0b-4c55-8a9e-000000000001';
  const rent = '4c1b6a4e-9a0b-4c55-8a9e-000000000002';
  const early = '4c1b6a4e-9a0b-4c55-8a9e-000000000003';

  describe('spendingBreakdown', () => {
    it('largest first, ties by name; shares of the grand total (half-even); uncategorised and unnamed rows', () => {
      const result = spendingBreakdown(
        [
          { categoryKey: food, name: 'Food', color: '#2E7D32', totalMinor: 5940n, count: 2 },
          { categoryKey: UNCATEGORISED, name: null, color: null, totalMinor: 1999n, count: 1 },
          { categoryKey: rent, name: 'Rent', color: '#C62828', totalMinor: 120000n, count: 1 },
          { categoryKey: early, name: null, color: null, totalMinor: 1999n, count: 3 },
        ],
        'NZD',
      );
      expect(result).toEqual({
        total: '1299.38',
        count: 7,
        categories: [
          { category_id: rent, name: 'Rent', color: '#C62828', total: '1200.00', share: '92.35', count: 1 },
          { category_id: food, name: 'Food', color: '#2E7D32', total: '59.40', share: '4.57', count: 2 },
          // Equal totals: by name ('' for both unnamed rows, then stable).
          {
            category_id: null,
            name: 'Uncategorised',
            color: '#9AA0A6',
            total: '19.99',
            share: '1.54',
            count: 1,
          },
          // A transaction that arrived before its category's event: shown, not dropped.
          {
            category_id: early,
            name: 'Unknown category',
            color: '#9AA0A6',
            total: '19.99',
            share: '1.54',
            count: 3,
          },
        ],
      });
    });

    it('nothing spent: zero total, no rows; currencies without decimals', () => {
      expect(spendingBreakdown([], 'JPY')).toEqual({ total: '0', count: 0, categories: [] });
      expect(
        spendingBreakdown(
          [{ categoryKey: food, name: 'Food', color: '#000', totalMinor: 1200n, count: 1 }],
          'JPY',
        ).categories[0],
      ).toMatchObject({ total: '1200', share: '100.00' });
    });

    it('is exact beyond 64 bits and beyond Number precision', () => {
      const huge = 9_999_999_999_999_990_000n; // ten BHD 999,999,999,999,999.000
      const result = spendingBreakdown(
        [
          { categoryKey: food, name: 'Food', color: '#000', totalMinor: huge, count: 10 },
          { categoryKey: rent, name: 'Rent', color: '#000', totalMinor: 1n, count: 1 },
        ],
        'BHD',
      );
      expect(result.total).toBe('9999999999999990.001');
      expect(result.categories.map((c) => [c.total, c.share])).toEqual([
        ['9999999999999990.000', '100.00'],
        ['0.001', '0.00'],
      ]);
    });
  });

  it('savingsRate: net ÷ income, null without income, negative when spending exceeds it', () => {
    expect(savingsRate(500000n, 130964n)).toBe('73.81');
    expect(savingsRate(0n, 100n)).toBeNull();
    expect(savingsRate(100n, 250n)).toBe('-150.00');
    expect(savingsRate(3n, 1n)).toBe('66.67');
  });

  it('incomeExpenseSeries: every period zero-filled, in order, with totals over all of them', () => {
    const amounts = new Map([
      ['2026-01-01', { income: 0n, expense: 4510n }],
      ['2026-02-01', { income: 500000n, expense: 130964n }],
    ]);
    expect(incomeExpenseSeries(['2026-01-01', '2026-02-01', '2026-03-01'], amounts, 'NZD')).toEqual({
      periods: [
        { period_start: '2026-01-01', income: '0.00', expense: '45.10', net: '-45.10', savings_rate: null },
        {
          period_start: '2026-02-01',
          income: '5000.00',
          expense: '1309.64',
          net: '3690.36',
          savings_rate: '73.81',
        },
        { period_start: '2026-03-01', income: '0.00', expense: '0.00', net: '0.00', savings_rate: null },
      ],
      totals: { income: '5000.00', expense: '1354.74', net: '3645.26', savings_rate: '72.91' },
    });
    // Amounts for periods outside the series are not counted.
    expect(incomeExpenseSeries(['2026-03-01'], amounts, 'NZD').totals.expense).toBe('0.00');
  });

  it('runningBalance: each closing balance = previous + inflow − outflow, from the opening balance', () => {
    const flows = new Map([
      ['2026-01-01', { inflow: 10000n, outflow: 2500n }],
      ['2026-03-01', { inflow: 0n, outflow: 20000n }],
    ]);
    expect(runningBalance(['2026-01-01', '2026-02-01', '2026-03-01'], flows, 5000n, 'USD')).toEqual({
      opening_balance: '50.00',
      periods: [
        { period_start: '2026-01-01', inflow: '100.00', outflow: '25.00', net: '75.00', balance: '125.00' },
        { period_start: '2026-02-01', inflow: '0.00', outflow: '0.00', net: '0.00', balance: '125.00' },
        { period_start: '2026-03-01', inflow: '0.00', outflow: '200.00', net: '-200.00', balance: '-75.00' },
      ],
      closing_balance: '-75.00',
    });
    expect(runningBalance([], flows, 5000n, 'USD')).toEqual({
      opening_balance: '50.00',
      periods: [],
      closing_balance: '50.00',
    });
  });

  it('categoryTrends: vs the previous period and vs the half-even mean of the history; null % on a zero base', () => {
    const totals = new Map([
      [
        food,
        new Map([
          ['2026-01-01', 4510n],
          ['2026-02-01', 5940n],
          ['2026-03-01', 9900n],
        ]),
      ],
      [rent, new Map([['2026-02-01', 120000n]])],
      [UNCATEGORISED, new Map([['2026-03-01', 100n]])],
    ]);
    const rows = categoryTrends(
      [
        { categoryKey: rent, name: 'Rent', color: '#C62828' },
        { categoryKey: food, name: 'Food', color: '#2E7D32' },
        { categoryKey: UNCATEGORISED, name: null, color: null },
      ],
      totals,
      '2026-03-01',
      ['2026-01-01', '2026-02-01'],
      'NZD',
    );
    expect(rows).toEqual([
      {
        category_id: food,
        name: 'Food',
        color: '#2E7D32',
        current: '99.00',
        previous: '59.40',
        change: '39.60',
        change_percent: '66.67',
        average: '52.25',
        change_vs_average: '46.75',
        change_vs_average_percent: '89.47',
      },
      {
        category_id: null,
        name: 'Uncategorised',
        color: '#9AA0A6',
        current: '1.00',
        previous: '0.00',
        change: '1.00',
        change_percent: null,
        average: '0.00',
        change_vs_average: '1.00',
        change_vs_average_percent: null,
      },
      {
        category_id: rent,
        name: 'Rent',
        color: '#C62828',
        current: '0.00',
        previous: '1200.00',
        change: '-1200.00',
        change_percent: '-100.00',
        average: '600.00',
        change_vs_average: '-600.00',
        change_vs_average_percent: '-100.00',
      },
    ]);
    // The mean rounds half to even: (1 + 2) / 2 = 1.5 → 2; (1 + 0) / 2 = 0.5 → 0.
    const odd = categoryTrends(
      [{ categoryKey: food, name: 'Food', color: '#000' }],
      new Map([
        [
          food,
          new Map([
            ['a', 1n],
            ['b', 2n],
          ]),
        ],
      ]),
      'c',
      ['a', 'b'],
      'JPY',
    );
    expect(odd[0].average).toBe('2');
    const even = categoryTrends(
      [{ categoryKey: food, name: 'Food', color: '#000' }],
      new Map([[food, new Map([['a', 1n]])]]),
      'c',
      ['a', 'b'],
      'JPY',
    );
    expect(even[0].average).toBe('0');
  });

  it('otherCurrencies: counts outside the base currency, merged per currency, largest first', () => {
    expect(
      otherCurrencies(
        [
          { currency: 'EUR', count: 4 },
          { currency: 'USD', count: 2 },
          { currency: 'JPY', count: 3 },
          { currency: 'USD', count: 1 },
          { currency: 'GBP', count: 0 },
          { currency: 'CHF', count: 3 },
        ],
        'EUR',
      ),
    ).toEqual([
      { currency: 'CHF', count: 3 },
      { currency: 'JPY', count: 3 },
      { currency: 'USD', count: 3 },
    ]);
    expect(otherCurrencies([{ currency: 'EUR', count: 9 }], 'EUR')).toEqual([]);
    expect(otherCurrencies([], 'EUR')).toEqual([]);
  });
});
