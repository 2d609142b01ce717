import fc from 'fast-check';
import { addDays, compareDates, daysInMonth, weekdayOf } from '@finance/shared';
import {
  firstOccurrenceOnOrAfter,
  firstScheduledOccurrence,
  frequencies,
  indexOfOccurrence,
  latestTodayAnywhere,
  nextOccurrence,
  occurrenceAt,
  occurrencesFrom,
  recurrenceRuleProblems,
  reminderDate,
  todayFor,
  type Frequency,
  type RecurrenceRule,
} from '../src/domain/recurring-dates';

const rule = (overrides: Partial<RecurrenceRule> & { startDate: string }): RecurrenceRule => ({
  frequency: 'monthly',
  interval: 1,
  endDate: null,
  maxOccurrences: null,
  ...overrides,
});

const dates = (r: RecurrenceRule, count: number) => occurrencesFrom(r, 0, count).map((o) => o.date);

describe('monthly series keep their anchor day', () => {
  it('from Jan 31: clamped to each short month, back to the 31st after it, no month skipped', () => {
    expect(dates(rule({ startDate: '2023-01-31' }), 14)).toEqual([
      '2023-01-31',
      '2023-02-28',
      '2023-03-31',
      '2023-04-30',
      '2023-05-31',
      '2023-06-30',
      '2023-07-31',
      '2023-08-31',
      '2023-09-30',
      '2023-10-31',
      '2023-11-30',
      '2023-12-31',
      '2024-01-31',
      '2024-02-29',
    ]);
  });

  it('every anchor day 1–31 gives exactly one date per month for four years, on min(anchor, last day)', () => {
    for (let anchor = 1; anchor <= 31; anchor++) {
      const start = `2023-01-${String(anchor).padStart(2, '0')}`;
      const got = dates(rule({ startDate: start }), 48);
      got.forEach((date, i) => {
        const year = 2023 + Math.floor(i / 12);
        const month = (i % 12) + 1;
        const day = Math.min(anchor, daysInMonth(year, month));
        expect(date).toBe(`${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`);
      });
    }
  });

  it('nextOccurrence after a clamped date returns to the anchor (Feb 29 → Mar 31)', () => {
    const r = rule({ startDate: '2024-01-31' });
    expect(nextOccurrence(r, '2024-02-29')).toEqual({ index: 2, date: '2024-03-31' });
    expect(nextOccurrence(r, '2024-01-31')).toEqual({ index: 1, date: '2024-02-29' });
    // Between two dates: the next one, not a date computed from the day asked about.
    expect(nextOccurrence(r, '2024-03-05')).toEqual({ index: 2, date: '2024-03-31' });
    expect(nextOccurrence(r, '2024-03-31')).toEqual({ index: 3, date: '2024-04-30' });
  });

  it('every 3 months from Nov 30 crosses the year and February', () => {
    expect(dates(rule({ startDate: '2023-11-30', interval: 3 }), 5)).toEqual([
      '2023-11-30',
      '2024-02-29',
      '2024-05-30',
      '2024-08-30',
      '2024-11-30',
    ]);
  });
});

describe('yearly series', () => {
  it('from Feb 29: Feb 28 in common years, Feb 29 in leap years (2100 is not one, 2400 is)', () => {
    expect(dates(rule({ frequency: 'yearly', startDate: '2024-02-29' }), 5)).toEqual([
      '2024-02-29',
      '2025-02-28',
      '2026-02-28',
      '2027-02-28',
      '2028-02-29',
    ]);
    const century = rule({ frequency: 'yearly', startDate: '2096-02-29', interval: 4 });
    expect(dates(century, 3)).toEqual(['2096-02-29', '2100-02-28', '2104-02-29']);
  });

  it('every 2 years keeps month and day', () => {
    expect(dates(rule({ frequency: 'yearly', interval: 2, startDate: '2023-12-31' }), 3)).toEqual([
      '2023-12-31',
      '2025-12-31',
      '2027-12-31',
    ]);
  });
});

describe('daily and weekly series', () => {
  it('weekly keeps the weekday across month and year ends', () => {
    const r = rule({ frequency: 'weekly', startDate: '2024-12-25' }); // a Wednesday
    const got = dates(r, 60);
    expect(got.slice(0, 3)).toEqual(['2024-12-25', '2025-01-01', '2025-01-08']);
    for (const date of got) expect(weekdayOf(date)).toBe(weekdayOf('2024-12-25'));
  });

  it('every 2 weeks and every 3 days step from the anchor', () => {
    expect(dates(rule({ frequency: 'weekly', interval: 2, startDate: '2024-02-22' }), 3)).toEqual([
      '2024-02-22',
      '2024-03-07',
      '2024-03-21',
    ]);
    expect(dates(rule({ frequency: 'daily', interval: 3, startDate: '2024-02-27' }), 3)).toEqual([
      '2024-02-27',
      '2024-03-01',
      '2024-03-04',
    ]);
  });

  it('daily in a zone that changes clocks: one date per calendar day, the dates themselves know no hours', () => {
    const r = rule({ frequency: 'daily', startDate: '2024-03-09' });
    expect(dates(r, 3)).toEqual(['2024-03-09', '2024-03-10', '2024-03-11']);
  });
});

