import fc from 'fast-check';
import { DATE_DOMAIN, addDays, compareDates, dayNumber, daysBetween, fromDayNumber } from '@finance/shared';
import {
  budgetPeriods,
  isActiveOn,
  previousWindows,
  referenceWindow,
  windowAt,
  windowContaining,
  type BudgetSchedule,
  type BudgetWindow,
} from '../src/domain/budget-window';

/**
 * Property tests of the window rules over the whole date domain (1900-01-01..2999-12-31): every
 * date of a budget's life lies in exactly one window, and consecutive windows tile without gaps
 * or overlaps, whatever the start, period and end.
 */

const MIN = dayNumber(DATE_DOMAIN.min);
const MAX = dayNumber(DATE_DOMAIN.max);

/** Any date of the domain, with month ends, Feb 29 and the domain's own ends over-represented. */
const domainDate = fc.oneof(
  fc.integer({ min: MIN, max: MAX }).map(fromDayNumber),
  fc
    .record({ year: fc.integer({ min: 1900, max: 2999 }), month: fc.integer({ min: 1, max: 12 }) })
    .chain(({ year, month }) =>
      fc.integer({ min: 0, max: 3 }).map((back) => {
        const next = month === 12 ? `${year + 1}-01-01` : `${year}-${String(month + 1).padStart(2, '0')}-01`;
        const date = addDays(next, -1 - back);
        return compareDates(date, DATE_DOMAIN.max) > 0 ? DATE_DOMAIN.max : date;
      }),
    ),
  fc.constantFrom(DATE_DOMAIN.min, DATE_DOMAIN.max, '2000-02-29', '2024-02-29', '1900-02-28'),
);

const schedule: fc.Arbitrary<BudgetSchedule> = fc
  .record({
    period: fc.constantFrom(...budgetPeriods),
    a: domainDate,
    b: fc.option(domainDate, { nil: null }),
  })
  .map(({ period, a, b }) => {
    if (b === null) return { period, startDate: a, endDate: null };
    const [startDate, endDate] = compareDates(a, b) <= 0 ? [a, b] : [b, a];
    return { period, startDate, endDate };
  });

/** A date inside the budget's life [start_date, end_date ?? domain end]. */
function dateWithin(s: BudgetSchedule): fc.Arbitrary<string> {
  const last = s.endDate ?? DATE_DOMAIN.max;
  return fc.integer({ min: dayNumber(s.startDate), max: dayNumber(last) }).map(fromDayNumber);
}

const nextDay = (date: string) => addDays(date, 1);
const within = (date: string, w: BudgetWindow) =>
  compareDates(w.start, date) <= 0 && compareDates(date, w.end) <= 0;

/** The lengths a window of each period may have (the last one may be cut short by end_date). */
const LENGTHS = { daily: [1, 1], weekly: [7, 7], monthly: [28, 31], yearly: [365, 366] } as const;

describe('budget windows over the whole date domain (property-based)', () => {
  it('puts every date of a budget’s life in one window that contains it, and tiles its neighbours', () => {
    fc.assert(
      fc.property(
        schedule.chain((s) => fc.tuple(fc.constant(s), dateWithin(s))),
        ([s, date]) => {
          const w = windowContaining(s, date)!;
          expect(w).toBeDefined();
          expect(within(date, w)).toBe(true);
          expect(w.days).toBe(daysBetween(w.start, w.end) + 1);
          expect(windowAt(s, w.index)).toEqual(w);
          if (w.index === 0) expect(w.start).toBe(s.startDate);
          else expect(nextDay(windowAt(s, w.index - 1)!.end)).toBe(w.start);
          const next = windowAt(s, w.index + 1);
          if (next) expect(next.start).toBe(nextDay(w.end));
          else expect(w.end).toBe(s.endDate);
          const [min, max] = LENGTHS[s.period];
          expect(w.days).toBeLessThanOrEqual(max);
          if (next) expect(w.days).toBeGreaterThanOrEqual(min);
          expect(isActiveOn(s, date)).toBe(true);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('has no window outside the budget’s life', () => {
    fc.assert(
      fc.property(schedule, domainDate, (s, date) => {
        const outside =
          compareDates(date, s.startDate) < 0 || (s.endDate !== null && compareDates(date, s.endDate!) > 0);
        expect(windowContaining(s, date) === undefined).toBe(outside);
        expect(isActiveOn(s, date)).toBe(!outside);
      }),
      { numRuns: 1000 },
    );
  });

  it('judges any "today" by a window containing today clamped to the budget’s life', () => {
    fc.assert(
      fc.property(schedule, domainDate, (s, today) => {
        const w = referenceWindow(s, today);
        const clamped =
          compareDates(today, s.startDate) < 0
            ? s.startDate
            : s.endDate && compareDates(today, s.endDate) > 0
              ? s.endDate
              : today;
        expect(within(clamped, w)).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  it('lists previous windows that tile up to the window, oldest first', () => {
    fc.assert(
      fc.property(
        schedule.chain((s) => fc.tuple(fc.constant(s), dateWithin(s), fc.integer({ min: 0, max: 8 }))),
        ([s, date, count]) => {
          const w = windowContaining(s, date)!;
          const history = previousWindows(s, w, count);
          expect(history).toHaveLength(Math.min(count, w.index));
          [...history, w].forEach((window, i, all) => {
            if (i > 0) expect(window.start).toBe(nextDay(all[i - 1].end));
          });
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('counts windows by day numbers in early years too (Date.UTC maps years 0–99 to 1900–1999)', () => {
    // Outside the accepted domain, but the arithmetic itself must not be wrong anywhere.
    const daily: BudgetSchedule = { period: 'daily', startDate: '0001-01-01' };
    expect(windowContaining(daily, '2026-03-10')!.index).toBe(daysBetween('0001-01-01', '2026-03-10'));
    expect(windowContaining(daily, '2026-03-10')!.index).toBe(739_684);
    const weekly: BudgetSchedule = { period: 'weekly', startDate: '0050-06-15' };
    expect(windowContaining(weekly, '0050-06-22')).toMatchObject({ index: 1, start: '0050-06-22' });
  });
});
