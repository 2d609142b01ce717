import {
  DATE_DOMAIN,
  addDays,
  addMonths,
  compareDates,
  daysBetween,
  divideHalfEven,
  parseCalendarDate,
  percentOf,
  type CalendarDate,
} from '@finance/shared';

/**
 * How far a goal is and whether it will be reached in time: pure arithmetic on exact minor units
 * (bigint) and calendar dates (the shared calendar's day numbers), no I/O.
 *
 * Rounding, in one place:
 * - `percent`: current / target × 100, two decimals, half-even (`percentOf`).
 * - pace (`perWeek`, `perMonth`): the net amount saved in the pace window spread evenly over its
 *   days, to the minor unit, half-even. A month is the Gregorian average, 365.2425 / 12 =
 *   30.436875 days; a week is 7 days.
 * - needed amounts (`neededPerMonth`, `neededPerWeek`): rounded UP to the minor unit, so that
 *   saving that much at every instalment reaches the target (never a cent short).
 */

/** The pace is measured over this many days, ending today. */
export const PACE_WINDOW_DAYS = 90;

/** 365.2425 / 12 days, as an exact fraction. */
const DAYS_PER_MONTH = { numerator: 3_652_425n, denominator: 120_000n };

export interface ProgressInput {
  target: bigint;
  current: bigint;
  deadline: CalendarDate | null;
  /** Today in the user's time zone. */
  today: CalendarDate;
  /** When the goal's history begins: the earlier of its creation day and its first contribution's date. */
  start: CalendarDate;
  /** Net amount (contributions minus withdrawals) dated in the last {@link PACE_WINDOW_DAYS} days up to today. */
  savedInWindow: bigint;
}

export interface Pace {
  /** First day of the window: 89 days before today, or the goal's start when that is later. */
  windowStart: CalendarDate;
  /** Days in the window, today included (1 to 90). */
  windowDays: number;
  /** Net amount saved in the window. */
  saved: bigint;
  perWeek: bigint;
  perMonth: bigint;
}

export interface DeadlineOutlook {
  /** Days after today up to the deadline (0 when it is today or has passed). */
  daysLeft: number;
  passed: boolean;
  /** Monthly instalments left: today, and the same day of each later month up to the deadline (0 once passed). */
  monthsLeft: number;
  /** Weekly instalments left: today, and every 7 days after it up to the deadline (0 once passed). */
  weeksLeft: number;
  /** What to save at each monthly instalment to reach the target by the deadline; null once it passed unreached. */
  neededPerMonth: bigint | null;
  neededPerWeek: bigint | null;
  /** Whether the target is reached by the deadline if saving goes on at the window's pace. */
  onTrack: boolean;
}

export interface Progress {
  percent: string;
  /** What is still missing (0 once the target is reached). */
  remaining: bigint;
  pace: Pace;
  /** The day the target is reached at the window's pace; null without a positive pace, once reached, or after the date domain. */
  projectedCompletion: CalendarDate | null;
  /** Null for a goal without a deadline. */
  deadline: DeadlineOutlook | null;
}

function partsOf(date: CalendarDate) {
  const parts = parseCalendarDate(date);
  if (!parts) throw new RangeError(`Not a calendar date: ${date}`);
  return parts;
}

/** Ceiling of a non-negative numerator over a positive denominator. */
function ceilDiv(numerator: bigint, denominator: bigint): bigint {
  return (numerator + denominator - 1n) / denominator;
}

/** The pace window ending `today`: the last 90 days, shortened to the goal's history when that is younger. */
export function paceWindow(today: CalendarDate, start: CalendarDate): { start: CalendarDate; days: number } {
  const earliest = addDays(today, -(PACE_WINDOW_DAYS - 1));
  const from = compareDates(start, earliest) > 0 ? start : earliest;
  // A start after today (a goal created "tomorrow" by a clock skew) still gives a one-day window.
  const windowStart = compareDates(from, today) > 0 ? today : from;
  return { start: windowStart, days: daysBetween(windowStart, today) + 1 };
}

