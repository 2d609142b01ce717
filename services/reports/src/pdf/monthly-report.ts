import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  addDays,
  addMonths,
  monthBounds,
  percentOf,
  userSettingsOf,
  type BudgetStatus,
  type CalendarDate,
} from '@finance/shared';
import Handlebars from 'handlebars';
import type { DataSource, EntityManager } from 'typeorm';
import { UNCATEGORISED, UNCATEGORISED_LABEL, savingsRate } from '../domain/analytics';
import { startOfLocalDay } from '../domain/calendar';
import { compactAmount, displayAmount, monthName, shortDate } from '../domain/display';
import {
  budgetMonthLine,
  budgetMonthPlan,
  goalMonthLines,
  type BudgetMonthPlan,
  type MonthRange,
} from '../domain/month-standing';
import { budgetsAsOf, goalsAsOf, sumExpenses, type ExpenseRange } from '../data/budgets-goals';
import {
  dailyExpense,
  incomeExpenseByPeriod,
  spendingByCategory,
  topExpenses,
} from '../data/analytics-queries';
import { barChart } from './charts/bars';
import { donutChart } from './charts/donut';
import type { PdfRenderer } from './renderer';

type Db = DataSource | EntityManager;

export interface MonthlyReportData {
  month: string;
  currency: string;
  incomeMinor: bigint;
  expenseMinor: bigint;
  categories: Array<{ name: string; color: string; totalMinor: bigint; count: number }>;
  daily: Array<{ date: string; expenseMinor: bigint }>;
  lastSixMonths: Array<{ month: string; incomeMinor: bigint; expenseMinor: bigint }>;
  topExpenses: Array<{
    date: string;
    description: string;
    payee: string | null;
    category: string;
    color: string;
    amountMinor: bigint;
  }>;
  /** Each budget as it stood at the month's end (domain/month-standing.ts), by name. */
  budgets: MonthlyBudget[];
  /** Each goal at the month's end with its change over the month, by name. */
  goals: MonthlyGoal[];
}

export interface MonthlyBudget {
  name: string;
  /** The category's name, null for a budget over every expense. */
  category: string | null;
  currency: string;
  windowStart: CalendarDate;
  windowEnd: CalendarDate;
  /** The last day whose spending counts: the month's last day, or the window's end when earlier. */
  countedTo: CalendarDate;
  limitMinor: bigint;
  carriedOverMinor: bigint;
  spentMinor: bigint;
  remainingMinor: bigint;
  /** Of limit + carried over, 2 decimals; null when nothing was available. */
  percentUsed: string | null;
  status: BudgetStatus;
}

export interface MonthlyGoal {
  name: string;
  currency: string;
  targetMinor: bigint;
  currentMinor: bigint;
  remainingMinor: bigint;
  percent: string;
  changeMinor: bigint;
  status: 'active' | 'completed' | 'cancelled';
  deadline: CalendarDate | null;
}

