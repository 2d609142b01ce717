import {
  addDays,
  compareDates,
  formatMinorUnits,
  nextPeriodStart,
  periodsBetween,
  type CalendarDate,
  type Granularity,
} from '@finance/shared';
import type { DateRange } from './calendar';

/**
 * Net worth and balance history (pure): which days a series is read at, and how running sums
 * become every period's balance. Amounts are bigint minor units; nothing here rounds.
 */

/** Account types that are debts: their balances are liabilities, every other type's are assets. */
export const LIABILITY_ACCOUNT_TYPES = ['credit_card', 'loan'] as const;

export function isLiability(accountType: string): boolean {
  return (LIABILITY_ACCOUNT_TYPES as readonly string[]).includes(accountType);
}

/** One point of a balance series: a period and the day its balance is taken at. */
export interface BalancePoint {
  periodStart: CalendarDate;
  /** The period's last day, or `to` for the period holding it (a balance is never read past the range). */
  periodEnd: CalendarDate;
}

/**
 * Every period touching the range (at most MAX_PERIODS: `periodsBetween` refuses more), each read at
 * its last day, the last one at `to`. The first period may start before `from`; its balance is
 * still everything up to its end.
 */
export function balancePoints(range: DateRange, granularity: Granularity): BalancePoint[] {
  return periodsBetween(range.from, range.to, granularity).map((periodStart) => {
    const end = addDays(nextPeriodStart(periodStart, granularity), -1);
    return { periodStart, periodEnd: compareDates(end, range.to) > 0 ? range.to : end };
  });
}

/**
 * The first day of each bucket the queries sum by, after bucket 0 (everything before `from`):
 * `from`, then the start of every later period. A day's bucket is how many of these it is on or after.
 */
export function bucketThresholds(range: DateRange, points: readonly BalancePoint[]): CalendarDate[] {
  return [range.from, ...points.slice(1).map((point) => point.periodStart)];
}

/**
 * Running sums answered only for buckets that had changes, carried forward to every bucket
 * 0…`buckets`: a period without any change keeps the balance before it (zero before the first change).
 */
export function carryForward(sparse: ReadonlyMap<number, bigint>, buckets: number): bigint[] {
  const filled: bigint[] = [];
  let running = 0n;
  for (let bucket = 0; bucket <= buckets; bucket++) {
    running = sparse.get(bucket) ?? running;
    filled.push(running);
  }
  return filled;
}

/** Balances of asset accounts and of liability accounts, as the ledger keeps them (a debt is negative). */
export interface SideBalances {
  assets: bigint;
  liabilities: bigint;
}

/**
 * The net worth series. `opening` is the opening balances counted; `running[i]` is what changed up to
 * bucket i (0: before `from`). Liabilities are answered as what is owed, a positive amount for a debt
 * (minus the liability accounts' balances: a credit card at −1,200.00 owes 1,200.00); net worth is
 * assets − liabilities, i.e. the sum of every balance.
 */
export function netWorthSeries(
  points: readonly BalancePoint[],
  opening: SideBalances,
  running: { assets: readonly bigint[]; liabilities: readonly bigint[] },
  currency: string,
) {
  return points.map((point, index) => {
    const assets = opening.assets + running.assets[index + 1];
    const owed = -(opening.liabilities + running.liabilities[index + 1]);
    return {
      period_start: point.periodStart,
      period_end: point.periodEnd,
      assets: formatMinorUnits(assets, currency),
      liabilities: formatMinorUnits(owed, currency),
      net_worth: formatMinorUnits(assets - owed, currency),
    };
  });
}

/**
 * One account's balance series: the opening balance plus every change up to each period's end,
 * and each period's change (against the balance the day before `from` for the first one).
 */
export function balanceSeries(
  points: readonly BalancePoint[],
  openingMinor: bigint,
  running: readonly bigint[],
  currency: string,
) {
  return points.map((point, index) => ({
    period_start: point.periodStart,
    period_end: point.periodEnd,
    change: formatMinorUnits(running[index + 1] - running[index], currency),
    balance: formatMinorUnits(openingMinor + running[index + 1], currency),
  }));
}