export function paceOf(today: CalendarDate, start: CalendarDate, saved: bigint): Pace {
  const window = paceWindow(today, start);
  const days = BigInt(window.days);
  return {
    windowStart: window.start,
    windowDays: window.days,
    saved,
    perWeek: divideHalfEven(saved * 7n, days),
    perMonth: divideHalfEven(saved * DAYS_PER_MONTH.numerator, DAYS_PER_MONTH.denominator * days),
  };
}

/**
 * How many monthly instalments fall in [today, deadline]: today, then the same day of each later
 * month (clamped to a shorter month's last day: Jan 31 → Feb 29 in a leap year), up to the deadline.
 */
export function monthlyInstalments(today: CalendarDate, deadline: CalendarDate): number {
  if (compareDates(deadline, today) < 0) return 0;
  const from = partsOf(today);
  const to = partsOf(deadline);
  let months = (to.year - from.year) * 12 + (to.month - from.month);
  if (compareDates(addMonths(today, months, from.day), deadline) > 0) months -= 1;
  return months + 1;
}

/** How many weekly instalments fall in [today, deadline]: today and every 7 days after it. */
export function weeklyInstalments(today: CalendarDate, deadline: CalendarDate): number {
  const days = daysBetween(today, deadline);
  return days < 0 ? 0 : Math.floor(days / 7) + 1;
}

/**
 * The day the target is reached when `remaining` is saved at `saved` per `windowDays` days:
 * today + ⌈remaining × windowDays / saved⌉. Null without a positive pace, when nothing remains,
 * or when that day lies after the date domain.
 */
export function projectedCompletion(
  today: CalendarDate,
  remaining: bigint,
  pace: Pick<Pace, 'saved' | 'windowDays'>,
): CalendarDate | null {
  if (remaining <= 0n || pace.saved <= 0n) return null;
  const days = ceilDiv(remaining * BigInt(pace.windowDays), pace.saved);
  if (days > BigInt(daysBetween(today, DATE_DOMAIN.max))) return null;
  return addDays(today, Number(days));
}

export function deadlineOutlook(
  input: Pick<ProgressInput, 'target' | 'current' | 'today'> & { deadline: CalendarDate },
  remaining: bigint,
  pace: Pick<Pace, 'saved' | 'windowDays'>,
): DeadlineOutlook {
  const { today, deadline } = input;
  const passed = compareDates(deadline, today) < 0;
  const monthsLeft = monthlyInstalments(today, deadline);
  const weeksLeft = weeklyInstalments(today, deadline);
  const needed = (instalments: number) =>
    remaining === 0n ? 0n : passed ? null : ceilDiv(remaining, BigInt(instalments));
  const daysAhead = BigInt(Math.max(0, daysBetween(today, deadline)));
  const window = BigInt(pace.windowDays);
  // current + saved / windowDays × daysAhead ≥ target, multiplied out so it stays exact.
  const onTrack =
    remaining === 0n || (!passed && input.current * window + pace.saved * daysAhead >= input.target * window);
  return {
    daysLeft: Number(daysAhead),
    passed,
    monthsLeft,
    weeksLeft,
    neededPerMonth: needed(monthsLeft),
    neededPerWeek: needed(weeksLeft),
    onTrack,
  };
}

/** Everything `GET /goals/{id}` tells about a goal's progress. */
export function progressOf(input: ProgressInput): Progress {
  const remaining = input.current >= input.target ? 0n : input.target - input.current;
  const pace = paceOf(input.today, input.start, input.savedInWindow);
  return {
    percent: percentOf(input.current, input.target, 2),
    remaining,
    pace,
    projectedCompletion: projectedCompletion(input.today, remaining, pace),
    deadline:
      input.deadline === null
        ? null
        : deadlineOutlook({ ...input, deadline: input.deadline }, remaining, pace),
  };
}