describe('the end of a series', () => {
  it('end_date is inclusive and ends the series', () => {
    const r = rule({ startDate: '2024-01-31', endDate: '2024-04-30' });
    expect(dates(r, 12)).toEqual(['2024-01-31', '2024-02-29', '2024-03-31', '2024-04-30']);
    expect(nextOccurrence(r, '2024-04-30')).toBeUndefined();
    expect(occurrenceAt(r, 4)).toBeUndefined();
  });

  it('max_occurrences counts every date of the series', () => {
    const r = rule({ frequency: 'weekly', startDate: '2024-01-01', maxOccurrences: 3 });
    expect(dates(r, 12)).toEqual(['2024-01-01', '2024-01-08', '2024-01-15']);
    expect(firstOccurrenceOnOrAfter(r, '2024-01-16')).toBeUndefined();
  });

  it('the date domain ends every series (no year 3000)', () => {
    const r = rule({ frequency: 'yearly', startDate: '2998-06-30' });
    expect(dates(r, 5)).toEqual(['2998-06-30', '2999-06-30']);
    expect(dates(rule({ frequency: 'daily', startDate: '2999-12-30' }), 5)).toEqual([
      '2999-12-30',
      '2999-12-31',
    ]);
    expect(firstOccurrenceOnOrAfter(rule({ startDate: '2999-12-31' }), '2999-12-31')?.date).toBe(
      '2999-12-31',
    );
    expect(nextOccurrence(rule({ startDate: '2999-12-31' }), '2999-12-31')).toBeUndefined();
  });

  it('a negative or fractional index is no occurrence', () => {
    const r = rule({ startDate: '2024-01-01' });
    expect(occurrenceAt(r, -1)).toBeUndefined();
    expect(occurrenceAt(r, 1.5)).toBeUndefined();
  });
});

describe('where a series starts, which dates belong to it', () => {
  const r = rule({ startDate: '2024-01-31' });

  it('without backfill: the first date on or after today; with it: the anchor', () => {
    expect(firstScheduledOccurrence(r, '2024-03-31', false)).toEqual({ index: 2, date: '2024-03-31' });
    expect(firstScheduledOccurrence(r, '2024-04-01', false)).toEqual({ index: 3, date: '2024-04-30' });
    expect(firstScheduledOccurrence(r, '2024-04-01', true)).toEqual({ index: 0, date: '2024-01-31' });
    expect(firstScheduledOccurrence(r, '2023-06-01', false)).toEqual({ index: 0, date: '2024-01-31' });
    const ended = rule({ startDate: '2024-01-31', endDate: '2024-02-29' });
    expect(firstScheduledOccurrence(ended, '2024-03-01', false)).toBeUndefined();
  });

  it('indexOfOccurrence names the position of a series date, nothing for any other', () => {
    expect(indexOfOccurrence(r, '2024-02-29')).toBe(1);
    expect(indexOfOccurrence(r, '2024-02-28')).toBeUndefined();
    expect(indexOfOccurrence(r, '2023-12-31')).toBeUndefined();
    expect(indexOfOccurrence(rule({ startDate: '2023-01-31' }), '2023-02-28')).toBe(1);
  });
});

describe('rule problems', () => {
  it('names the end before the start, a bad interval and max_occurrences below 1', () => {
    expect(recurrenceRuleProblems(rule({ startDate: '2024-01-01' }))).toEqual([]);
    expect(
      recurrenceRuleProblems(
        rule({ startDate: '2024-01-02', endDate: '2024-01-01', interval: 0, maxOccurrences: 0 }),
      ).map((p) => p.field),
    ).toEqual(['interval', 'endDate', 'maxOccurrences']);
    expect(recurrenceRuleProblems(rule({ startDate: '2024-01-01', interval: 1001 }))[0].field).toBe(
      'interval',
    );
  });
});

