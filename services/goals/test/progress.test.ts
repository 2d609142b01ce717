import { DATE_DOMAIN, addDays, compareDates, daysBetween, fromDayNumber, dayNumber } from '@finance/shared';
import fc from 'fast-check';
import {
  monthlyInstalments,
  paceOf,
  paceWindow,
  progressOf,
  projectedCompletion,
  weeklyInstalments,
  type ProgressInput,
} from '../src/domain/progress';

/** Pure unit tests of the progress and pace maths (exact minor units, the shared calendar). */

const base: ProgressInput = {
  target: 100_000n,
  current: 25_000n,
  deadline: null,
  today: '2026-03-10',
  start: '2025-01-01',
  savedInWindow: 9_000n,
};

describe('progress without a deadline', () => {
  it('gives percent, remaining, pace and a projection, and no deadline figures', () => {
    const progress = progressOf(base);
    expect(progress.percent).toBe('25.00');
    expect(progress.remaining).toBe(75_000n);
    expect(progress.pace).toEqual({
      windowStart: '2025-12-11',
      windowDays: 90,
      saved: 9_000n,
      perWeek: 700n, // 9000 × 7 / 90
      perMonth: 3_044n, // 9000 × 30.436875 / 90 = 3043.6875
    });
    // 75000 at 100 a day: 750 days.
    expect(progress.projectedCompletion).toBe(addDays('2026-03-10', 750));
    expect(progress.deadline).toBeNull();
  });

  it('rounds the percent half-even to 2 decimals and may pass 100', () => {
    expect(progressOf({ ...base, target: 800n, current: 1n }).percent).toBe('0.12'); // 0.125
    expect(progressOf({ ...base, target: 800n, current: 3n }).percent).toBe('0.38'); // 0.375
    expect(progressOf({ ...base, target: 3n, current: 2n }).percent).toBe('66.67');
    const over = progressOf({ ...base, target: 100n, current: 150n });
    expect(over.percent).toBe('150.00');
    expect(over.remaining).toBe(0n);
    expect(over.projectedCompletion).toBeNull();
  });

  it('rounds the pace half-even to the minor unit', () => {
    // A 14-day window: per week = saved / 2.
    const start = addDays(base.today, -13);
    expect(paceOf(base.today, start, 1n).perWeek).toBe(0n); // 0.5 → 0
    expect(paceOf(base.today, start, 3n).perWeek).toBe(2n); // 1.5 → 2
    expect(paceOf(base.today, start, 5n).perWeek).toBe(2n); // 2.5 → 2
    expect(paceOf(base.today, start, -3n).perWeek).toBe(-2n); // withdrawals outweigh savings
  });

  it('measures the pace over the last 90 days, or since the goal began when it is younger', () => {
    expect(paceWindow('2026-03-10', '2020-01-01')).toEqual({ start: '2025-12-11', days: 90 });
    expect(paceWindow('2026-03-10', '2026-03-01')).toEqual({ start: '2026-03-01', days: 10 });
    expect(paceWindow('2026-03-10', '2026-03-10')).toEqual({ start: '2026-03-10', days: 1 });
    // A start after today (clock skew) still gives a one-day window.
    expect(paceWindow('2026-03-10', '2026-03-11')).toEqual({ start: '2026-03-10', days: 1 });
  });
});

describe('zero and negative pace', () => {
  it('projects nothing and is not on track without savings in the window', () => {
    for (const savedInWindow of [0n, -500n]) {
      const progress = progressOf({ ...base, savedInWindow, deadline: '2026-12-31' });
      expect(progress.projectedCompletion).toBeNull();
      expect(progress.deadline).toMatchObject({ onTrack: false, passed: false });
      expect(progress.deadline?.neededPerMonth).toBe(7_500n); // 75000 over 10 instalments (Mar 10 … Dec 10)
    }
  });

  it('is on track with no pace once the target is reached', () => {
    const progress = progressOf({ ...base, current: 100_000n, savedInWindow: 0n, deadline: '2026-12-31' });
    expect(progress.deadline).toMatchObject({ onTrack: true, neededPerMonth: 0n, neededPerWeek: 0n });
  });
});

describe('with a deadline', () => {
  it('gives what to save per month and per week from today, rounded up so the target is reached', () => {
    const progress = progressOf({ ...base, current: 0n, target: 100n, deadline: '2026-05-09' });
    // Instalments on Mar 10 and Apr 10 (May 10 is after the deadline): 100 / 2.
    expect(progress.deadline).toMatchObject({
      monthsLeft: 2,
      neededPerMonth: 50n,
      daysLeft: 60,
      passed: false,
    });
    // Every 7 days from Mar 10: 60 days → 9 instalments; 100 / 9 = 11.1 → 12.
    expect(progress.deadline).toMatchObject({ weeksLeft: 9, neededPerWeek: 12n });
  });

  it('counts a deadline of today as one instalment of everything that remains', () => {
    const progress = progressOf({ ...base, deadline: base.today });
    expect(progress.deadline).toMatchObject({
      daysLeft: 0,
      passed: false,
      monthsLeft: 1,
      weeksLeft: 1,
      neededPerMonth: 75_000n,
      neededPerWeek: 75_000n,
      onTrack: false,
    });
  });

  it('judges on-track exactly at the pace: reached on the deadline is on track, a day short is not', () => {
    // 1 a day over 90 days; 900 remaining needs 900 days.
    const input = { ...base, target: 900n, current: 0n, savedInWindow: 90n };
    expect(progressOf({ ...input, deadline: addDays(base.today, 900) }).deadline?.onTrack).toBe(true);
    expect(progressOf({ ...input, deadline: addDays(base.today, 899) }).deadline?.onTrack).toBe(false);
    expect(progressOf({ ...input, deadline: addDays(base.today, 899) }).projectedCompletion).toBe(
      addDays(base.today, 900),
    );
  });

  it('once the deadline passed: no amounts needed, not on track unless reached', () => {
    const late = progressOf({ ...base, deadline: '2026-03-09' });
    expect(late.deadline).toEqual({
      daysLeft: 0,
      passed: true,
      monthsLeft: 0,
      weeksLeft: 0,
      neededPerMonth: null,
      neededPerWeek: null,
      onTrack: false,
    });
    // The projection still says when it will be reached at this pace.
    expect(late.projectedCompletion).toBe(addDays(base.today, 750));
    const reached = progressOf({ ...base, current: 100_000n, deadline: '2020-01-01' });
    expect(reached.deadline).toMatchObject({ passed: true, neededPerMonth: 0n, onTrack: true });
  });
});

