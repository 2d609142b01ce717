import {
  isActiveOn,
  previousWindows,
  referenceWindow,
  windowAt,
  windowContaining,
  type BudgetSchedule,
} from '../src/domain/budget-window';
import {
  budgetStatus,
  currentFigures,
  figuresFor,
  reachedThresholds,
  seriesFigures,
} from '../src/domain/budget-analysis';

const span = (s: BudgetSchedule, date: string) => {
  const w = windowContaining(s, date);
  return w ? `${w.start}..${w.end}` : undefined;
};

describe('budget windows', () => {
  it('runs a payday monthly budget from the 25th to the 24th', () => {
    const s: BudgetSchedule = { period: 'monthly', startDate: '2026-01-25' };
    expect(span(s, '2026-01-25')).toBe('2026-01-25..2026-02-24');
    expect(span(s, '2026-02-24')).toBe('2026-01-25..2026-02-24');
    expect(span(s, '2026-02-25')).toBe('2026-02-25..2026-03-24');
    expect(span(s, '2026-12-31')).toBe('2026-12-25..2027-01-24');
    expect(span(s, '2027-01-10')).toBe('2026-12-25..2027-01-24');
    expect(windowContaining(s, '2027-01-10')!.index).toBe(11);
  });

  it('clamps a month-end anchor through February and April and returns to the 31st', () => {
    const s: BudgetSchedule = { period: 'monthly', startDate: '2026-01-31' };
    expect(span(s, '2026-02-15')).toBe('2026-01-31..2026-02-27');
    expect(span(s, '2026-02-28')).toBe('2026-02-28..2026-03-30');
    expect(span(s, '2026-03-31')).toBe('2026-03-31..2026-04-29');
    expect(span(s, '2026-04-30')).toBe('2026-04-30..2026-05-30');
    expect(span(s, '2026-05-31')).toBe('2026-05-31..2026-06-29');
    // Leap year: February has a 29th.
    const leap: BudgetSchedule = { period: 'monthly', startDate: '2028-01-31' };
    expect(span(leap, '2028-02-29')).toBe('2028-02-29..2028-03-30');
    expect(span(leap, '2028-02-28')).toBe('2028-01-31..2028-02-28');
  });

  it('anchors a 30th budget: February clamps, the 31st belongs to the window starting on the 30th', () => {
    const s: BudgetSchedule = { period: 'monthly', startDate: '2026-01-30' };
    expect(span(s, '2026-01-31')).toBe('2026-01-30..2026-02-27');
    expect(span(s, '2026-03-01')).toBe('2026-02-28..2026-03-29');
    expect(span(s, '2026-03-31')).toBe('2026-03-30..2026-04-29');
  });

  it('starts weekly windows on the start date weekday', () => {
    const s: BudgetSchedule = { period: 'weekly', startDate: '2026-03-04' }; // a Wednesday
    expect(span(s, '2026-03-04')).toBe('2026-03-04..2026-03-10');
    expect(span(s, '2026-03-10')).toBe('2026-03-04..2026-03-10');
    expect(span(s, '2026-03-11')).toBe('2026-03-11..2026-03-17');
    // Across the DST change in Europe (2026-03-29) a week is still 7 calendar days.
    expect(span(s, '2026-03-29')).toBe('2026-03-25..2026-03-31');
    expect(windowContaining(s, '2026-03-29')!.days).toBe(7);
  });

  it('runs daily windows one day each', () => {
    const s: BudgetSchedule = { period: 'daily', startDate: '2026-02-27' };
    expect(span(s, '2026-03-01')).toBe('2026-03-01..2026-03-01');
    expect(windowContaining(s, '2026-03-01')!.index).toBe(2);
  });

  it('anchors yearly budgets, clamping Feb 29 to Feb 28 in common years', () => {
    const s: BudgetSchedule = { period: 'yearly', startDate: '2024-02-29' };
    expect(span(s, '2024-12-31')).toBe('2024-02-29..2025-02-27');
    expect(span(s, '2025-02-28')).toBe('2025-02-28..2026-02-27');
    expect(span(s, '2028-03-01')).toBe('2028-02-29..2029-02-27');
    const april: BudgetSchedule = { period: 'yearly', startDate: '2026-04-06' };
    expect(span(april, '2027-04-05')).toBe('2026-04-06..2027-04-05');
    expect(windowContaining(april, '2027-04-05')!.days).toBe(365);
  });

  it('has no window before start_date or after end_date, and end_date cuts the last window', () => {
    const s: BudgetSchedule = { period: 'monthly', startDate: '2026-01-25', endDate: '2026-03-10' };
    expect(windowContaining(s, '2026-01-24')).toBeUndefined();
    expect(windowContaining(s, '2026-03-11')).toBeUndefined();
    expect(span(s, '2026-03-01')).toBe('2026-02-25..2026-03-10');
    expect(windowContaining(s, '2026-03-01')!.days).toBe(14);
    expect(windowAt(s, 2)).toBeUndefined();
    expect(windowAt(s, -1)).toBeUndefined();
    expect(referenceWindow(s, '2026-05-01').start).toBe('2026-02-25');
    expect(referenceWindow(s, '2025-12-01').start).toBe('2026-01-25');
    expect(isActiveOn(s, '2026-03-10')).toBe(true);
    expect(isActiveOn(s, '2026-03-11')).toBe(false);
    expect(isActiveOn(s, '2026-01-24')).toBe(false);
  });

  it('lists previous windows oldest first, fewer near the start', () => {
    const s: BudgetSchedule = { period: 'monthly', startDate: '2026-01-31' };
    const current = windowContaining(s, '2026-05-15')!;
    expect(previousWindows(s, current, 6).map((w) => w.start)).toEqual([
      '2026-01-31',
      '2026-02-28',
      '2026-03-31',
    ]);
    const later = windowContaining(s, '2026-12-31')!;
    expect(previousWindows(s, later, 6).map((w) => w.start)).toEqual([
      '2026-06-30',
      '2026-07-31',
      '2026-08-31',
      '2026-09-30',
      '2026-10-31',
      '2026-11-30',
    ]);
  });

  it('counts calendar days across daylight-saving changes', () => {
    // A monthly window spanning the DST change counts calendar days, not 24-hour spans.
    const s: BudgetSchedule = { period: 'monthly', startDate: '2026-03-01' };
    expect(windowContaining(s, '2026-03-29')!.days).toBe(31);
  });
});

