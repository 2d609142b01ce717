import { DATE_DOMAIN, MAX_PERIODS, dayNumber, fromDayNumber } from '@finance/shared';
import fc from 'fast-check';
import { fitToTransaction, fitWithdrawals, unallocated } from '../src/domain/contributions';
import {
  announcementOf,
  derivedStatus,
  milestoneLevel,
  type MilestoneLevel,
} from '../src/domain/goal-status';
import { progressSeries, seriesRange, seriesRangeIssue } from '../src/domain/progress-series';

/** Pure unit tests of the contribution, status and milestone rules, and of the progress series. */

describe('contributions of one transaction', () => {
  it('leaves the remainder of a transaction, never less than nothing', () => {
    expect(unallocated(1_000n, 300n)).toBe(700n);
    expect(unallocated(1_000n, 1_000n)).toBe(0n);
    expect(unallocated(500n, 800n)).toBe(0n);
  });

  it('shrinks the most recent contributions first when the transaction shrinks', () => {
    const newestFirst = [
      { id: 'c', amount: 200n },
      { id: 'b', amount: 300n },
      { id: 'a', amount: 500n },
    ];
    expect(fitToTransaction(newestFirst, 1_000n)).toEqual([]);
    expect(fitToTransaction(newestFirst, 900n)).toEqual([{ id: 'c', amount: 100n }]);
    expect(fitToTransaction(newestFirst, 700n)).toEqual([
      { id: 'c', amount: 0n },
      { id: 'b', amount: 200n },
    ]);
    expect(fitToTransaction(newestFirst, 0n)).toEqual([
      { id: 'c', amount: 0n },
      { id: 'b', amount: 0n },
      { id: 'a', amount: 0n },
    ]);
  });

  it('fits any contributions to any amount: the sum never exceeds it and the oldest keep theirs longest', () => {
    fc.assert(
      fc.property(
        fc.array(fc.bigInt({ min: 1n, max: 10n ** 15n }), { maxLength: 20 }),
        fc.bigInt({ min: 0n, max: 10n ** 16n }),
        (amounts, available) => {
          const newestFirst = amounts.map((amount, i) => ({ id: String(i), amount }));
          const changes = new Map(fitToTransaction(newestFirst, available).map((c) => [c.id, c.amount]));
          const after = newestFirst.map((c) => changes.get(c.id) ?? c.amount);
          const before = amounts.reduce((s, a) => s + a, 0n);
          const total = after.reduce((s, a) => s + a, 0n);
          expect(total).toBe(before <= available ? before : available);
          after.forEach((amount, i) => {
            expect(amount >= 0n && amount <= amounts[i]).toBe(true);
            // Only once every newer one is gone is an older one cut.
            if (amount < amounts[i]) for (let j = 0; j < i; j++) expect(after[j]).toBe(0n);
          });
        },
      ),
    );
  });
});

describe('withdrawals', () => {
  it('give way, most recent first, until the goal holds zero', () => {
    const newestFirst = [
      { id: 'w2', amount: -30n },
      { id: 'w1', amount: -50n },
    ];
    expect(fitWithdrawals(10n, newestFirst)).toEqual([]);
    expect(fitWithdrawals(0n, newestFirst)).toEqual([]);
    expect(fitWithdrawals(-20n, newestFirst)).toEqual([{ id: 'w2', amount: -10n }]);
    expect(fitWithdrawals(-60n, newestFirst)).toEqual([
      { id: 'w2', amount: 0n },
      { id: 'w1', amount: -20n },
    ]);
  });
});

