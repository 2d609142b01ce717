import {
  ApiRouter,
  HttpProblem,
  badRequest,
  checkIfMatch,
  compareDates,
  conflict,
  etagHeader,
  formatMinorUnits,
  ifMatchHeader,
  localDate,
  notFound,
  pageSchema,
  setETag,
  toPage,
  unprocessable,
  userSettingsOf,
  awaitUserKnown,
  lockUserForWrite,
  type ReadYourWrites,
  type ServiceContext,
  storableAmount,
  creationCursorOf,
  creationPosition,
} from '@finance/shared';
import type { Request, Response } from 'express';
import type { DataSource } from 'typeorm';
import { z } from 'zod';
import type { CurrentWindowFigures } from '../domain/budget-analysis';
import { referenceWindow, type BudgetPeriod } from '../domain/budget-window';
import { DEFAULT_MAX_BUDGETS_PER_USER, type BudgetsConfig } from '../config';
import {
  activeBudgets,
  countBudgetsForCreation,
  deleteBudget,
  findBudget,
  insertBudget,
  listBudgets,
  updateBudget,
  type BudgetFields,
  type BudgetRecord,
} from '../data/budget-store';
import { findCategoryStanding, type CategoryStanding } from '../data/known-categories';
import { analyseBudgets, scheduleOf, type CountedFigures } from '../data/spending-analysis';
import { publishBudgetChanged, publishBudgetDeleted } from '../events/budget-state';
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

const HISTORY_WINDOWS = 6;
const tags = ['budgets'];

/** Where a budget stands against the user's current base currency (see README, "After a base-currency change"). */
interface CurrencyStanding {
  baseCurrency: string;
  inBaseCurrency: boolean;
}

function standingOf(budget: BudgetRecord, baseCurrency: string): CurrencyStanding {
  return { baseCurrency, inBaseCurrency: budget.currency === baseCurrency };
}

export function presentBudget(b: BudgetRecord, standing: CurrencyStanding): z.output<typeof budgetSchema> {
  return {
    id: b.id,
    name: b.name,
    category_id: b.categoryId,
    amount: formatMinorUnits(b.amountMinor, b.currency),
    currency: b.currency,
    in_base_currency: standing.inBaseCurrency,
    base_currency: standing.baseCurrency,
    period: b.period,
    start_date: b.startDate,
    end_date: b.endDate,
    rollover: b.rollover,
    created_at: b.createdAt.toISOString(),
    updated_at: b.updatedAt.toISOString(),
    version: b.version,
  };
}

/**
 * A window's figures. A budget no longer in the base currency has none (its amount is in a
 * currency the spending is no longer recorded in): spent and what derives from it are null and
 * the status `unavailable`, until its amount is set again in the base currency.
 */
/** Money figures judged on spending: null for a budget not in the base currency. */
function judgedMoney(currency: string, standing: CurrencyStanding) {
  return (v: bigint) => (standing.inBaseCurrency ? formatMinorUnits(v, currency) : null);
}

function presentWindow(f: CountedFigures, currency: string, standing: CurrencyStanding) {
  const money = judgedMoney(currency, standing);
  return {
    window_start: f.window.start,
    window_end: f.window.end,
    limit: formatMinorUnits(f.limit, currency),
    carried_over: money(f.carriedOver),
    spent: money(f.spent),
    remaining: money(f.remaining),
    percent_used: standing.inBaseCurrency ? f.percentUsed : null,
    status: standing.inBaseCurrency ? f.status : ('unavailable' as const),
    complete: standing.inBaseCurrency && f.uncounted === 0,
    uncounted_expenses: f.uncounted,
  };
}

function presentCurrent(
  f: CountedFigures<CurrentWindowFigures>,
  currency: string,
  standing: CurrencyStanding,
) {
  const money = judgedMoney(currency, standing);
  return {
    ...presentWindow(f, currency, standing),
    days_left: f.daysLeft,
    daily_allowance: money(f.dailyAllowance),
    projected_spend: money(f.projectedSpend),
  };
}

