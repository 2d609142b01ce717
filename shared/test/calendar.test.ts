import fc from 'fast-check';
import {
  DATE_DOMAIN,
  MAX_PERIODS,
  TooManyPeriodsError,
  addDays,
  addMonths,
  calendarDateOrDateTime,
  calendarDateSchema,
  countPeriods,
  dayNumber,
  daysBetween,
  fromDayNumber,
  granularities,
  isCalendarDate,
  isInDateDomain,
  localDate,
  nextPeriodStart,
  periodStart,
  periodsBetween,
  weekdayOf,
} from '../src/calendar';

/** Any real date of years 0001–9999, built from parts so the generator covers month ends. */
const anyDate = fc
  .record({
    year: fc.integer({ min: 1, max: 9999 }),
    month: fc.integer({ min: 1, max: 12 }),
    day: fc.integer({ min: 1, max: 31 }),
  })
  .filter(({ year, month, day }) => isCalendarDate(fmt(year, month, day)))
  .map(({ year, month, day }) => fmt(year, month, day));

function fmt(year: number, month: number, day: number): string {
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

describe('calendar', () => {
  it('knows which strings are dates, including the early years Date.UTC gets wrong', () => {
    expect(isCalendarDate('2024-02-29')).toBe(true);
    expect(isCalendarDate('2023-02-29')).toBe(false);
    expect(isCalendarDate('1900-02-29')).toBe(false);
    expect(isCalendarDate('2000-02-29')).toBe(true);
    expect(isCalendarDate('0050-06-15')).toBe(true);
    expect(isCalendarDate('0001-01-01')).toBe(true);
    expect(isCalendarDate('0000-01-01')).toBe(false);
    expect(isCalendarDate('2024-13-01')).toBe(false);
    expect(isCalendarDate('2024-1-01')).toBe(false);
    expect(isCalendarDate('+10000-01-01')).toBe(false);
    expect(isCalendarDate(' 2024-01-01')).toBe(false);
  });

  it('accepts only the documented domain', () => {
    expect(isInDateDomain(DATE_DOMAIN.min)).toBe(true);
    expect(isInDateDomain(DATE_DOMAIN.max)).toBe(true);
    expect(isInDateDomain(addDays(DATE_DOMAIN.min, -1))).toBe(false);
    expect(isInDateDomain(addDays(DATE_DOMAIN.max, 1))).toBe(false);
    expect(isInDateDomain('0001-01-01')).toBe(false);
    expect(isInDateDomain('9999-12-31')).toBe(false);
  });

  it('counts days exactly in every year (matches Date.UTC where it is right)', () => {
    expect(dayNumber('1970-01-01')).toBe(0);
    expect(dayNumber('2000-03-01')).toBe(11_017);
    expect(dayNumber('0001-01-01')).toBe(-719_162);
    expect(dayNumber('9999-12-31')).toBe(2_932_896);
    expect(daysBetween('0001-01-01', '2026-12-31')).toBe(739_980);
    fc.assert(
      fc.property(anyDate, (date) => {
        const [y, m, d] = date.split('-').map(Number);
        if (y >= 100) expect(dayNumber(date)).toBe(Date.UTC(y, m - 1, d) / 86_400_000);
        expect(fromDayNumber(dayNumber(date))).toBe(date);
      }),
    );
  });

  it('adds days across month, year and century ends', () => {
    expect(addDays('0099-12-31', 1)).toBe('0100-01-01');
    expect(addDays('2024-02-28', 1)).toBe('2024-02-29');
    expect(addDays('2023-02-28', 1)).toBe('2023-03-01');
    expect(addDays('2000-01-01', -1)).toBe('1999-12-31');
    expect(() => addDays('9999-12-31', 1)).toThrow(RangeError);
    fc.assert(
      fc.property(anyDate, fc.integer({ min: -5000, max: 5000 }), (date, n) => {
        const target = dayNumber(date) + n;
        if (target < dayNumber('0001-01-01') || target > dayNumber('9999-12-31')) return;
        expect(daysBetween(date, addDays(date, n))).toBe(n);
      }),
    );
  });

  it('adds months keeping the anchor day, clamped to shorter months', () => {
    expect(addMonths('2024-01-31', 1)).toBe('2024-02-29');
    expect(addMonths('2023-01-31', 1)).toBe('2023-02-28');
    expect(addMonths('2024-01-31', 2)).toBe('2024-03-31');
    expect(addMonths('2024-02-29', 1, 31)).toBe('2024-03-31');
    expect(addMonths('2024-02-29', 12)).toBe('2025-02-28');
    expect(addMonths('2024-03-15', -3)).toBe('2023-12-15');
    expect(addMonths('0001-01-31', 1)).toBe('0001-02-28');
  });

  it('starts weeks on Monday', () => {
    expect(weekdayOf('2024-06-03')).toBe(0); // a Monday
    expect(weekdayOf('2024-06-09')).toBe(6);
    expect(weekdayOf('0001-01-01')).toBe(0); // proleptic Gregorian: a Monday
    expect(periodStart('2024-06-09', 'week')).toBe('2024-06-03');
  });

  it('builds period series that end where they should, also at the end of the domain', () => {
    expect(periodsBetween('2024-01-15', '2024-04-02', 'month')).toEqual([
      '2024-01-01',
      '2024-02-01',
      '2024-03-01',
      '2024-04-01',
    ]);
    expect(periodsBetween('2999-12-01', '2999-12-31', 'year')).toEqual(['2999-01-01']);
    expect(periodsBetween('2999-06-01', '2999-12-31', 'month')).toHaveLength(7);
    expect(periodsBetween('9999-12-01', '9999-12-31', 'year')).toEqual(['9999-01-01']);
    expect(periodsBetween('9999-12-25', '9999-12-31', 'day')).toHaveLength(7);
    expect(periodsBetween('9999-01-01', '9999-12-31', 'month')).toHaveLength(12);
    expect(periodsBetween('2024-05-02', '2024-05-01', 'day')).toEqual([]);
  });

  it('refuses a series longer than the cap before building it', () => {
    expect(countPeriods('1900-01-01', '2999-12-31', 'day')).toBe(
      dayNumber('2999-12-31') - dayNumber('1900-01-01') + 1,
    );
    expect(() => periodsBetween('1900-01-01', '2999-12-31', 'day')).toThrow(TooManyPeriodsError);
    expect(countPeriods('1900-01-01', '2999-12-31', 'year')).toBe(1100);
    expect(() => periodsBetween('1900-01-01', '2999-12-31', 'year')).toThrow(TooManyPeriodsError);
    expect(periodsBetween('1900-01-01', '2899-12-31', 'year')).toHaveLength(MAX_PERIODS);
  });

  it('agrees with a step-by-step walk for every granularity (property)', () => {
    fc.assert(
      fc.property(
        anyDate,
        fc.integer({ min: 0, max: 800 }),
        fc.constantFrom(...granularities),
        (from, span, granularity) => {
          if (dayNumber(from) + span > dayNumber('9999-12-31')) return;
          const to = addDays(from, span);
          const count = countPeriods(from, to, granularity);
          if (count > MAX_PERIODS) {
            expect(() => periodsBetween(from, to, granularity)).toThrow(TooManyPeriodsError);
            return;
          }
          const periods = periodsBetween(from, to, granularity);
          expect(periods).toHaveLength(count);
          expect(periods[0]).toBe(periodStart(from, granularity));
          expect(dayNumber(periods[periods.length - 1])).toBeLessThanOrEqual(dayNumber(to));
          for (let i = 1; i < periods.length; i++) {
            expect(periods[i]).toBe(nextPeriodStart(periods[i - 1], granularity));
            expect(dayNumber(periods[i])).toBeGreaterThan(dayNumber(periods[i - 1]));
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('finds the local date of an instant in a time zone', () => {
    const instant = new Date('2024-03-31T23:30:00Z');
    expect(localDate(instant, 'UTC')).toBe('2024-03-31');
    expect(localDate(instant, 'Europe/Amsterdam')).toBe('2024-04-01');
    expect(localDate(instant, 'America/Los_Angeles')).toBe('2024-03-31');
    expect(localDate(instant, 'Not/AZone')).toBe('2024-03-31');
  });

  it('validates dates in requests with a message naming the rule', () => {
    expect(calendarDateSchema.safeParse('2024-05-31').success).toBe(true);
    const outside = calendarDateSchema.safeParse('9999-12-31');
    expect(outside.success).toBe(false);
    expect(outside.error?.issues[0].message).toBe('Must be between 1900-01-01 and 2999-12-31');
    expect(calendarDateSchema.safeParse('2024-02-30').error?.issues[0].message).toMatch(/calendar date/);
    expect(calendarDateOrDateTime.parse('2024-05-31T10:00:00')).toBe('2024-05-31');
    expect(calendarDateOrDateTime.safeParse('0001-01-01').success).toBe(false);
    expect(calendarDateOrDateTime.safeParse('2024-05-31junk').success).toBe(false);
  });
});
