import {
  DATE_DOMAIN,
  MAX_PERIODS,
  addDays,
  countPeriods,
  daysBetween,
  granularities,
  isInDateDomain,
} from '@finance/shared';
import fc from 'fast-check';
import { MAX_RANGE_DAYS, completeRange, rangeIssue, shiftPeriods, trendWindow } from '../src/domain/calendar';

/** Reports' own calendar rules (the arithmetic itself is shared/src/calendar.ts, tested there). */
describe('reports calendar rules', () => {
  const domainDate = fc
    .integer({ min: 0, max: daysBetween(DATE_DOMAIN.min, DATE_DOMAIN.max) })
    .map((n) => addDays(DATE_DOMAIN.min, n));

  it('completes a range: a missing end completes the other end’s month; none → today’s month', () => {
    expect(completeRange({}, '2026-02-14')).toEqual({ from: '2026-02-01', to: '2026-02-28' });
    expect(completeRange({ from: '2024-02-10' }, '2026-06-01')).toEqual({
      from: '2024-02-10',
      to: '2024-02-29',
    });
    expect(completeRange({ to: '2026-03-14' }, '2026-06-01')).toEqual({
      from: '2026-03-01',
      to: '2026-03-14',
    });
    expect(completeRange({ from: DATE_DOMAIN.max }, '2026-06-01')).toEqual({
      from: DATE_DOMAIN.max,
      to: DATE_DOMAIN.max,
    });
    expect(completeRange({ from: '2026-05-01', to: '2026-04-01' }, '2026-06-01')).toEqual({
      from: '2026-05-01',
      to: '2026-04-01',
    });
  });

  it('a completed range is always answerable: inside the domain, in order, ≤ 31 periods', () => {
    fc.assert(
      fc.property(
        domainDate,
        fc.constantFrom('from', 'to', 'neither'),
        fc.constantFrom(...granularities),
        (date, given, granularity) => {
          const requested = given === 'from' ? { from: date } : given === 'to' ? { to: date } : {};
          const range = completeRange(requested, date);
          expect(rangeIssue(range, granularity)).toBeUndefined();
          expect(isInDateDomain(range.from) && isInDateDomain(range.to)).toBe(true);
          expect(countPeriods(range.from, range.to, granularity)).toBeLessThanOrEqual(31);
        },
      ),
    );
  });

  it('names what is wrong with a range, without building its periods', () => {
    expect(rangeIssue({ from: '2026-03-01', to: '2026-02-28' })).toEqual({ kind: 'reversed' });
    // Years of different width are compared as days, not as text.
    expect(rangeIssue({ from: '2999-12-31', to: '2999-12-31' }, 'year')).toBeUndefined();
    expect(rangeIssue({ from: '2021-01-01', to: '2025-12-31' })).toBeUndefined();
    expect(rangeIssue({ from: '2020-01-01', to: '2025-01-04' })).toEqual({
      kind: 'too-long',
      days: 1831,
      max: MAX_RANGE_DAYS,
    });
    expect(rangeIssue({ from: '2021-01-01', to: '2025-12-31' }, 'day')).toEqual({
      kind: 'too-many-periods',
      periods: 1826,
      max: MAX_PERIODS,
    });
    expect(rangeIssue({ from: '2021-01-01', to: '2023-09-27' }, 'day')).toBeUndefined(); // exactly 1000 days
    expect(rangeIssue({ from: '2021-01-01', to: '2023-09-28' }, 'day')).toMatchObject({ periods: 1001 });
    expect(rangeIssue({ from: '2021-01-01', to: '2025-12-31' }, 'week')).toBeUndefined();
  });

  it('any in-domain range with no issue has at most MAX_PERIODS periods of its granularity', () => {
    fc.assert(
      fc.property(
        domainDate,
        fc.integer({ min: -5, max: 2000 }),
        fc.constantFrom(...granularities),
        (from, days, g) => {
          const to = addDays(from, days);
          const issue = rangeIssue({ from, to }, g);
          if (issue === undefined) {
            expect(days).toBeGreaterThanOrEqual(0);
            expect(days).toBeLessThan(MAX_RANGE_DAYS);
            expect(countPeriods(from, to, g)).toBeLessThanOrEqual(MAX_PERIODS);
          } else if (days >= 0 && days < MAX_RANGE_DAYS) {
            expect(issue).toMatchObject({ kind: 'too-many-periods' });
          }
        },
      ),
    );
  });

  it('shifts by whole periods', () => {
    expect(shiftPeriods('2026-03-01', 'month', -1)).toBe('2026-02-01');
    expect(shiftPeriods('2026-03-31', 'month', -1)).toBe('2026-02-01');
    expect(shiftPeriods('2026-03-02', 'week', -2)).toBe('2026-02-16');
    expect(shiftPeriods('2026-01-01', 'year', -3)).toBe('2023-01-01');
    expect(shiftPeriods('2026-06-15', 'year', 1)).toBe('2027-01-01');
    expect(shiftPeriods('2024-03-01', 'day', -1)).toBe('2024-02-29');
  });

  it('a trend window: the current period and the N before it, oldest first', () => {
    expect(trendWindow('2026-03-15', 'month', 2)).toEqual({
      current: '2026-03-01',
      history: ['2026-01-01', '2026-02-01'],
      range: { from: '2026-01-01', to: '2026-03-31' },
    });
    // Weeks start on Monday; 2026-03-04 is a Wednesday.
    expect(trendWindow('2026-03-04', 'week', 1)).toEqual({
      current: '2026-03-02',
      history: ['2026-02-23'],
      range: { from: '2026-02-23', to: '2026-03-08' },
    });
    // At the end of the domain the window still ends on a well-formed date.
    expect(trendWindow(DATE_DOMAIN.max, 'year', 24)).toMatchObject({
      current: '2999-01-01',
      range: { from: '2975-01-01', to: '2999-12-31' },
    });
    expect(() => trendWindow('2026-03-15', 'month', 0)).toThrow(RangeError);
    expect(() => trendWindow('2026-03-15', 'day', MAX_PERIODS + 1)).toThrow(/periods/);
  });

  it('every trend window has exactly N history periods, each right before the next', () => {
    fc.assert(
      fc.property(
        domainDate,
        fc.constantFrom('week', 'month', 'year' as const),
        fc.integer({ min: 1, max: 24 }),
        (today, g, n) => {
          const window = trendWindow(today, g, n);
          expect(window.history).toHaveLength(n);
          expect(shiftPeriods(window.history[n - 1], g, 1)).toBe(window.current);
          expect(window.range.from).toBe(window.history[0]);
          expect(countPeriods(window.range.from, window.range.to, g)).toBe(n + 1);
        },
      ),
    );
  });
});