/** What a client is told when a budget's figures are missing or incomplete, else null. */
function currencyProblem(budget: BudgetRecord, standing: CurrencyStanding, uncounted: number): string | null {
  if (!standing.inBaseCurrency)
    return (
      `This budget's amount is in ${budget.currency} and your base currency is now ${standing.baseCurrency}: ` +
      `its spending is not judged until you set its amount again (PUT, or PATCH amount), in ${standing.baseCurrency}`
    );
  if (uncounted > 0)
    return (
      `${uncounted} expense(s) of this window are recorded in another base currency (being re-booked after ` +
      `a base-currency change, or without an exchange rate) and are not counted; no alert is sent meanwhile`
    );
  return null;
}

function defaultName(period: BudgetPeriod): string {
  return `${period[0].toUpperCase()}${period.slice(1)} budget`;
}

function sameFields(budget: BudgetRecord, fields: BudgetFields): boolean {
  return (Object.keys(fields) as Array<keyof BudgetFields>).every((key) => budget[key] === fields[key]);
}

function checkDates(fields: Pick<BudgetFields, 'startDate' | 'endDate'>): void {
  if (fields.endDate !== null && compareDates(fields.endDate, fields.startDate) < 0)
    throw badRequest('end_date must not be before start_date', [
      { field: 'body.end_date', message: 'Must be on or after start_date' },
    ]);
}

type CategoryField = 'body.category_id' | 'query.category_id';

/**
 * The standing of a category id the client sent, waiting (bounded, see `ReadYourWrites`) when it
 * is unknown but was created a moment ago in the ledger, its event still on the way. Writes call
 * it before their transaction, so a request waiting for an event holds no lock (a user's deletion
 * is never held up by it); an old, made-up or another user's (known) id answers at once.
 */
async function awaitCategory(
  readYourWrites: ReadYourWrites,
  db: DataSource,
  userId: string,
  categoryId: string,
): Promise<CategoryStanding> {
  const standing = await readYourWrites.find(categoryId, async () => {
    const found = await findCategoryStanding(db.manager, userId, categoryId);
    return found === 'unknown' ? undefined : found;
  });
  return standing ?? 'unknown';
}

/**
 * A category id the client sent (in the body or a filter) must be one of the caller's own, live
 * categories as the ledger told us: unknown or another user's → 404 naming the field (another
 * user's category is not revealed); deleted → 422 in a body (it was yours), 404 in a filter.
 */
function requireOwnCategory(standing: CategoryStanding, field: CategoryField): void {
  if (standing === 'own') return;
  if (standing === 'deleted' && field === 'body.category_id')
    throw unprocessable('The category was deleted', [{ field, message: 'This category was deleted' }]);
  throw new HttpProblem(404, 'Category not found', {
    errors: [{ field, message: 'No such category of yours' }],
  });
}

