import {
  ApiRouter,
  HttpProblem,
  MoneyError,
  badRequest,
  compareDates,
  decodeCursor,
  formatMinorUnits,
  notFound,
  pageSchema,
  toPage,
  toMinorUnits,
  unprocessable,
  cursorTimestamp,
  localDate,
} from '@finance/shared';
import type { RequestHandler } from 'express';
import type { DataSource, EntityManager } from 'typeorm';
import { z } from 'zod';
import type { CurrentWindowFigures, WindowFigures } from '../domain/budget-analysis';
import { referenceWindow, type BudgetPeriod } from '../domain/budget-window';
import {
  activeBudgets,
  categoryStanding,
  deleteBudget,
  findBudget,
  findBudgetAndTimezone,
  findUserSettings,
  insertBudget,
  listBudgets,
  updateBudget,
  type BudgetFields,
  type BudgetRecord,
} from '../data/budget-store';
import { analyseBudgets, scheduleOf } from '../data/spending-analysis';
import {
  budgetDetailSchema,
  budgetIdParams,
  budgetSchema,
  budgetStatusSchema,
  createBudgetBody,
  listBudgetsQuery,
  patchBudgetBody,
  replaceBudgetBody,
} from './schemas';

export interface BudgetsRouterDeps {
  dataSource: DataSource;
  authenticate: RequestHandler;
  /** The current instant; tests pin it. */
  now?: () => Date;
}

const HISTORY_WINDOWS = 6;
/** When the user's settings have not arrived from auth yet, "today" is taken in UTC. */
const FALLBACK_TIMEZONE = 'UTC';
const cursorSchema = z.object({ c: cursorTimestamp, id: z.uuid() });

export function presentBudget(b: BudgetRecord): z.output<typeof budgetSchema> {
  return {
    id: b.id,
    name: b.name,
    category_id: b.categoryId,
    amount: formatMinorUnits(b.amountMinor, b.currency),
    currency: b.currency,
    period: b.period,
    start_date: b.startDate,
    end_date: b.endDate,
    rollover: b.rollover,
    created_at: b.createdAt.toISOString(),
    updated_at: b.updatedAt.toISOString(),
    version: b.version,
  };
}

function presentWindow(f: WindowFigures, currency: string) {
  const money = (v: bigint) => formatMinorUnits(v, currency);
  return {
    window_start: f.window.start,
    window_end: f.window.end,
    limit: money(f.limit),
    carried_over: money(f.carriedOver),
    spent: money(f.spent),
    remaining: money(f.remaining),
    percent_used: f.percentUsed,
    status: f.status,
  };
}

function presentCurrent(f: CurrentWindowFigures, currency: string) {
  return {
    ...presentWindow(f, currency),
    days_left: f.daysLeft,
    daily_allowance: formatMinorUnits(f.dailyAllowance, currency),
    projected_spend: formatMinorUnits(f.projectedSpend, currency),
  };
}

function defaultName(period: BudgetPeriod): string {
  return `${period[0].toUpperCase()}${period.slice(1)} budget`;
}