describe('leap years', () => {
  it('keeps monthly instalments on their day, clamped to the end of a shorter month', () => {
    expect(monthlyInstalments('2024-01-31', '2024-02-29')).toBe(2); // Jan 31, Feb 29
    expect(monthlyInstalments('2024-01-31', '2024-02-28')).toBe(1); // Feb 29 is after the deadline
    expect(monthlyInstalments('2023-01-31', '2023-02-28')).toBe(2); // Feb 28 in a common year
    expect(monthlyInstalments('2024-02-29', '2025-02-28')).toBe(13); // Feb 29 … Feb 28 of the next year
    expect(monthlyInstalments('2024-02-29', '2025-02-27')).toBe(12);
    expect(monthlyInstalments('2024-01-31', '2024-03-30')).toBe(2); // Jan 31, Feb 29 (Mar 31 is after)
    expect(monthlyInstalments('2024-01-31', '2024-03-31')).toBe(3);
    expect(monthlyInstalments('2026-03-10', '2026-03-09')).toBe(0);
  });

  it('counts Feb 29 in the pace window and in projections', () => {
    expect(paceWindow('2024-03-01', '2000-01-01').start).toBe('2023-12-03');
    expect(paceWindow('2023-03-01', '2000-01-01').start).toBe('2022-12-02');
    // 30 remaining at 1 a day from Feb 27, 2024: Mar 28 (Feb 29 is one of the days).
    expect(projectedCompletion('2024-02-27', 30n, { saved: 90n, windowDays: 90 })).toBe('2024-03-28');
    expect(projectedCompletion('2023-02-27', 30n, { saved: 90n, windowDays: 90 })).toBe('2023-03-29');
    expect(weeklyInstalments('2024-02-22', '2024-02-29')).toBe(2);
    // 1900 is not a leap year, 2000 is.
    expect(monthlyInstalments('1900-01-31', '1900-02-28')).toBe(2);
    expect(monthlyInstalments('2000-01-31', '2000-02-28')).toBe(1);
  });
});

describe('bounds', () => {
  it('answers no projection after the date domain instead of an impossible date', () => {
    expect(projectedCompletion('2999-12-01', 1_000n, { saved: 1n, windowDays: 90 })).toBeNull();
    expect(projectedCompletion('2026-03-10', 10n ** 18n, { saved: 1n, windowDays: 90 })).toBeNull();
    expect(progressOf({ ...base, today: '2999-12-31', deadline: DATE_DOMAIN.max }).deadline?.monthsLeft).toBe(
      1,
    );
  });

  const date = fc
    .integer({ min: dayNumber(DATE_DOMAIN.min), max: dayNumber(DATE_DOMAIN.max) })
    .map((n) => fromDayNumber(n));
  const minor = fc.bigInt({ min: 0n, max: 9_223_372_036_854_775_807n });

  it('holds its promises for any amounts and dates of the domain', () => {
    fc.assert(
      fc.property(
        minor.filter((t) => t > 0n),
        minor,
        fc.bigInt({ min: -(10n ** 18n), max: 10n ** 18n }),
        date,
        date,
        fc.option(date, { nil: null }),
        (target, current, savedInWindow, today, start, deadline) => {
          const progress = progressOf({ target, current, savedInWindow, today, start, deadline });
          const remaining = current >= target ? 0n : target - current;
          expect(progress.remaining).toBe(remaining);
          expect(progress.pace.windowDays).toBeGreaterThanOrEqual(1);
          expect(progress.pace.windowDays).toBeLessThanOrEqual(90);
          const projected = progress.projectedCompletion;
          if (projected !== null) {
            expect(compareDates(projected, today)).toBeGreaterThan(0);
            expect(compareDates(projected, DATE_DOMAIN.max)).toBeLessThanOrEqual(0);
            // Reached at the pace on that day, and not the day before.
            const days = BigInt(daysBetween(today, projected));
            const window = BigInt(progress.pace.windowDays);
            expect(savedInWindow * days >= remaining * window).toBe(true);
            expect(savedInWindow * (days - 1n) < remaining * window).toBe(true);
          }
          const outlook = progress.deadline;
          if (deadline === null) expect(outlook).toBeNull();
          else if (outlook && outlook.neededPerMonth !== null && remaining > 0n) {
            const months = BigInt(outlook.monthsLeft);
            // The smallest amount that, saved at every instalment, reaches the target.
            expect(outlook.neededPerMonth * months >= remaining).toBe(true);
            expect((outlook.neededPerMonth - 1n) * months < remaining).toBe(true);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
