import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import type { EventPayloadInput, FinanceEvent } from '@finance/shared';
import type { Browser } from 'puppeteer-core';
import { startOfLocalDay } from '../src/domain/calendar';
import {
  budgetMonthLine,
  budgetMonthPlan,
  goalMonthLines,
  type BudgetDefinition,
  type GoalSnapshot,
} from '../src/domain/month-standing';
import { loadMonthlyReport, monthlyReportHtml, renderMonthlyReport } from '../src/pdf/monthly-report';
import {
  account,
  apply,
  category,
  event,
  pdfText,
  profile,
  startReports,
  transaction,
  type ReportsService,
} from './support';

const february = { from: '2026-02-01', to: '2026-02-28' };

function budget(overrides: Partial<BudgetDefinition>): BudgetDefinition {
  return {
    id: randomUUID(),
    deleted: false,
    name: 'Food',
    categoryId: null,
    amountMinor: 20_000n,
    currency: 'GBP',
    period: 'monthly',
    startDate: '2026-01-01',
    endDate: null,
    rollover: false,
    ...overrides,
  };
}

function goal(overrides: Partial<GoalSnapshot>): GoalSnapshot {
  return {
    id: randomUUID(),
    deleted: false,
    name: 'Holiday',
    targetMinor: 100_000n,
    currentMinor: 0n,
    currency: 'GBP',
    status: 'active',
    deadline: null,
    ...overrides,
  };
}

describe('the month of a budget and of a goal (pure)', () => {
  it('shows a budget by the window the month ends in, counted to the month’s last day', () => {
    const fromFirst = budgetMonthPlan(budget({}), february)!;
    expect(fromFirst.window).toMatchObject({ start: '2026-02-01', end: '2026-02-28', index: 1 });
    expect(fromFirst.countedTo).toBe('2026-02-28');
    expect(fromFirst.before).toBeUndefined();

    const payday = budgetMonthPlan(budget({ startDate: '2025-12-25' }), february)!;
    expect(payday.window).toMatchObject({ start: '2026-02-25', end: '2026-03-24' });
    expect(payday.countedTo).toBe('2026-02-28');

    // Ended during the month: its last window, cut at its end date.
    const ended = budgetMonthPlan(
      budget({ period: 'weekly', startDate: '2026-01-05', endDate: '2026-02-11' }),
      february,
    )!;
    expect(ended.window).toMatchObject({ start: '2026-02-09', end: '2026-02-11' });
    expect(ended.countedTo).toBe('2026-02-11');

    // Rollover past the first window: everything from start_date before the window is summed too.
    expect(budgetMonthPlan(budget({ rollover: true }), february)!.before).toEqual({
      from: '2026-01-01',
      to: '2026-01-31',
    });
  });

  it('leaves out budgets that did not run in the month, or were deleted by its end', () => {
    expect(budgetMonthPlan(budget({ startDate: '2026-03-01' }), february)).toBeUndefined();
    expect(budgetMonthPlan(budget({ endDate: '2026-01-31' }), february)).toBeUndefined();
    expect(budgetMonthPlan(budget({ deleted: true }), february)).toBeUndefined();
    expect(budgetMonthPlan(budget({ startDate: '2026-02-28' }), february)).toBeDefined();
    expect(
      budgetMonthPlan(budget({ startDate: '2025-06-01', endDate: '2026-02-01' }), february),
    ).toBeDefined();
  });

  it('carries over with budgets’ own rule and judges the status on limit + carry', () => {
    const plan = budgetMonthPlan(budget({ rollover: true }), february)!;
    // January spent 40.00 of 200.00: 160.00 carried; February spends 330.00 of 360.00 → near.
    const { figures } = budgetMonthLine(plan, 33_000n, 4_000n);
    expect(figures).toMatchObject({
      limit: 20_000n,
      carriedOver: 16_000n,
      spent: 33_000n,
      remaining: 3_000n,
      percentUsed: '91.67',
      status: 'near',
    });
    expect(budgetMonthLine(plan, 36_001n, 4_000n).figures.status).toBe('over');
    expect(budgetMonthLine(plan, 36_000n, 4_000n).figures.status).toBe('near');
  });

  it('gives each goal its progress and its change over the month', () => {
    const holiday = goal({ name: 'Holiday', currentMinor: 50_000n, targetMinor: 150_000n });
    const car = goal({ name: 'Car', currentMinor: 120_000n, targetMinor: 800_000n });
    const gone = goal({ name: 'Gone', deleted: true });
    const lines = goalMonthLines(
      [holiday, car, gone],
      [
        { ...holiday, currentMinor: 30_000n },
        { ...gone, deleted: false },
      ],
    );
    expect(lines.map((l) => [l.goal.name, l.percent, l.changeMinor, l.remainingMinor])).toEqual([
      ['Car', '15.00', 120_000n, 680_000n], // created during the month: from 0
      ['Holiday', '33.33', 20_000n, 100_000n],
    ]);
    expect(goalMonthLines([goal({ currentMinor: 120_000n, targetMinor: 100_000n })], [])[0]).toMatchObject({
      percent: '120.00',
      remainingMinor: 0n,
    });
  });

  it('begins a day at the user’s midnight (summer time and a skipped midnight included)', () => {
    expect(startOfLocalDay('2026-03-01', 'Europe/Berlin').toISOString()).toBe('2026-02-28T23:00:00.000Z');
    expect(startOfLocalDay('2026-03-30', 'Europe/Berlin').toISOString()).toBe('2026-03-29T22:00:00.000Z');
    expect(startOfLocalDay('2026-03-01', 'Asia/Tokyo').toISOString()).toBe('2026-02-28T15:00:00.000Z');
    expect(startOfLocalDay('2026-11-01', 'America/New_York').toISOString()).toBe('2026-11-01T04:00:00.000Z');
    expect(startOfLocalDay('2026-03-08', 'America/Havana').toISOString()).toBe('2026-03-08T05:00:00.000Z');
    expect(startOfLocalDay('2026-03-01', 'Mars/Olympus_Mons').toISOString()).toBe('2026-03-01T00:00:00.000Z');
  });
});