describe("today in the user's timezone", () => {
  it('is the local date, also across a DST change', () => {
    // New York moves to EDT at 07:00Z on 2024-03-10.
    expect(todayFor(new Date('2024-03-10T04:59:00Z'), 'America/New_York')).toBe('2024-03-09');
    expect(todayFor(new Date('2024-03-10T05:00:00Z'), 'America/New_York')).toBe('2024-03-10');
    expect(todayFor(new Date('2024-03-11T03:59:00Z'), 'America/New_York')).toBe('2024-03-10');
    expect(todayFor(new Date('2024-03-11T04:00:00Z'), 'America/New_York')).toBe('2024-03-11');
    // Back to standard time at 06:00Z on 2024-11-03: that local day has 25 hours.
    expect(todayFor(new Date('2024-11-04T04:59:00Z'), 'America/New_York')).toBe('2024-11-03');
    expect(todayFor(new Date('2024-11-04T05:00:00Z'), 'America/New_York')).toBe('2024-11-04');
    expect(todayFor(new Date('2024-06-30T23:30:00Z'), 'Asia/Tokyo')).toBe('2024-07-01');
    expect(todayFor(new Date('2024-06-30T23:30:00Z'), 'Not/AZone')).toBe('2024-06-30');
  });

  it('no zone is later than the latest today anywhere', () => {
    const now = new Date('2024-06-30T10:30:00Z');
    const latest = latestTodayAnywhere(now);
    expect(latest).toBe('2024-07-01');
    for (const zone of Intl.supportedValuesOf('timeZone'))
      expect(compareDates(todayFor(now, zone), latest)).toBeLessThanOrEqual(0);
  });

  it('a reminder falls the given days before its occurrence', () => {
    expect(reminderDate('2024-03-01', 3)).toBe('2024-02-27');
    expect(reminderDate('2024-03-01', 0)).toBe('2024-03-01');
  });
});

describe('properties (every frequency and interval)', () => {
  const ruleArb = fc.record({
    frequency: fc.constantFrom<Frequency>(...frequencies),
    interval: fc.integer({ min: 1, max: 14 }),
    startDate: fc
      .integer({ min: 0, max: 365 * 300 })
      .map((n) => addDays('1900-01-01', n))
      .filter((d) => d <= '2200-12-31'),
    endDate: fc.constant(null),
    maxOccurrences: fc.constant(null),
  });

  it('nextOccurrence of occurrence k is occurrence k + 1, and dates strictly increase', () => {
    fc.assert(
      fc.property(ruleArb, fc.integer({ min: 0, max: 300 }), (r, k) => {
        const current = occurrenceAt(r, k);
        const next = occurrenceAt(r, k + 1);
        if (current === undefined) return expect(next).toBeUndefined(); // past the date domain
        if (next === undefined) return expect(nextOccurrence(r, current)).toBeUndefined();
        expect(compareDates(next, current)).toBeGreaterThan(0);
        expect(nextOccurrence(r, current)).toEqual({ index: k + 1, date: next });
      }),
    );
  });

  it('firstOccurrenceOnOrAfter a day finds the first date not before it (checked against its neighbours)', () => {
    fc.assert(
      fc.property(ruleArb, fc.integer({ min: -400, max: 20_000 }), (r, offset) => {
        const day = addDays(r.startDate, offset);
        const found = firstOccurrenceOnOrAfter(r, day);
        if (!found) return expect(compareDates(day, '2999-01-01')).toBeGreaterThan(0); // domain's end
        expect(compareDates(found.date, day)).toBeGreaterThanOrEqual(0);
        expect(occurrenceAt(r, found.index)).toBe(found.date);
        if (found.index > 0) expect(compareDates(occurrenceAt(r, found.index - 1)!, day)).toBeLessThan(0);
        expect(indexOfOccurrence(r, found.date)).toBe(found.index);
      }),
    );
  });

  it('monthly and yearly dates fall in the expected month, on min(anchor day, last day of month)', () => {
    fc.assert(
      fc.property(ruleArb, fc.integer({ min: 0, max: 200 }), (r, k) => {
        if (r.frequency === 'daily' || r.frequency === 'weekly') {
          const step = (r.frequency === 'daily' ? 1 : 7) * r.interval;
          const expected = addDays(r.startDate, k * step);
          expect(occurrenceAt(r, k)).toBe(expected > '2999-12-31' ? undefined : expected);
          return;
        }
        const [y, m, d] = r.startDate.split('-').map(Number);
        const months = (r.frequency === 'monthly' ? 1 : 12) * r.interval * k;
        const total = y * 12 + (m - 1) + months;
        const year = Math.floor(total / 12);
        const month = (total % 12) + 1;
        const day = Math.min(d, daysInMonth(year, month));
        if (year > 2999) return expect(occurrenceAt(r, k)).toBeUndefined();
        expect(occurrenceAt(r, k)).toBe(
          `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`,
        );
      }),
    );
  });
});