describe('status and milestones', () => {
  it('derives completed and active from the amounts; cancelled stays the user’s choice', () => {
    expect(derivedStatus('active', 99n, 100n)).toBe('active');
    expect(derivedStatus('active', 100n, 100n)).toBe('completed');
    expect(derivedStatus('active', 150n, 100n)).toBe('completed');
    expect(derivedStatus('cancelled', 150n, 100n)).toBe('cancelled');
  });

  it('finds the milestone level exactly', () => {
    expect(milestoneLevel(0n, 100n)).toBe(0);
    expect(milestoneLevel(24n, 100n)).toBe(0);
    expect(milestoneLevel(25n, 100n)).toBe(25);
    // 2 of 3 is 66.7 %: level 50, judged exactly (no rounding up to 75).
    expect(milestoneLevel(2n, 3n)).toBe(50);
    expect(milestoneLevel(7_499n, 10_000n)).toBe(50);
    expect(milestoneLevel(7_500n, 10_000n)).toBe(75);
    expect(milestoneLevel(10_000n, 10_000n)).toBe(100);
  });

  it('announces a level once per climb, the highest when several are crossed, and again after falling below', () => {
    const step = (announced: MilestoneLevel, level: MilestoneLevel) =>
      announcementOf(announced, level, 'active');
    expect(step(0, 25)).toEqual({ announcement: { type: 'milestone', milestone: 25 }, announced: 25 });
    expect(step(25, 25)).toEqual({ announcement: undefined, announced: 25 });
    expect(step(25, 100)).toEqual({ announcement: { type: 'completed' }, announced: 100 });
    expect(step(0, 75)).toEqual({ announcement: { type: 'milestone', milestone: 75 }, announced: 75 });
    // Falling below re-arms the levels above; climbing again announces again.
    expect(step(100, 50)).toEqual({ announcement: undefined, announced: 50 });
    expect(step(50, 100)).toEqual({ announcement: { type: 'completed' }, announced: 100 });
  });

  it('announces nothing for a cancelled goal but still re-arms when it falls', () => {
    expect(announcementOf(0, 75, 'cancelled')).toEqual({ announcement: undefined, announced: 0 });
    expect(announcementOf(75, 25, 'cancelled')).toEqual({ announcement: undefined, announced: 25 });
  });
});

describe('the progress series', () => {
  it('is zero-filled and cumulative, its periods clipped to the range', () => {
    const points = progressSeries(
      { from: '2026-01-15', to: '2026-04-10' },
      'month',
      500n,
      new Map([
        ['2026-01-01', 100n],
        ['2026-03-01', -50n],
      ]),
    );
    expect(points).toEqual([
      { periodStart: '2026-01-15', periodEnd: '2026-01-31', contributed: 100n, cumulative: 600n },
      { periodStart: '2026-02-01', periodEnd: '2026-02-28', contributed: 0n, cumulative: 600n },
      { periodStart: '2026-03-01', periodEnd: '2026-03-31', contributed: -50n, cumulative: 550n },
      { periodStart: '2026-04-01', periodEnd: '2026-04-10', contributed: 0n, cumulative: 550n },
    ]);
  });

  it('weeks start on Monday, Feb 29 included', () => {
    const points = progressSeries(
      { from: '2024-02-28', to: '2024-03-06' },
      'week',
      0n,
      new Map([['2024-02-26', 7n]]),
    );
    expect(points.map((p) => [p.periodStart, p.periodEnd])).toEqual([
      ['2024-02-28', '2024-03-03'],
      ['2024-03-04', '2024-03-06'],
    ]);
    expect(points[1].cumulative).toBe(7n);
  });

  it('defaults from the goal’s start to today, moving a default start forward to fit the period cap', () => {
    const today = '2026-03-10';
    expect(seriesRange({}, { start: '2025-06-03', today }, 'month')).toEqual({
      from: '2025-06-03',
      to: today,
    });
    expect(seriesRange({ to: '2025-01-01' }, { start: '2025-06-03', today }, 'month')).toEqual({
      from: '2025-01-01',
      to: '2025-01-01',
    });
    const long = seriesRange({}, { start: '1900-01-01', today }, 'week');
    expect(seriesRangeIssue(long, 'week')).toBeUndefined();
    expect(progressSeries(long, 'week', 0n, new Map())).toHaveLength(MAX_PERIODS);
    // Given dates are taken as they are, and refused when reversed or too long.
    expect(seriesRangeIssue({ from: '2026-03-11', to: today }, 'week')).toEqual({ kind: 'reversed' });
    expect(seriesRangeIssue({ from: '1900-01-01', to: '2999-12-31' }, 'month')).toEqual({
      kind: 'too-many-periods',
      periods: 13_200,
      max: MAX_PERIODS,
    });
  });

  it('never builds more than the cap for any dates of the domain', () => {
    const date = fc
      .integer({ min: dayNumber(DATE_DOMAIN.min), max: dayNumber(DATE_DOMAIN.max) })
      .map((n) => fromDayNumber(n));
    fc.assert(
      fc.property(
        fc.option(date, { nil: undefined }),
        fc.option(date, { nil: undefined }),
        date,
        date,
        fc.constantFrom('week' as const, 'month' as const),
        (from, to, start, today, granularity) => {
          const range = seriesRange({ from, to }, { start, today }, granularity);
          if (seriesRangeIssue(range, granularity) !== undefined) return;
          const points = progressSeries(range, granularity, 0n, new Map());
          expect(points.length).toBeGreaterThan(0);
          expect(points.length).toBeLessThanOrEqual(MAX_PERIODS);
          expect(points[0].periodStart).toBe(range.from);
          expect(points[points.length - 1].periodEnd).toBe(range.to);
        },
      ),
      { numRuns: 300 },
    );
  });
});