export function budgetsRouter(deps: BudgetsRouterDeps): ApiRouter {
  const api = new ApiRouter({ authenticate: deps.authenticate });
  const db = deps.dataSource;
  const now = deps.now ?? (() => new Date());

  async function todayFor(manager: EntityManager, userId: string): Promise<string> {
    const settings = await findUserSettings(manager, userId);
    return localDate(now(), settings?.timezone ?? FALLBACK_TIMEZONE);
  }

  function amountIn(amount: string, currency: string): bigint {
    try {
      const minor = toMinorUnits(amount, currency);
      // With 4 minor digits (CLF) 15 integer digits pass PostgreSQL's bigint: a 400, not a failed INSERT.
      if (minor > 9_223_372_036_854_775_807n) {
        throw badRequest('The amount is too large', [
          { field: 'body.amount', message: `Too large for ${currency}` },
        ]);
      }
      return minor;
    } catch (error) {
      if (error instanceof MoneyError)
        throw badRequest(error.message, [{ field: 'body.amount', message: error.message }]);
      throw error;
    }
  }

  /** A budget's category must be one of the caller's own, live categories, as the ledger told us. */
  async function checkCategory(
    manager: EntityManager,
    userId: string,
    categoryId: string | null,
  ): Promise<void> {
    if (categoryId === null) return;
    const standing = await categoryStanding(manager, userId, categoryId);
    if (standing === 'unknown')
      throw new HttpProblem(404, 'Category not found', {
        errors: [{ field: 'body.category_id', message: 'No such category of yours' }],
      });
    if (standing === 'deleted')
      throw unprocessable('The category was deleted', [
        { field: 'body.category_id', message: 'This category was deleted' },
      ]);
  }

  function checkDates(fields: Pick<BudgetFields, 'startDate' | 'endDate'>): void {
    if (fields.endDate !== null && compareDates(fields.endDate, fields.startDate) < 0)
      throw badRequest('end_date must not be before start_date', [
        { field: 'body.end_date', message: 'Must be on or after start_date' },
      ]);
  }

  api.post(
    '/budgets',
    {
      summary: 'Create a budget',
      description:
        'The amount is in your base currency (fixed at creation). Windows are anchored on start_date: ' +
        'a monthly budget from the 25th runs 25th → 24th; anchors past a month end clamp to its last day.',
      tags: ['budgets'],
      body: createBudgetBody,
      responses: {
        201: { description: 'The budget', schema: budgetSchema },
        404: { description: 'category_id is not one of your categories' },
        409: { description: 'Your account settings have not reached this service yet; retry' },
        422: { description: 'category_id was deleted' },
      },
    },
    async ({ body, user }) => {
      return db.transaction(async (manager) => {
        const settings = await findUserSettings(manager, user.id);
        if (!settings)
          throw new HttpProblem(
            409,
            'Your account settings have not reached the budgets service yet; retry shortly',
            {
              headers: { 'Retry-After': '1' },
            },
          );
        const fields: BudgetFields = {
          name: body.name ?? defaultName(body.period),
          categoryId: body.category_id,
          amountMinor: amountIn(body.amount, settings.baseCurrency),
          period: body.period,
          startDate: body.start_date ?? localDate(now(), settings.timezone),
          endDate: body.end_date,
          rollover: body.rollover,
        };
        checkDates(fields);
        await checkCategory(manager, user.id, fields.categoryId);
        return presentBudget(await insertBudget(manager, user.id, settings.baseCurrency, fields));
      });
    },
  );

  api.get(
    '/budgets',
    {
      summary: 'List your budgets',
      tags: ['budgets'],
      query: listBudgetsQuery,
      responses: {
        200: { description: 'A page of budgets, oldest first', schema: pageSchema(budgetSchema) },
      },
    },
    async ({ query, user }) => {
      const manager = db.manager;
      const after = query.cursor ? decodeCursor(query.cursor, cursorSchema) : undefined;
      const rows = await listBudgets(manager, user.id, {
        period: query.period,
        categoryId: query.category_id,
        active:
          query.active === undefined
            ? undefined
            : { on: await todayFor(manager, user.id), value: query.active },
        after: after ? { createdAt: after.c, id: after.id } : undefined,
        limit: query.limit,
      });
      return toPage(rows, query.limit, (b) => ({ c: b.createdAt.toISOString(), id: b.id }), presentBudget);
    },
  );

  api.get(
    '/budgets/:id',
    {
      summary: 'A budget with its current window: spent, remaining, status, projection and history',
      description:
        'Answers "am I over budget this period, by how much, and where will I end at this pace?". ' +
        'Before start_date the first window is shown; after end_date the last one.',
      tags: ['budgets'],
      params: budgetIdParams,
      responses: {
        200: { description: 'The budget and its current window', schema: budgetDetailSchema },
        404: { description: 'No such budget of yours' },
      },
    },
    async ({ params, user }) => {
      const manager = db.manager;
      const found = await findBudgetAndTimezone(manager, user.id, params.id);
      if (!found) throw notFound('Budget');
      const { budget } = found;
      const today = localDate(now(), found.timezone ?? FALLBACK_TIMEZONE);
      const window = referenceWindow(scheduleOf(budget), today);
      const [analysis] = await analyseBudgets(
        manager,
        user.id,
        [{ budget, window, historyCount: HISTORY_WINDOWS }],
        today,
      );
      return {
        ...presentBudget(budget),
        ...presentCurrent(analysis.current, budget.currency),
        history: analysis.history.map((h) => presentWindow(h, budget.currency)),
      };
    },
  );

  async function replace(userId: string, id: string, merge: (existing: BudgetRecord) => BudgetFields) {
    return db.transaction(async (manager) => {
      const existing = await findBudget(manager, userId, id);
      if (!existing) throw notFound('Budget');
      const fields = merge(existing);
      checkDates(fields);
      if (fields.categoryId !== existing.categoryId) await checkCategory(manager, userId, fields.categoryId);
      const updated = await updateBudget(manager, userId, id, fields);
      if (!updated) throw notFound('Budget');
      return presentBudget(updated);
    });
  }

  api.put(
    '/budgets/:id',
    {
      summary: 'Replace a budget',
      description:
        'Omitted optional fields reset to their defaults (name, category_id, end_date, rollover); an omitted ' +
        'start_date keeps its value; the currency stays the one set at creation.',
      tags: ['budgets'],
      params: budgetIdParams,
      body: replaceBudgetBody,
      responses: {
        200: { description: 'The budget', schema: budgetSchema },
        404: { description: 'No such budget or category of yours' },
        422: { description: 'category_id was deleted' },
      },
    },
    async ({ params, body, user }) =>
      replace(user.id, params.id, (existing) => ({
        name: body.name ?? defaultName(body.period),
        categoryId: body.category_id,
        amountMinor: amountIn(body.amount, existing.currency),
        period: body.period,
        startDate: body.start_date ?? existing.startDate,
        endDate: body.end_date,
        rollover: body.rollover,
      })),
  );

  api.patch(
    '/budgets/:id',
    {
      summary: 'Change some fields of a budget',
      tags: ['budgets'],
      params: budgetIdParams,
      body: patchBudgetBody,
      responses: {
        200: { description: 'The budget', schema: budgetSchema },
        404: { description: 'No such budget or category of yours' },
        422: { description: 'category_id was deleted' },
      },
    },
    async ({ params, body, user }) =>
      replace(user.id, params.id, (existing) => ({
        name: body.name ?? existing.name,
        categoryId: body.category_id === undefined ? existing.categoryId : body.category_id,
        amountMinor:
          body.amount === undefined ? existing.amountMinor : amountIn(body.amount, existing.currency),
        period: body.period ?? existing.period,
        startDate: body.start_date ?? existing.startDate,
        endDate: body.end_date === undefined ? existing.endDate : body.end_date,
        rollover: body.rollover ?? existing.rollover,
      })),
  );

  api.delete(
    '/budgets/:id',
    {
      summary: 'Delete a budget',
      tags: ['budgets'],
      params: budgetIdParams,
      responses: { 204: { description: 'Deleted' }, 404: { description: 'No such budget of yours' } },
    },
    async ({ params, user }) => {
      if (!(await deleteBudget(db.manager, user.id, params.id))) throw notFound('Budget');
      return undefined;
    },
  );

  api.get(
    '/analytics/budget-status',
    {
      summary: "Every active budget's current window, with a summary of how many are over, near or under",
      tags: ['budgets', 'analytics'],
      responses: { 200: { description: 'Budget status', schema: budgetStatusSchema } },
    },
    async ({ user }) => {
      const manager = db.manager;
      const today = await todayFor(manager, user.id);
      const budgets = await activeBudgets(manager, user.id, today);
      const analyses = await analyseBudgets(
        manager,
        user.id,
        budgets.map((budget) => ({
          budget,
          window: referenceWindow(scheduleOf(budget), today),
          historyCount: 0,
        })),
        today,
      );
      const items = analyses.map(({ budget, current }) => ({
        budget_id: budget.id,
        name: budget.name,
        category_id: budget.categoryId,
        period: budget.period,
        currency: budget.currency,
        ...presentCurrent(current, budget.currency),
      }));
      const count = (status: string) => items.filter((i) => i.status === status).length;
      return {
        as_of: today,
        budgets: items,
        summary: { over: count('over'), near: count('near'), under: count('under'), total: items.length },
      };
    },
  );

  return api;
}