describe('the monthly report’s budgets and goals, from budgets’ and goals’ events', () => {
  let service: ReportsService;
  const userId = randomUUID();
  const groceries = randomUUID();
  const eating = randomUUID();
  const card = randomUUID();
  const ids = {
    groceries: randomUUID(),
    eating: randomUUID(),
    everything: randomUUID(),
    old: randomUUID(),
    holiday: randomUUID(),
    car: randomUUID(),
    emergency: randomUUID(),
    gone: randomUUID(),
    later: randomUUID(),
  };

  /** An event that took effect at `occurredAt` (what reports dates a version by). */
  function at<T extends FinanceEvent>(occurredAt: string, e: T): T {
    return { ...e, occurredAt };
  }

  const budgetState = (
    overrides: Partial<EventPayloadInput<'budgets.budget.changed'>>,
  ): EventPayloadInput<'budgets.budget.changed'> => ({
    name: 'Groceries',
    categoryId: groceries,
    amount: '200.00',
    currency: 'GBP',
    period: 'monthly',
    startDate: '2026-01-01',
    endDate: null,
    rollover: false,
    ...overrides,
  });
  const budgetChanged = (
    id: string,
    version: number,
    occurredAt: string,
    state: Partial<EventPayloadInput<'budgets.budget.changed'>>,
  ) => at(occurredAt, event('budgets.budget.changed', userId, id, version, budgetState(state)));

  const goalState = (
    overrides: Partial<EventPayloadInput<'goals.goal.changed'>>,
  ): EventPayloadInput<'goals.goal.changed'> => ({
    name: 'Holiday',
    targetAmount: '1500.00',
    currentAmount: '0.00',
    currency: 'GBP',
    status: 'active',
    deadline: null,
    ...overrides,
  });
  const goalChanged = (
    id: string,
    version: number,
    occurredAt: string,
    state: Partial<EventPayloadInput<'goals.goal.changed'>>,
  ) => at(occurredAt, event('goals.goal.changed', userId, id, version, goalState(state)));

  const expense = (
    categoryId: string | null,
    date: string,
    amount: string,
    type: 'expense' | 'income' = 'expense',
  ) =>
    event(
      'ledger.transaction.created',
      userId,
      randomUUID(),
      1,
      transaction({
        accountId: card,
        currency: 'GBP',
        amount,
        categoryId,
        date,
        type,
        description: `${date} ${amount}`,
      }),
    );

  beforeAll(async () => {
    service = await startReports('reports_monthly_budgets_goals', {
      clock: () => new Date('2026-03-01T09:00:00Z'),
    });
    await apply(
      service,
      // Berlin: February ends at 2026-02-28T23:00Z for this user.
      event('auth.user.registered', userId, userId, 1, profile('GBP', 'Europe/Berlin')),
      event('ledger.account.created', userId, card, 1, account('Card', 'GBP', '0')),
      event('ledger.category.created', userId, groceries, 1, category('Groceries', '#188038')),
      event('ledger.category.created', userId, eating, 1, category('Eating out', '#E37400')),
      expense(groceries, '2026-01-10', '40.00'),
      expense(groceries, '2026-02-03', '120.50'),
      expense(groceries, '2026-02-20', '60.25'),
      expense(eating, '2026-02-14', '45.10'),
      expense(eating, '2026-02-27', '30.00'),
      expense(null, '2026-02-10', '15.00'),
      expense(eating, '2026-03-01', '99.99'),
      expense(null, '2026-02-01', '2000.00', 'income'),

      // Groceries: monthly from 1 January with rollover (January spent 40.00 of 200.00).
      budgetChanged(ids.groceries, 1, '2025-12-20T10:00:00Z', { rollover: true }),
      // Eating out: from the 25th (payday), 70.00.
      budgetChanged(ids.eating, 1, '2025-12-20T10:00:00Z', {
        name: 'Eating out',
        categoryId: eating,
        amount: '70.00',
        startDate: '2025-12-25',
      }),
      // Everything: raised after February (March) — February keeps 250.00. Out of order and twice.
      budgetChanged(ids.everything, 2, '2026-03-05T10:00:00Z', {
        name: 'Everything',
        categoryId: null,
        amount: '999.00',
        startDate: '2026-02-01',
      }),
      budgetChanged(ids.everything, 1, '2026-01-15T10:00:00Z', {
        name: 'Everything',
        categoryId: null,
        amount: '250.00',
        startDate: '2026-02-01',
      }),
      budgetChanged(ids.everything, 1, '2026-01-15T10:00:00Z', {
        name: 'Everything',
        categoryId: null,
        amount: '250.00',
        startDate: '2026-02-01',
      }),
      // Deleted during February: gone from its report. Its deletion arrives before its creation.
      at(
        '2026-02-10T10:00:00Z',
        event('budgets.budget.deleted', userId, ids.old, 2, budgetState({ name: 'Old' })),
      ),
      budgetChanged(ids.old, 1, '2026-01-02T10:00:00Z', { name: 'Old' }),

      // Holiday: 300.00 at the start of February, 500.00 at its end (Berlin time), 900.00 just after.
      goalChanged(ids.holiday, 1, '2025-12-01T10:00:00Z', { deadline: '2026-08-31' }),
      goalChanged(ids.holiday, 2, '2026-01-20T10:00:00Z', {
        currentAmount: '300.00',
        deadline: '2026-08-31',
      }),
      goalChanged(ids.holiday, 4, '2026-02-28T22:30:00Z', {
        currentAmount: '500.00',
        deadline: '2026-08-31',
      }),
      goalChanged(ids.holiday, 3, '2026-02-05T10:00:00Z', {
        currentAmount: '450.00',
        deadline: '2026-08-31',
      }),
      goalChanged(ids.holiday, 3, '2026-02-05T10:00:00Z', {
        currentAmount: '450.00',
        deadline: '2026-08-31',
      }),
      goalChanged(ids.holiday, 5, '2026-02-28T23:30:00Z', {
        currentAmount: '900.00',
        deadline: '2026-08-31',
      }),
      // Car: created in February.
      goalChanged(ids.car, 1, '2026-02-10T10:00:00Z', { name: 'Car', targetAmount: '8000.00' }),
      goalChanged(ids.car, 2, '2026-02-12T10:00:00Z', {
        name: 'Car',
        targetAmount: '8000.00',
        currentAmount: '1200.00',
      }),
      // Emergency fund: completed in January, 100.00 withdrawn in February.
      goalChanged(ids.emergency, 1, '2026-01-05T10:00:00Z', {
        name: 'Emergency fund',
        targetAmount: '1000.00',
        currentAmount: '1000.00',
        status: 'completed',
      }),
      goalChanged(ids.emergency, 2, '2026-02-15T10:00:00Z', {
        name: 'Emergency fund',
        targetAmount: '1000.00',
        currentAmount: '900.00',
      }),
      // Deleted in February; created in March: neither is in February's report.
      goalChanged(ids.gone, 1, '2026-01-05T10:00:00Z', { name: 'Gone' }),
      at(
        '2026-02-20T10:00:00Z',
        event('goals.goal.deleted', userId, ids.gone, 2, goalState({ name: 'Gone' })),
      ),
      goalChanged(ids.later, 1, '2026-03-02T10:00:00Z', { name: 'Later' }),
    );
  });

  afterAll(async () => {
    await service?.close();
  });

  it('computes each budget’s limit, spent and status, and each goal’s progress and change, exactly', async () => {
    const data = await loadMonthlyReport(service.dataSource, userId, '2026-02');
    expect(
      data.budgets.map((b) => [
        b.name,
        b.category,
        b.windowStart,
        b.windowEnd,
        b.countedTo,
        b.limitMinor,
        b.carriedOverMinor,
        b.spentMinor,
        b.remainingMinor,
        b.percentUsed,
        b.status,
      ]),
    ).toEqual([
      // Spent from the 25th to the 28th only (the 14th was the window before; March's 99.99 is after).
      [
        'Eating out',
        'Eating out',
        '2026-02-25',
        '2026-03-24',
        '2026-02-28',
        7_000n,
        0n,
        3_000n,
        4_000n,
        '42.86',
        'under',
      ],
      // Every expense of February: 120.50 + 60.25 + 45.10 + 30.00 + 15.00 (uncategorised) = 270.85.
      [
        'Everything',
        null,
        '2026-02-01',
        '2026-02-28',
        '2026-02-28',
        25_000n,
        0n,
        27_085n,
        -2_085n,
        '108.34',
        'over',
      ],
      // 200.00 + 160.00 carried from January; 180.75 spent.
      [
        'Groceries',
        'Groceries',
        '2026-02-01',
        '2026-02-28',
        '2026-02-28',
        20_000n,
        16_000n,
        18_075n,
        17_925n,
        '50.21',
        'under',
      ],
    ]);
    expect(
      data.goals.map((g) => [g.name, g.currentMinor, g.targetMinor, g.percent, g.changeMinor, g.status]),
    ).toEqual([
      ['Car', 120_000n, 800_000n, '15.00', 120_000n, 'active'],
      ['Emergency fund', 90_000n, 100_000n, '90.00', -10_000n, 'active'],
      ['Holiday', 50_000n, 150_000n, '33.33', 20_000n, 'active'],
    ]);
    // January's report: the versions in effect then.
    const january = await loadMonthlyReport(service.dataSource, userId, '2026-01');
    expect(january.budgets.map((b) => [b.name, b.limitMinor, b.spentMinor])).toEqual([
      ['Eating out', 7_000n, 0n],
      ['Groceries', 20_000n, 4_000n],
      ['Old', 20_000n, 4_000n],
    ]);
    expect(january.goals.map((g) => [g.name, g.currentMinor, g.changeMinor, g.status])).toEqual([
      ['Emergency fund', 100_000n, 100_000n, 'completed'],
      ['Gone', 0n, 0n, 'active'],
      ['Holiday', 30_000n, 30_000n, 'active'],
    ]);
  });

  it('prints the budget and goal lines with their exact amounts in the PDF', async () => {
    const data = await loadMonthlyReport(service.dataSource, userId, '2026-02');
    const pdf = await renderMonthlyReport(service.parts.renderer, data, '1 March 2026');
    const text = await pdfText(pdf, 'budgets-goals');
    // SAVE_SAMPLE_PNG=/tmp/sample.png: the page as Chromium draws it, to look at.
    if (process.env.SAVE_SAMPLE_PNG)
      await screenshot(monthlyReportHtml(data, '1 March 2026'), process.env.SAVE_SAMPLE_PNG);
    // Each row as one run of text, cells in order (pdf.js breaks a cell's second line onto its own line).
    const flat = text.replace(/\s+/g, ' ');
    expect(flat).not.toContain('Available when');
    for (const row of [
      'Eating out Eating out 25 Feb – 24 Mar to 28 Feb 70.00 30.00 40.00 42.86 % On track',
      'Everything All expenses 1 Feb – 28 Feb 250.00 270.85 −20.85 108.34 % Over',
      'Groceries Groceries 1 Feb – 28 Feb 360.00 +160.00 carried over 180.75 179.25 50.21 % On track',
      'Car 1,200.00 8,000.00 15.00 % +1,200.00 Active',
      'Emergency fund 900.00 1,000.00 90.00 % −100.00 Active',
      'Holiday by 31 Aug 2026 500.00 1,500.00 33.33 % +200.00 Active',
    ])
      expect(flat).toContain(row);
    expect(flat).not.toContain('Old');
    expect(text).not.toContain('Gone');
    expect(text).not.toContain('Later');
  });

  it('shows a budget set in a base currency the user has left as not judged, its limit in its currency', async () => {
    const data = await loadMonthlyReport(service.dataSource, userId, '2026-02');
    // As after a change of base currency: the report is in the user's current one, the budget is not.
    const flagged = { ...data, budgets: [{ ...data.budgets[0], currency: 'USD' }] };
    const html = monthlyReportHtml(flagged, '1 March 2026');
    expect(html).toContain('70.00 USD');
    expect(html).toContain(`Not in ${data.currency}`);
    expect(html).toContain('status-unavailable');
    expect(html).not.toContain('42.86 %');
    expect(html).not.toContain('40.00');
  });

  it('says so when a month had no budget and no goal', async () => {
    const data = await loadMonthlyReport(service.dataSource, userId, '2025-11');
    expect([data.budgets, data.goals]).toEqual([[], []]);
    const text = await pdfText(
      await renderMonthlyReport(service.parts.renderer, data, '1 March 2026'),
      'no-plans',
    );
    expect(text).toContain('No budget ran this month.');
    expect(text).toContain('No savings goal this month.');
  });

  it('forgets the user’s budgets and goals when the user is deleted', async () => {
    const count = async () =>
      (
        await service.dataSource.query(
          `SELECT (SELECT count(*) FROM report_budget_versions WHERE user_id = $1)::int AS budgets,
                  (SELECT count(*) FROM report_goal_versions WHERE user_id = $1)::int AS goals`,
          [userId],
        )
      )[0];
    const other = randomUUID();
    await apply(service, event('budgets.budget.changed', other, randomUUID(), 1, budgetState({})));
    expect(await count()).toEqual({ budgets: 6, goals: 12 });
    await apply(service, event('auth.user.deleted', userId, userId, 2, {}));
    expect(await count()).toEqual({ budgets: 0, goals: 0 });
    // Another user's are untouched.
    expect(
      (
        await service.dataSource.query(
          `SELECT count(*)::int AS n FROM report_budget_versions WHERE user_id = $1`,
          [other],
        )
      )[0].n,
    ).toBe(1);
  });

  /** The report page as a PNG, drawn by the renderer's own Chromium (A4 width at 96 dpi). */
  async function screenshot(html: string, path: string): Promise<void> {
    const browser: Browser = await (service.parts.renderer as unknown as { browser: Promise<Browser> })
      .browser;
    const page = await browser.newPage();
    try {
      await page.setViewport({ width: 794, height: 1123, deviceScaleFactor: 1.5 });
      await page.emulateMediaType('print');
      await page.setContent(html, { waitUntil: 'load' });
      writeFileSync(path, await page.screenshot({ fullPage: true, type: 'png' }));
    } finally {
      await page.close();
    }
  }
});