describe('budget figures', () => {
  const march = windowAt({ period: 'monthly', startDate: '2026-03-01' }, 0)!;

  it('judges statuses: ≥ 80 % is near, strictly above 100 % is over', () => {
    expect(budgetStatus(7999n, 10000n)).toBe('under');
    expect(budgetStatus(8000n, 10000n)).toBe('near');
    expect(budgetStatus(10000n, 10000n)).toBe('near');
    expect(budgetStatus(10001n, 10000n)).toBe('over');
    expect(reachedThresholds(8000n, 10000n)).toEqual([80]);
    expect(reachedThresholds(10001n, 10000n)).toEqual([80, 100]);
    expect(reachedThresholds(0n, 0n)).toEqual([]);
  });

  it('computes remaining, percent, days left, allowance and projection exactly', () => {
    const f = currentFigures(figuresFor(march, 10000n, 0n, 3333n), '2026-03-10');
    expect(f.remaining).toBe(6667n);
    expect(f.percentUsed).toBe('33.33');
    expect(f.daysElapsed).toBe(10);
    expect(f.daysLeft).toBe(22); // 10th..31st
    expect(f.dailyAllowance).toBe(303n); // 6667 / 22 = 303.04 → down
    expect(f.projectedSpend).toBe(10332n); // 3333 × 31 / 10 = 10332.3
    // Half-even: 5 × 31 / 2 = 77.5 → 78 (8 is even); 3 × 31 / 2 = 46.5 → 46.
    expect(currentFigures(figuresFor(march, 100n, 0n, 5n), '2026-03-02').projectedSpend).toBe(78n);
    expect(currentFigures(figuresFor(march, 100n, 0n, 3n), '2026-03-02').projectedSpend).toBe(46n);
    const over = currentFigures(figuresFor(march, 100n, 0n, 150n), '2026-03-31');
    expect(over).toMatchObject({
      remaining: -50n,
      status: 'over',
      daysLeft: 1,
      dailyAllowance: 0n,
      percentUsed: '150.00',
    });
    const ended = currentFigures(figuresFor(march, 100n, 0n, 10n), '2026-04-02');
    expect(ended).toMatchObject({ daysLeft: 0, daysElapsed: 31, projectedSpend: 10n });
  });

  it('chains rollover from start_date: unspent adds, overspend subtracts', () => {
    const s: BudgetSchedule = { period: 'monthly', startDate: '2026-01-01' };
    const sums = [
      { window: windowAt(s, 1)!, spent: 5000n },
      { window: windowAt(s, 2)!, spent: 16000n },
      { window: windowAt(s, 3)!, spent: 500n },
    ];
    // January (before the series) spent 7000 of 10000 → February carries 3000.
    const figures = seriesFigures(10000n, true, { windows: sums, spentBefore: 7000n });
    expect(figures.map((f) => f.carriedOver)).toEqual([3000n, 8000n, 2000n]);
    expect(figures.map((f) => f.remaining)).toEqual([8000n, 2000n, 11500n]);
    expect(figures[1].status).toBe('near');
    const plain = seriesFigures(10000n, false, { windows: sums, spentBefore: 7000n });
    expect(plain.map((f) => f.carriedOver)).toEqual([0n, 0n, 0n]);
    expect(plain[1].status).toBe('over');
    // An overspend that eats more than the next limit leaves nothing available.
    const deep = seriesFigures(1000n, true, {
      windows: [{ window: windowAt(s, 1)!, spent: 10n }],
      spentBefore: 3000n,
    });
    expect(deep[0]).toMatchObject({
      carriedOver: -2000n,
      remaining: -1010n,
      percentUsed: null,
      status: 'over',
    });
  });
});
