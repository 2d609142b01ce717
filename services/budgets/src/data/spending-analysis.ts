import type { EntityManager } from 'typeorm';
import {
  currentFigures,
  seriesFigures,
  sumByWindow,
  type CurrentWindowFigures,
  type WindowFigures,
} from '../domain/budget-analysis';
import {
  previousWindows,
  type BudgetSchedule,
  type BudgetWindow,
  type CalendarDate,
} from '../domain/budget-window';
import type { BudgetRecord } from './budget-store';

export interface BudgetAnalysisRequest {
  budget: BudgetRecord;
  /** The window to judge (usually the one containing today). */
  window: BudgetWindow;
  /** How many earlier windows to report as history. */
  historyCount: number;
}

export interface BudgetAnalysis {
  budget: BudgetRecord;
  current: CurrentWindowFigures;
  /** Earlier windows, oldest first. */
  history: WindowFigures[];
}

export function scheduleOf(budget: BudgetRecord): BudgetSchedule {
  return { period: budget.period, startDate: budget.startDate, endDate: budget.endDate };
}

interface DailySumRow {
  key: string;
  day: string | null;
  total: string;
}

/**
 * Figures for several budgets' windows with ONE grouped query: per budget, the expense sums per
 * day over its history and current window, plus (for rollover) one sum of everything spent from
 * start_date up to the history — never one query per window. Only expenses in the budget's
 * currency count; income and transfers never do.
 */
export async function analyseBudgets(
  manager: EntityManager,
  userId: string,
  requests: BudgetAnalysisRequest[],
  today: CalendarDate,
): Promise<BudgetAnalysis[]> {
  if (requests.length === 0) return [];
  const plans = requests.map((request, i) => {
    const schedule = scheduleOf(request.budget);
    const windows = [...previousWindows(schedule, request.window, request.historyCount), request.window];
    const detailFrom = windows[0].start;
    return {
      key: String(i),
      request,
      windows,
      detailFrom,
      from: request.budget.rollover ? request.budget.startDate : detailFrom,
      to: request.window.end,
    };
  });
  const rows: DailySumRow[] = await manager.query(
    `SELECT r.key,
            CASE WHEN t.date < r.detail_from THEN NULL ELSE t.date::text END AS day,
            SUM(t.base_amount_minor)::text AS total
     FROM unnest($2::text[], $3::uuid[], $4::text[], $5::date[], $6::date[], $7::date[])
            AS r(key, category_id, currency, from_date, detail_from, to_date)
     JOIN spending_transactions t
       ON t.user_id = $1 AND NOT t.deleted AND t.type = 'expense'
      AND t.base_currency = r.currency
      AND (r.category_id IS NULL OR t.category_id = r.category_id)
      AND t.date BETWEEN r.from_date AND r.to_date
     GROUP BY 1, 2`,
    [
      userId,
      plans.map((p) => p.key),
      plans.map((p) => p.request.budget.categoryId),
      plans.map((p) => p.request.budget.currency),
      plans.map((p) => p.from),
      plans.map((p) => p.detailFrom),
      plans.map((p) => p.to),
    ],
  );
  return plans.map((plan) => {
    const mine = rows.filter((r) => r.key === plan.key);
    const spentBefore = mine.filter((r) => r.day === null).reduce((sum, r) => sum + BigInt(r.total), 0n);
    const daily = mine
      .filter((r) => r.day !== null)
      .map((r) => ({ date: r.day as string, total: BigInt(r.total) }));
    const { budget } = plan.request;
    const figures = seriesFigures(budget.amountMinor, budget.rollover, {
      windows: sumByWindow(plan.windows, daily),
      spentBefore,
    });
    return {
      budget,
      current: currentFigures(figures[figures.length - 1], today),
      history: figures.slice(0, -1),
    };
  });
}
