import {
  DATE_DOMAIN,
  calendarDateSchema,
  paginationQuery,
  positiveAmount,
  singleLineText,
} from '@finance/shared';
import { z } from 'zod';
import { budgetPeriods } from '../domain/budget-window';

/** A date the service answers with. Windows computed from accepted dates may end after the domain's last day. */
const calendarDate = z.string().meta({ description: 'Calendar date, YYYY-MM-DD', example: '2026-01-25' });
const money = z
  .string()
  .meta({ description: 'Exact decimal amount in the budget currency', example: '450.00' });

const budgetFields = {
  name: singleLineText({ max: 100 }).meta({
    description: 'One line, no control characters or bidi overrides; defaults to e.g. "Monthly budget"',
  }),
  category_id: z.uuid().nullable().meta({ description: 'A category of yours; null = all expenses' }),
  amount: positiveAmount,
  period: z.enum(budgetPeriods),
  start_date: calendarDateSchema.meta({
    description: `Anchors the windows; defaults to today (your timezone). ${DATE_DOMAIN.min} to ${DATE_DOMAIN.max}`,
    example: '2026-01-25',
  }),
  end_date: calendarDateSchema.nullable().meta({
    description: `Last day (cuts the last window short); null = open-ended. ${DATE_DOMAIN.min} to ${DATE_DOMAIN.max}`,
    example: '2026-12-31',
  }),
  rollover: z
    .boolean()
    .meta({ description: "Carry each window's unspent amount (or overspend) into the next" }),
};

export const createBudgetBody = z.object({
  name: budgetFields.name.optional(),
  category_id: budgetFields.category_id.default(null),
  amount: budgetFields.amount,
  period: budgetFields.period,
  start_date: budgetFields.start_date.optional(),
  end_date: budgetFields.end_date.default(null),
  rollover: budgetFields.rollover.default(false),
});

/** PUT replaces the budget: the same fields as creation, omitted optional ones reset to their defaults. */
export const replaceBudgetBody = createBudgetBody;

/**
 * PATCH is a JSON merge patch (RFC 7396): an absent field keeps its value, `null` clears a
 * nullable one (category_id → all expenses, end_date → open-ended); null for any other field is a 400.
 */
export const patchBudgetBody = z.object({
  name: budgetFields.name.optional(),
  category_id: budgetFields.category_id.optional(),
  amount: budgetFields.amount.optional(),
  period: budgetFields.period.optional(),
  start_date: budgetFields.start_date.optional(),
  end_date: budgetFields.end_date.optional(),
  rollover: budgetFields.rollover.optional(),
});

export const budgetIdParams = z.object({ id: z.uuid() });

export const listBudgetsQuery = z.object({
  ...paginationQuery,
  period: z.enum(budgetPeriods).optional(),
  category_id: z.uuid().optional(),
  active: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional()
    .meta({ description: 'Only budgets active today (true) or not (false)' }),
});

export const budgetSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  category_id: z.uuid().nullable(),
  amount: money,
  currency: z
    .string()
    .meta({ description: 'The currency of amount: your base currency when it was last set' }),
  in_base_currency: z.boolean().meta({
    description:
      'false once you changed base currency after the amount was set: its spending is not judged (figures null, ' +
      'status unavailable, no alerts) until you set the amount again, in base_currency',
  }),
  base_currency: z.string().meta({ description: 'Your current base currency' }),
  period: z.enum(budgetPeriods),
  start_date: calendarDate,
  end_date: calendarDate.nullable(),
  rollover: z.boolean(),
  created_at: z.string(),
  updated_at: z.string(),
  version: z.number().int(),
});

/** Null for a budget no longer in your base currency (in_base_currency false). */
const judgedMoney = money.nullable();

const windowFiguresSchema = z.object({
  window_start: calendarDate,
  window_end: calendarDate,
  limit: money.meta({ description: 'The budget amount for one window' }),
  carried_over: judgedMoney.meta({
    description: 'Rolled over from earlier windows (negative after overspending)',
  }),
  spent: judgedMoney,
  remaining: judgedMoney.meta({ description: 'limit + carried_over − spent; negative when over' }),
  percent_used: z
    .string()
    .nullable()
    .meta({ description: 'spent / (limit + carried_over), 2 decimals; null when nothing is available' }),
  status: z.enum(['under', 'near', 'over', 'unavailable']).meta({
    description: 'near ≥ 80 %, over > 100 %; unavailable when the budget is not in your base currency',
  }),
  complete: z.boolean().meta({
    description:
      'false when some expenses could not be counted (uncounted_expenses) or the budget is not in your base currency',
  }),
  uncounted_expenses: z.number().int().meta({
    description:
      'Expenses of the window (and, with rollover, of the windows its carry comes from) recorded in another base currency: the ledger is re-booking them after a base-currency change, or has no rate for them',
  }),
});

export const currentWindowSchema = windowFiguresSchema.extend({
  days_left: z.number().int().meta({ description: "Days to the window's end, today included" }),
  daily_allowance: judgedMoney.meta({ description: 'remaining / days_left, rounded down' }),
  projected_spend: judgedMoney.meta({ description: 'Linear projection of spent at the current pace' }),
});

export const budgetDetailSchema = budgetSchema.merge(currentWindowSchema).extend({
  problem: z.string().nullable().meta({
    description: 'Why the figures are missing or incomplete (a base-currency change), else null',
  }),
  history: z.array(windowFiguresSchema).meta({ description: 'Up to 6 earlier windows, oldest first' }),
});

export const budgetStatusSchema = z.object({
  as_of: calendarDate.meta({ description: 'Today in your timezone' }),
  base_currency: z.string().meta({ description: 'Your current base currency' }),
  budgets: z.array(
    currentWindowSchema.extend({
      budget_id: z.uuid(),
      name: z.string(),
      category_id: z.uuid().nullable(),
      period: z.enum(budgetPeriods),
      currency: z.string(),
      in_base_currency: z.boolean(),
    }),
  ),
  summary: z.object({
    over: z.number().int(),
    near: z.number().int(),
    under: z.number().int(),
    unavailable: z.number().int().meta({ description: 'Budgets not in your base currency (not judged)' }),
    total: z.number().int(),
  }),
});