/** The budgets of the month: their definitions at its end, their spending from the roll-ups in one query. */
async function monthlyBudgets(
  db: Db,
  userId: string,
  month: MonthRange,
  end: Date,
): Promise<MonthlyBudget[]> {
  const plans = (await budgetsAsOf(db, userId, end)).flatMap(
    (budget) => budgetMonthPlan(budget, month) ?? [],
  );
  const ranges: ExpenseRange[] = [];
  const slot = (plan: BudgetMonthPlan, range: MonthRange) => {
    ranges.push({ categoryId: plan.budget.categoryId, currency: plan.budget.currency, ...range });
    return ranges.length - 1;
  };
  const slots = plans.map((plan) => ({
    spent: slot(plan, { from: plan.window.start, to: plan.countedTo }),
    before: plan.before ? slot(plan, plan.before) : undefined,
  }));
  const [totals, categories] = await Promise.all([
    sumExpenses(db, userId, ranges),
    categoryNames(
      db,
      userId,
      plans.flatMap((p) => p.budget.categoryId ?? []),
    ),
  ]);
  return plans
    .map((plan, i) => {
      const line = budgetMonthLine(
        plan,
        totals[slots[i].spent],
        slots[i].before === undefined ? 0n : totals[slots[i].before],
      );
      const { figures } = line;
      return {
        name: plan.budget.name,
        category:
          plan.budget.categoryId === null
            ? null
            : (categories.get(plan.budget.categoryId) ?? 'Unknown category'),
        currency: plan.budget.currency,
        windowStart: figures.window.start,
        windowEnd: figures.window.end,
        countedTo: line.countedTo,
        limitMinor: figures.limit,
        carriedOverMinor: figures.carriedOver,
        spentMinor: figures.spent,
        remainingMinor: figures.remaining,
        percentUsed: figures.percentUsed,
        status: figures.status,
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name) || a.windowStart.localeCompare(b.windowStart));
}

async function categoryNames(db: Db, userId: string, ids: string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const rows: Array<{ id: string; name: string }> = await db.query(
    `SELECT id, name FROM report_categories WHERE user_id = $1 AND id = ANY($2::uuid[])`,
    [userId, ids],
  );
  return new Map(rows.map((r) => [r.id, r.name]));
}

/** The goals of the month: their state at its end and its start (the user's midnights). */
async function monthlyGoals(db: Db, userId: string, start: Date, end: Date): Promise<MonthlyGoal[]> {
  const [atEnd, atStart] = await Promise.all([goalsAsOf(db, userId, end), goalsAsOf(db, userId, start)]);
  return goalMonthLines(atEnd, atStart).map(({ goal, percent, remainingMinor, changeMinor }) => ({
    name: goal.name,
    currency: goal.currency,
    targetMinor: goal.targetMinor,
    currentMinor: goal.currentMinor,
    remainingMinor,
    percent,
    changeMinor,
    status: goal.status,
    deadline: goal.deadline,
  }));
}

/** Everything a monthly report shows, read from the roll-ups (and, for the top 10, that month's rows). */
export async function loadMonthlyReport(db: Db, userId: string, month: string): Promise<MonthlyReportData> {
  const { baseCurrency: currency, timezone } = await userSettingsOf(db, userId);
  const range = monthBounds(month);
  const sixFrom = addMonths(range.from, -5);
  // The month as the user lives it: from their midnight of its first day to that of the next month's.
  const monthStart = startOfLocalDay(range.from, timezone);
  const monthEnd = startOfLocalDay(addDays(range.to, 1), timezone);
  const [budgets, goals] = await Promise.all([
    monthlyBudgets(db, userId, range, monthEnd),
    monthlyGoals(db, userId, monthStart, monthEnd),
  ]);
  const [categories, daily, periods, top] = await Promise.all([
    // Only money in the current base currency, labelled as such (rows from before a change of base
    // currency are counted by the analytics' other_currencies, never summed under the wrong label).
    spendingByCategory(db, userId, range, { currency }),
    dailyExpense(db, userId, range, currency),
    incomeExpenseByPeriod(db, userId, { from: sixFrom, to: range.to }, 'month', currency),
    topExpenses(db, userId, range, 10, currency),
  ]);
  const dailyByDate = new Map(daily.map((d) => [d.date, BigInt(d.total_minor)]));
  const days: MonthlyReportData['daily'] = [];
  for (let d = range.from; d <= range.to; d = addDays(d, 1))
    days.push({ date: d, expenseMinor: dailyByDate.get(d) ?? 0n });
  const lastSixMonths: MonthlyReportData['lastSixMonths'] = [];
  for (let i = 0; i < 6; i++) {
    const start = addMonths(sixFrom, i);
    const of = (type: string) =>
      BigInt(periods.find((p) => p.period_start === start && p.type === type)?.total_minor ?? 0);
    lastSixMonths.push({ month: start.slice(0, 7), incomeMinor: of('income'), expenseMinor: of('expense') });
  }
  const current = lastSixMonths[5];
  return {
    month,
    currency,
    incomeMinor: current.incomeMinor,
    expenseMinor: current.expenseMinor,
    categories: categories
      .map((c) => ({
        name: c.category_key === UNCATEGORISED ? UNCATEGORISED_LABEL.name : (c.name ?? 'Unknown category'),
        color:
          c.category_key === UNCATEGORISED
            ? UNCATEGORISED_LABEL.color
            : (c.color ?? UNCATEGORISED_LABEL.color),
        totalMinor: BigInt(c.total_minor),
        count: c.count,
      }))
      .sort((a, b) =>
        a.totalMinor === b.totalMinor ? a.name.localeCompare(b.name) : a.totalMinor > b.totalMinor ? -1 : 1,
      ),
    daily: days,
    lastSixMonths,
    topExpenses: top.map((t) => ({
      date: t.date,
      description: t.description,
      payee: t.payee,
      category: t.category_name ?? UNCATEGORISED_LABEL.name,
      color: t.category_color ?? UNCATEGORISED_LABEL.color,
      amountMinor: BigInt(t.base_amount_minor),
    })),
    budgets,
    goals,
  };
}

function templatesDir(): string {
  // Next to this file in src/; from dist/pdf the .hbs sources are found in ../../src/pdf/templates.
  const candidates = [join(__dirname, 'templates'), resolve(__dirname, '../../src/pdf/templates')];
  const found = candidates.find((dir) => existsSync(join(dir, 'monthly-report.hbs')));
  if (!found) throw new Error(`monthly-report.hbs not found in ${candidates.join(' or ')}`);
  return found;
}

let compiled: Handlebars.TemplateDelegate | undefined;
function template(): Handlebars.TemplateDelegate {
  if (!compiled) {
    const dir = templatesDir();
    const hbs = Handlebars.create();
    for (const partial of ['budgets', 'goals']) {
      hbs.registerPartial(partial, readFileSync(join(dir, `${partial}.hbs`), 'utf8'));
    }
    compiled = hbs.compile(readFileSync(join(dir, 'monthly-report.hbs'), 'utf8'), { strict: true });
  }
  return compiled;
}

const INCOME_COLOR = '#1E8E3E';
const EXPENSE_COLOR = '#D93025';

/** An amount of `currency`, its code added when it is not the report's (a budget from before a change of base currency). */
function amountIn(minor: bigint, currency: string, reportCurrency: string): string {
  const text = displayAmount(minor, currency);
  return currency === reportCurrency ? text : `${text} ${currency}`;
}

const STATUS_LABELS: Record<BudgetStatus, string> = { under: 'On track', near: 'Near limit', over: 'Over' };

function budgetView(b: MonthlyBudget, reportCurrency: string) {
  const money = (minor: bigint) => amountIn(minor, b.currency, reportCurrency);
  const cut = b.countedTo !== b.windowEnd;
  // A budget set in a base currency the user has since left is not judged (budgets' rule, its
  // README): its spending is re-booked by the ledger in the new one, so a sum in the old currency
  // would be partial or zero. Its limit is shown with its currency; the rest is not made up.
  if (b.currency !== reportCurrency)
    return {
      name: b.name,
      category: b.category ?? 'All expenses',
      window: `${shortDate(b.windowStart)} – ${shortDate(b.windowEnd)}`,
      countedTo: cut ? `to ${shortDate(b.countedTo)}` : '',
      limit: money(b.limitMinor),
      carriedOver: '',
      spent: '—',
      remaining: '—',
      percentUsed: '—',
      barWidth: '0',
      status: 'unavailable',
      statusLabel: `Not in ${reportCurrency}`,
    };
  return {
    name: b.name,
    category: b.category ?? 'All expenses',
    window: `${shortDate(b.windowStart)} – ${shortDate(b.windowEnd)}`,
    countedTo: cut ? `to ${shortDate(b.countedTo)}` : '',
    limit: money(b.limitMinor + b.carriedOverMinor),
    carriedOver:
      b.carriedOverMinor === 0n
        ? ''
        : `${b.carriedOverMinor > 0n ? '+' : ''}${displayAmount(b.carriedOverMinor, b.currency)} carried over`,
    spent: money(b.spentMinor),
    remaining: money(b.remainingMinor),
    percentUsed: b.percentUsed === null ? '—' : `${b.percentUsed} %`,
    barWidth: b.percentUsed === null ? '100' : Number(b.percentUsed) > 100 ? '100' : b.percentUsed,
    status: b.status,
    statusLabel: STATUS_LABELS[b.status],
  };
}

const GOAL_STATUS_LABELS: Record<MonthlyGoal['status'], string> = {
  active: 'Active',
  completed: 'Completed',
  cancelled: 'Cancelled',
};

function goalView(g: MonthlyGoal, reportCurrency: string) {
  const money = (minor: bigint) => amountIn(minor, g.currency, reportCurrency);
  return {
    name: g.name,
    deadline: g.deadline === null ? '' : `by ${shortDate(g.deadline)} ${g.deadline.slice(0, 4)}`,
    current: money(g.currentMinor),
    target: money(g.targetMinor),
    percent: `${g.percent} %`,
    barWidth: Number(g.percent) > 100 ? '100' : g.percent,
    change: `${g.changeMinor > 0n ? '+' : ''}${money(g.changeMinor)}`,
    changeClass: g.changeMinor > 0n ? 'up' : g.changeMinor < 0n ? 'down' : 'flat',
    status: g.status,
    statusLabel: GOAL_STATUS_LABELS[g.status],
  };
}

/** The report as a self-contained HTML page: inline CSS and SVG, no external resource at all. */
export function monthlyReportHtml(data: MonthlyReportData, generatedOn: string): string {
  const money = (minor: bigint) => displayAmount(minor, data.currency);
  const net = data.incomeMinor - data.expenseMinor;
  const rate = savingsRate(data.incomeMinor, data.expenseMinor);
  const maxCategory = data.categories[0]?.totalMinor ?? 0n;
  const view = {
    monthLabel: monthName(data.month),
    currency: data.currency,
    generatedOn,
    income: money(data.incomeMinor),
    expense: money(data.expenseMinor),
    net: money(net),
    netNegative: net < 0n,
    savingsRate: rate === null ? '—' : `${rate} %`,
    hasSpending: data.categories.length > 0,
    donut: donutChart(
      data.categories.map((c) => ({ label: c.name, color: c.color, valueMinor: c.totalMinor })),
      { size: 190, centerLabel: 'Spent', centerValue: money(data.expenseMinor) },
    ),
    categories: data.categories.slice(0, 12).map((c) => ({
      name: c.name,
      color: c.color,
      total: money(c.totalMinor),
      share: percentOf(c.totalMinor, data.expenseMinor, 1),
      count: c.count,
      barWidth: maxCategory === 0n ? '0' : percentOf(c.totalMinor, maxCategory, 1),
    })),
    moreCategories: Math.max(data.categories.length - 12, 0),
    dailyChart: barChart(
      data.daily.map((d) => ({ label: String(Number(d.date.slice(8))), values: [d.expenseMinor] })),
      {
        width: 620,
        height: 170,
        series: [{ name: 'Spending', color: '#5B6CF0' }],
        formatAxis: (minor) => compactAmount(minor, data.currency),
        labelEvery: 2,
      },
    ),
    sixMonthChart: barChart(
      data.lastSixMonths.map((m) => ({
        label: new Intl.DateTimeFormat('en-GB', { month: 'short', year: '2-digit', timeZone: 'UTC' }).format(
          new Date(`${m.month}-01T00:00:00Z`),
        ),
        values: [m.incomeMinor, m.expenseMinor],
      })),
      {
        width: 620,
        height: 190,
        series: [
          { name: 'Income', color: INCOME_COLOR },
          { name: 'Expenses', color: EXPENSE_COLOR },
        ],
        formatAxis: (minor) => compactAmount(minor, data.currency),
      },
    ),
    topExpenses: data.topExpenses.map((t, i) => ({
      rank: i + 1,
      date: shortDate(t.date),
      description: t.description,
      payee: t.payee ?? '',
      category: t.category,
      color: t.color,
      amount: money(t.amountMinor),
    })),
    hasTopExpenses: data.topExpenses.length > 0,
    budgets: data.budgets.map((b) => budgetView(b, data.currency)),
    goals: data.goals.map((g) => goalView(g, data.currency)),
  };
  return template()(view);
}

/** The footer Chromium prints on every page. */
export function reportFooter(month: string): string {
  return `<div style="width:100%;font-family:'Liberation Sans','DejaVu Sans','Open Sans',Arial,sans-serif;font-size:7.5px;color:#80868B;padding:0 14mm;display:flex;justify-content:space-between;"><span>Finance Tracker · Monthly report · ${monthName(month)}</span><span>Page <span class="pageNumber"></span> of <span class="totalPages"></span></span></div>`;
}

export async function renderMonthlyReport(
  renderer: PdfRenderer,
  data: MonthlyReportData,
  generatedOn: string,
): Promise<Buffer> {
  return renderer.render(monthlyReportHtml(data, generatedOn), { footerTemplate: reportFooter(data.month) });
}