export function budgetsRouter(context: ServiceContext<BudgetsConfig>): ApiRouter {
  const api = new ApiRouter({ authenticate: context.authenticate });
  const db = context.dataSource;
  const now = context.clock;
  const maxBudgets = context.config.MAX_BUDGETS_PER_USER;
  const { readYourWrites } = context;

  /**
   * The user's base currency and today in their time zone (waiting, bounded, for the settings of
   * a user who registered a moment ago).
   */
  async function settingsFor(userId: string): Promise<{ baseCurrency: string; today: string }> {
    await awaitUserKnown(readYourWrites, db, userId);
    const settings = await userSettingsOf(db, userId);
    return { baseCurrency: settings.baseCurrency, today: localDate(now(), settings.timezone) };
  }

  api.post(
    '/budgets',
    {
      summary: 'Create a budget',
      description:
        'The amount is in your base currency (fixed at creation). Windows are anchored on start_date: ' +
        'a monthly budget from the 25th runs 25th → 24th; anchors past a month end clamp to its last day.',
      tags,
      body: createBudgetBody,
      responses: {
        201: {
          description: 'The budget',
          schema: budgetSchema,
          headers: { ...etagHeader, Location: { description: 'The budget’s URL, /budgets/{id}' } },
        },
        404: { description: 'category_id is not one of your categories' },
        409: {
          description: `You hold the most budgets one user may (MAX_BUDGETS_PER_USER, default ${DEFAULT_MAX_BUDGETS_PER_USER})`,
        },
        422: { description: 'category_id was deleted' },
      },
    },
    async ({ body, user }, _req, res) => {
      // Before any lock: the base currency of a user who registered a moment ago, and a category
      // created a moment ago, may still be on their way here.
      await Promise.all([
        awaitUserKnown(readYourWrites, db, user.id),
        body.category_id === null ? undefined : awaitCategory(readYourWrites, db, user.id, body.category_id),
      ]);
      const { created, baseCurrency } = await db.transaction(async (manager) => {
        // Locks the user against a racing deletion (and answers 401 for a deleted one).
        const settings = await lockUserForWrite(manager, user.id);
        const fields: BudgetFields = {
          name: body.name ?? defaultName(body.period),
          categoryId: body.category_id,
          amountMinor: storableAmount(body.amount, settings.baseCurrency, 'body.amount'),
          currency: settings.baseCurrency,
          period: body.period,
          startDate: body.start_date ?? localDate(now(), settings.timezone),
          endDate: body.end_date,
          rollover: body.rollover,
        };
        checkDates(fields);
        if (fields.categoryId !== null)
          requireOwnCategory(
            await findCategoryStanding(manager, user.id, fields.categoryId),
            'body.category_id',
          );
        if ((await countBudgetsForCreation(manager, user.id)) >= maxBudgets)
          throw conflict(`You already hold ${maxBudgets} budgets, the most one user may; delete one first`);
        const budget = await insertBudget(manager, user.id, fields, now());
        await publishBudgetChanged(manager, budget, budget.updatedAt);
        return { created: budget, baseCurrency: settings.baseCurrency };
      });
      setETag(res, created.version);
      res.location(`/budgets/${created.id}`);
      return presentBudget(created, standingOf(created, baseCurrency));
    },
  );

  api.get(
    '/budgets',
    {
      summary: 'List your budgets',
      tags,
      query: listBudgetsQuery,
      responses: {
        200: { description: 'A page of budgets, oldest first', schema: pageSchema(budgetSchema) },
        404: { description: 'category_id is not one of your categories' },
      },
    },
    async ({ query, user }) => {
      const manager = db.manager;
      if (query.category_id)
        requireOwnCategory(
          await awaitCategory(readYourWrites, db, user.id, query.category_id),
          'query.category_id',
        );
      const after = creationCursorOf(query.cursor);
      const { baseCurrency, today } = await settingsFor(user.id);
      const rows = await listBudgets(manager, user.id, {
        period: query.period,
        categoryId: query.category_id,
        active: query.active === undefined ? undefined : { on: today, value: query.active },
        after,
        limit: query.limit,
      });
      return toPage(rows, query.limit, creationPosition, (b) =>
        presentBudget(b, standingOf(b, baseCurrency)),
      );
    },
  );

  api.get(
    '/budgets/:id',
    {
      summary: 'A budget with its current window: spent, remaining, status, projection and history',
      description:
        'Answers "am I over budget this period, by how much, and where will I end at this pace?". ' +
        'Before start_date the first window is shown; after end_date the last one.',
      tags,
      params: budgetIdParams,
      responses: {
        200: {
          description: 'The budget and its current window',
          schema: budgetDetailSchema,
          headers: etagHeader,
        },
        404: { description: 'No such budget of yours' },
      },
    },
    async ({ params, user }, _req, res) => {
      const manager = db.manager;
      const budget = await findBudget(manager, user.id, params.id);
      if (!budget) throw notFound('Budget');
      const { baseCurrency, today } = await settingsFor(user.id);
      const standing = standingOf(budget, baseCurrency);
      const window = referenceWindow(scheduleOf(budget), today);
      const [analysis] = await analyseBudgets(
        manager,
        user.id,
        [{ budget, window, historyCount: HISTORY_WINDOWS }],
        today,
      );
      setETag(res, budget.version);
      return {
        ...presentBudget(budget, standing),
        ...presentCurrent(analysis.current, budget.currency, standing),
        problem: currencyProblem(budget, standing, analysis.current.uncounted),
        history: analysis.history.map((h) => presentWindow(h, budget.currency, standing)),
      };
    },
  );

  /**
   * Changes a budget under its row lock: 404 unless it is the caller's, 412 when If-Match is
   * stale (so of two concurrent writers with the same ETag exactly one wins), then the new fields
   * as the next version. Unchanged fields write nothing and keep the version. `sentCategoryId` is
   * the body's category_id, waited for (bounded) before any lock when it was created a moment ago.
   */
  async function change(
    req: Request,
    res: Response,
    userId: string,
    id: string,
    sentCategoryId: string | null | undefined,
    merge: (existing: BudgetRecord, baseCurrency: string) => BudgetFields,
  ) {
    if (typeof sentCategoryId === 'string') await awaitCategory(readYourWrites, db, userId, sentCategoryId);
    const { budget, baseCurrency } = await db.transaction(async (manager) => {
      const settings = await lockUserForWrite(manager, userId);
      const existing = await findBudget(manager, userId, id, { lock: true });
      if (!existing) throw notFound('Budget');
      checkIfMatch(req, existing.version);
      const fields = merge(existing, settings.baseCurrency);
      if (sameFields(existing, fields)) return { budget: existing, baseCurrency: settings.baseCurrency };
      checkDates(fields);
      if (fields.categoryId !== null && fields.categoryId !== existing.categoryId)
        requireOwnCategory(
          await findCategoryStanding(manager, userId, fields.categoryId),
          'body.category_id',
        );
      const updated = await updateBudget(manager, existing, fields, now());
      await publishBudgetChanged(manager, updated, updated.updatedAt);
      return { budget: updated, baseCurrency: settings.baseCurrency };
    });
    setETag(res, budget.version);
    return presentBudget(budget, standingOf(budget, baseCurrency));
  }

  const changeResponses = {
    200: { description: 'The budget', schema: budgetSchema, headers: etagHeader },
    404: { description: 'No such budget or category of yours' },
    412: { description: 'Stale If-Match: the budget changed since you read it' },
    422: { description: 'category_id was deleted' },
  };

  api.put(
    '/budgets/:id',
    {
      summary: 'Replace a budget',
      description:
        'Omitted optional fields reset to their defaults (name, category_id, end_date, rollover); an omitted ' +
        'start_date keeps its value. The amount is in your base currency: a budget set in a base currency you ' +
        'have since left is re-denominated in the current one.',
      tags,
      params: budgetIdParams,
      body: replaceBudgetBody,
      headers: ifMatchHeader,
      responses: changeResponses,
    },
    async ({ params, body, user }, req, res) =>
      change(req, res, user.id, params.id, body.category_id, (existing, baseCurrency) => ({
        name: body.name ?? defaultName(body.period),
        categoryId: body.category_id,
        amountMinor: storableAmount(body.amount, baseCurrency, 'body.amount'),
        currency: baseCurrency,
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
      description:
        'JSON merge patch: only the given fields change; `null` clears category_id (all expenses) or ' +
        'end_date (open-ended); null for another field is a 400. An empty patch changes nothing. An amount ' +
        'is in your base currency (re-denominating a budget set in a base currency you have since left).',
      tags,
      params: budgetIdParams,
      body: patchBudgetBody,
      headers: ifMatchHeader,
      responses: changeResponses,
    },
    async ({ params, body, user }, req, res) =>
      change(req, res, user.id, params.id, body.category_id, (existing, baseCurrency) => ({
        name: body.name ?? existing.name,
        categoryId: body.category_id === undefined ? existing.categoryId : body.category_id,
        amountMinor:
          body.amount === undefined
            ? existing.amountMinor
            : storableAmount(body.amount, baseCurrency, 'body.amount'),
        currency: body.amount === undefined ? existing.currency : baseCurrency,
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
      tags,
      params: budgetIdParams,
      headers: ifMatchHeader,
      responses: {
        204: { description: 'Deleted' },
        404: { description: 'No such budget of yours' },
        412: { description: 'Stale If-Match: the budget changed since you read it' },
      },
    },
    async ({ params, user }, req) => {
      await db.transaction(async (manager) => {
        // Locks the user against a racing deletion (and answers 401 for a deleted one).
        await lockUserForWrite(manager, user.id);
        const budget = await findBudget(manager, user.id, params.id, { lock: true });
        if (!budget) throw notFound('Budget');
        checkIfMatch(req, budget.version);
        await deleteBudget(manager, budget);
        await publishBudgetDeleted(manager, budget, now());
      });
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
      const { baseCurrency, today } = await settingsFor(user.id);
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
        in_base_currency: budget.currency === baseCurrency,
        ...presentCurrent(current, budget.currency, standingOf(budget, baseCurrency)),
      }));
      const count = (status: string) => items.filter((i) => i.status === status).length;
      return {
        as_of: today,
        base_currency: baseCurrency,
        budgets: items,
        summary: {
          over: count('over'),
          near: count('near'),
          under: count('under'),
          unavailable: count('unavailable'),
          total: items.length,
        },
      };
    },
  );

  return api;
}
