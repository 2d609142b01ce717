import { divideHalfEven, formatMinorUnits, percentOf } from '@finance/shared';

/**
 * The category key of uncategorised money in the roll-ups: the nil UUID, a real value, so one
 * plain primary key covers it (a NULL never conflicts in ON CONFLICT).
 */
export const UNCATEGORISED = '00000000-0000-0000-0000-000000000000';

/** How uncategorised money is shown: its own row, with a neutral colour. */
export const UNCATEGORISED_LABEL = { name: 'Uncategorised', color: '#9AA0A6' };
const UNKNOWN_CATEGORY = { name: 'Unknown category', color: '#9AA0A6' };

export interface CategoryTotal {
  categoryKey: string;
  name: string | null;
  color: string | null;
  totalMinor: bigint;
  count: number;
}

function label(t: { categoryKey: string; name: string | null; color: string | null }) {
  if (t.categoryKey === UNCATEGORISED) return { category_id: null, ...UNCATEGORISED_LABEL };
  // A transaction may arrive before its category's event: show it, unnamed, rather than drop it.
  return {
    category_id: t.categoryKey,
    name: t.name ?? UNKNOWN_CATEGORY.name,
    color: t.color ?? UNKNOWN_CATEGORY.color,
  };
}

/** Spending per category with shares of the grand total, largest first. */
export function spendingBreakdown(totals: CategoryTotal[], currency: string) {
  const grand = totals.reduce((sum, t) => sum + t.totalMinor, 0n);
  const sorted = [...totals].sort((a, b) =>
    a.totalMinor === b.totalMinor
      ? (a.name ?? '').localeCompare(b.name ?? '')
      : a.totalMinor > b.totalMinor
        ? -1
        : 1,
  );
  return {
    total: formatMinorUnits(grand, currency),
    count: totals.reduce((sum, t) => sum + t.count, 0),
    categories: sorted.map((t) => ({
      ...label(t),
      total: formatMinorUnits(t.totalMinor, currency),
      share: percentOf(t.totalMinor, grand, 2),
      count: t.count,
    })),
  };
}

/** Net / income as a percentage; null when there was no income (a rate of nothing is undefined). */
export function savingsRate(incomeMinor: bigint, expenseMinor: bigint): string | null {
  return incomeMinor === 0n ? null : percentOf(incomeMinor - expenseMinor, incomeMinor, 2);
}

export interface PeriodAmounts {
  income: bigint;
  expense: bigint;
}

/** Income / expense / net / savings rate for every period, zero-filled. */
export function incomeExpenseSeries(
  periods: string[],
  amounts: Map<string, PeriodAmounts>,
  currency: string,
) {
  let income = 0n;
  let expense = 0n;
  const rows = periods.map((start) => {
    const a = amounts.get(start) ?? { income: 0n, expense: 0n };
    income += a.income;
    expense += a.expense;
    return {
      period_start: start,
      income: formatMinorUnits(a.income, currency),
      expense: formatMinorUnits(a.expense, currency),
      net: formatMinorUnits(a.income - a.expense, currency),
      savings_rate: savingsRate(a.income, a.expense),
    };
  });
  return {
    periods: rows,
    totals: {
      income: formatMinorUnits(income, currency),
      expense: formatMinorUnits(expense, currency),
      net: formatMinorUnits(income - expense, currency),
      savings_rate: savingsRate(income, expense),
    },
  };
}

/** A running balance: each period's closing balance = previous + inflow − outflow. */
export function runningBalance(
  periods: string[],
  flows: Map<string, { inflow: bigint; outflow: bigint }>,
  openingMinor: bigint,
  currency: string,
) {
  let balance = openingMinor;
  return {
    opening_balance: formatMinorUnits(openingMinor, currency),
    periods: periods.map((start) => {
      const f = flows.get(start) ?? { inflow: 0n, outflow: 0n };
      balance += f.inflow - f.outflow;
      return {
        period_start: start,
        inflow: formatMinorUnits(f.inflow, currency),
        outflow: formatMinorUnits(f.outflow, currency),
        net: formatMinorUnits(f.inflow - f.outflow, currency),
        balance: formatMinorUnits(balance, currency),
      };
    }),
    closing_balance: formatMinorUnits(balance, currency),
  };
}

/**
 * Per category: the current period against the previous one and against the mean of the
 * `history.length` periods before the current one. Percent changes are null when the base is 0.
 */
export function categoryTrends(
  categories: Array<{ categoryKey: string; name: string | null; color: string | null }>,
  totals: Map<string, Map<string, bigint>>,
  current: string,
  history: string[],
  currency: string,
) {
  const previous = history[history.length - 1];
  const rows = categories.map((c) => {
    const byPeriod = totals.get(c.categoryKey) ?? new Map<string, bigint>();
    const now = byPeriod.get(current) ?? 0n;
    const before = byPeriod.get(previous) ?? 0n;
    const sum = history.reduce((s, p) => s + (byPeriod.get(p) ?? 0n), 0n);
    const average = divideHalfEven(sum, BigInt(history.length));
    return {
      ...label(c),
      current: now,
      previous: before,
      average,
    };
  });
  rows.sort((a, b) =>
    a.current === b.current ? a.name.localeCompare(b.name) : a.current > b.current ? -1 : 1,
  );
  return rows.map((r) => ({
    category_id: r.category_id,
    name: r.name,
    color: r.color,
    current: formatMinorUnits(r.current, currency),
    previous: formatMinorUnits(r.previous, currency),
    change: formatMinorUnits(r.current - r.previous, currency),
    change_percent: r.previous === 0n ? null : percentOf(r.current - r.previous, r.previous, 2),
    average: formatMinorUnits(r.average, currency),
    change_vs_average: formatMinorUnits(r.current - r.average, currency),
    change_vs_average_percent: r.average === 0n ? null : percentOf(r.current - r.average, r.average, 2),
  }));
}

/** How many transactions of a range are held in one base currency. */
export interface CurrencyCount {
  currency: string;
  count: number;
}

/**
 * The transactions left out of figures in `baseCurrency`: those whose base amount is in another
 * currency (booked before the user changed base currency). Reports holds no exchange rates, so
 * they are never converted, nor added to figures labelled with another currency; they are
 * counted per currency instead, largest count first.
 */
export function otherCurrencies(counts: readonly CurrencyCount[], baseCurrency: string): CurrencyCount[] {
  const byCurrency = new Map<string, number>();
  for (const { currency, count } of counts) {
    if (currency !== baseCurrency && count > 0)
      byCurrency.set(currency, (byCurrency.get(currency) ?? 0) + count);
  }
  return [...byCurrency]
    .map(([currency, count]) => ({ currency, count }))
    .sort((a, b) => b.count - a.count || a.currency.localeCompare(b.currency));
}
