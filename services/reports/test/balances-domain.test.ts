import {
  balancePoints,
  balanceSeries,
  bucketThresholds,
  carryForward,
  isLiability,
  netWorthSeries,
} from '../src/domain/balances';
import { balanceLegs } from '../src/events/balance-changes';

/** The pure rules behind net worth and balance history (net-worth.test.ts checks them over HTTP). */
describe('balances domain', () => {
  describe('balancePoints', () => {
    it('each period read at its last day; the last one at `to`; the first may start before `from`', () => {
      expect(balancePoints({ from: '2026-01-15', to: '2026-03-10' }, 'month')).toEqual([
        { periodStart: '2026-01-01', periodEnd: '2026-01-31' },
        { periodStart: '2026-02-01', periodEnd: '2026-02-28' },
        { periodStart: '2026-03-01', periodEnd: '2026-03-10' },
      ]);
      expect(balancePoints({ from: '2024-02-01', to: '2024-02-29' }, 'month')).toEqual([
        { periodStart: '2024-02-01', periodEnd: '2024-02-29' },
      ]);
      // 2026-01-07 is a Wednesday: its week starts on Monday the 5th.
      expect(balancePoints({ from: '2026-01-07', to: '2026-01-19' }, 'week')).toEqual([
        { periodStart: '2026-01-05', periodEnd: '2026-01-11' },
        { periodStart: '2026-01-12', periodEnd: '2026-01-18' },
        { periodStart: '2026-01-19', periodEnd: '2026-01-19' },
      ]);
      expect(balancePoints({ from: '2025-06-30', to: '2026-12-31' }, 'year')).toEqual([
        { periodStart: '2025-01-01', periodEnd: '2025-12-31' },
        { periodStart: '2026-01-01', periodEnd: '2026-12-31' },
      ]);
      expect(balancePoints({ from: '2026-12-31', to: '2027-01-01' }, 'day')).toEqual([
        { periodStart: '2026-12-31', periodEnd: '2026-12-31' },
        { periodStart: '2027-01-01', periodEnd: '2027-01-01' },
      ]);
    });

    it('refuses a series over the cap before building it', () => {
      expect(() => balancePoints({ from: '2020-01-01', to: '2025-12-31' }, 'day')).toThrow(/1000/);
    });
  });

  it('bucket thresholds: from, then every later period start (bucket 0 is before from)', () => {
    const range = { from: '2026-01-15', to: '2026-03-10' };
    expect(bucketThresholds(range, balancePoints(range, 'month'))).toEqual([
      '2026-01-15',
      '2026-02-01',
      '2026-03-01',
    ]);
  });

  it('carryForward fills every bucket: zero before the first change, the last sum through empty periods', () => {
    expect(carryForward(new Map(), 3)).toEqual([0n, 0n, 0n, 0n]);
    expect(carryForward(new Map([[2, 5n]]), 4)).toEqual([0n, 0n, 5n, 5n, 5n]);
    expect(
      carryForward(
        new Map([
          [0, -7n],
          [3, 10n],
        ]),
        3,
      ),
    ).toEqual([-7n, -7n, -7n, 10n]);
  });

  it('liabilities are credit cards and loans; answered as owed; net worth = assets - liabilities, exact', () => {
    expect(['checking', 'savings', 'cash', 'investment'].map(isLiability)).toEqual([
      false,
      false,
      false,
      false,
    ]);
    expect(['credit_card', 'loan'].map(isLiability)).toEqual([true, true]);
    const points = [
      { periodStart: '2026-01-01', periodEnd: '2026-01-31' },
      { periodStart: '2026-02-01', periodEnd: '2026-02-28' },
    ];
    const big = 2n ** 70n; // beyond 64 bits: still exact
    expect(
      netWorthSeries(
        points,
        { assets: 100000n, liabilities: -20000n },
        { assets: [0n, 300000n, big], liabilities: [0n, -16025n, 50000n] },
        'USD',
      ),
    ).toEqual([
      {
        period_start: '2026-01-01',
        period_end: '2026-01-31',
        assets: '4000.00',
        liabilities: '360.25',
        net_worth: '3639.75',
      },
      {
        period_start: '2026-02-01',
        period_end: '2026-02-28',
        assets: '11805916207174114034.24',
        liabilities: '-300.00',
        net_worth: '11805916207174114334.24',
      },
    ]);
    expect(
      netWorthSeries(
        points,
        { assets: 0n, liabilities: 0n },
        { assets: [0n, 0n, 0n], liabilities: [0n, 0n, 0n] },
        'JPY',
      ),
    ).toEqual([
      { period_start: '2026-01-01', period_end: '2026-01-31', assets: '0', liabilities: '0', net_worth: '0' },
      { period_start: '2026-02-01', period_end: '2026-02-28', assets: '0', liabilities: '0', net_worth: '0' },
    ]);
  });

  it("balance series: opening + changes up to each end; each period's change against the one before", () => {
    expect(
      balanceSeries(
        [
          { periodStart: '2026-02-01', periodEnd: '2026-02-28' },
          { periodStart: '2026-03-01', periodEnd: '2026-03-31' },
          { periodStart: '2026-04-01', periodEnd: '2026-04-30' },
        ],
        50000n,
        [-1000n, 9000n, 8000n, 8000n],
        'EUR',
      ),
    ).toEqual([
      { period_start: '2026-02-01', period_end: '2026-02-28', change: '100.00', balance: '590.00' },
      { period_start: '2026-03-01', period_end: '2026-03-31', change: '-10.00', balance: '580.00' },
      { period_start: '2026-04-01', period_end: '2026-04-30', change: '0.00', balance: '580.00' },
    ]);
  });

  describe('balanceLegs', () => {
    const state = {
      id: 't',
      user_id: 'u',
      account_id: 'a',
      to_account_id: null,
      amount_minor: '1000',
      currency: 'EUR',
      base_amount_minor: '1120',
      base_currency: 'USD',
      date: '2026-03-05',
      version: 1,
      to_amount_minor: null,
      to_currency: null,
    };
    const leg = (accountId: string, currency: string, change: bigint, base: bigint, count: 1 | -1 = 1) => ({
      userId: 'u',
      accountId,
      date: '2026-03-05',
      currency,
      baseCurrency: 'USD',
      changeMinor: change,
      baseChangeMinor: base,
      count,
    });

    it('income adds, an expense takes away; undoing reverses', () => {
      expect(balanceLegs({ ...state, type: 'income' }, 1)).toEqual([leg('a', 'EUR', 1000n, 1120n)]);
      expect(balanceLegs({ ...state, type: 'expense' }, 1)).toEqual([leg('a', 'EUR', -1000n, -1120n)]);
      expect(balanceLegs({ ...state, type: 'expense' }, -1)).toEqual([leg('a', 'EUR', 1000n, 1120n, -1)]);
    });

    it('a transfer: out of its account, what arrived into the target; the same base amount both ways', () => {
      expect(balanceLegs({ ...state, type: 'transfer', to_account_id: 'b' }, 1)).toEqual([
        leg('a', 'EUR', -1000n, -1120n),
        leg('b', 'EUR', 1000n, 1120n),
      ]);
      expect(
        balanceLegs(
          { ...state, type: 'transfer', to_account_id: 'b', to_amount_minor: '110000', to_currency: 'JPY' },
          1,
        ),
      ).toEqual([leg('a', 'EUR', -1000n, -1120n), leg('b', 'JPY', 110000n, 1120n)]);
    });
  });
});
