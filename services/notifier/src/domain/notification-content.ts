import type { EventPayload } from '@finance/shared';
import type { EventKind, NotifyingEventType } from './kinds';
import { kindOfEvent } from './kinds';
import { formatMoney } from './money-format';

/**
 * What a person is told about an event: one pure function per kind, used alike for the in-app
 * notification, the e-mail (its templates get `details`) and the webhook's `data`.
 */
export interface NotificationContent {
  kind: EventKind;
  /** One line: the in-app title and the e-mail subject. */
  title: string;
  /** A sentence or two of plain text. */
  body: string;
  /** Ids to link to (budget, category, goal, recurring template, transaction, import, report). */
  data: Record<string, string | null>;
  /** Values for the e-mail templates, money already formatted in its currency. */
  details: Record<string, string | number | null>;
}

/** Longest piece of user text (a budget's name, a file name) quoted in a title. */
const MAX_QUOTED = 80;

function quoted(text: string | null): string {
  const value = text ?? '';
  return value.length > MAX_QUOTED ? `${value.slice(0, MAX_QUOTED - 1)}…` : value;
}

/** "2026-01" → "January 2026". */
export function monthName(month: string): string {
  const [year, monthNumber] = month.split('-').map(Number);
  const name = new Intl.DateTimeFormat('en-US', { month: 'long', timeZone: 'UTC' }).format(
    new Date(Date.UTC(2000, monthNumber - 1, 15)),
  );
  return `${name} ${year}`;
}

type Describe<T extends NotifyingEventType> = (payload: EventPayload<T>) => Omit<NotificationContent, 'kind'>;

const describers: { [T in NotifyingEventType]: Describe<T> } = {
  'budgets.budget.threshold-reached': (p) => {
    const money = (v: string) => formatMoney(v, p.currency);
    return {
      title: `Budget “${quoted(p.name)}” is at ${p.percentUsed}%`,
      body: `You have spent ${money(p.spent)} of ${money(p.limit)} (${p.percentUsed}%) between ${p.windowStart} and ${p.windowEnd}.`,
      data: { budget_id: p.budgetId, category_id: p.categoryId },
      details: budgetDetails(p, money),
    };
  },
  'budgets.budget.exceeded': (p) => {
    const money = (v: string) => formatMoney(v, p.currency);
    return {
      title: `Budget “${quoted(p.name)}” exceeded`,
      body: `You have spent ${money(p.spent)} of ${money(p.limit)} (${p.percentUsed}%) between ${p.windowStart} and ${p.windowEnd}.`,
      data: { budget_id: p.budgetId, category_id: p.categoryId },
      details: budgetDetails(p, money),
    };
  },
  'budgets.budget.removed': (p) => ({
    title: `Budget “${quoted(p.name)}” was removed`,
    body: `The budget “${quoted(p.name)}” was removed because its category was deleted.`,
    data: { budget_id: p.budgetId, category_id: p.categoryId },
    details: { name: p.name },
  }),
  'goals.goal.milestone-reached': (p) => {
    const money = (v: string) => formatMoney(v, p.currency);
    return {
      title: `Goal “${quoted(p.name)}” is ${p.milestone}% there`,
      body: `You have saved ${money(p.currentAmount)} of ${money(p.targetAmount)}.`,
      data: { goal_id: p.goalId },
      details: {
        name: p.name,
        milestone: p.milestone,
        current: money(p.currentAmount),
        target: money(p.targetAmount),
      },
    };
  },
  'goals.goal.completed': (p) => {
    const money = (v: string) => formatMoney(v, p.currency);
    return {
      title: `Goal “${quoted(p.name)}” reached`,
      body: `You have saved ${money(p.currentAmount)}: the whole target of ${money(p.targetAmount)}.`,
      data: { goal_id: p.goalId },
      details: { name: p.name, current: money(p.currentAmount), target: money(p.targetAmount) },
    };
  },
  'ledger.recurring.upcoming': (p) => {
    const amount = formatMoney(p.amount, p.currency);
    const what = p.description === '' ? `A recurring ${p.type}` : `“${quoted(p.description)}”`;
    return {
      title: `Coming up on ${p.dueDate}: ${p.description === '' ? `recurring ${p.type}` : quoted(p.description)}`,
      body: `${what} of ${amount} is due on ${p.dueDate}.`,
      data: { recurring_id: p.recurringId },
      details: { description: p.description, amount, type: p.type, due_date: p.dueDate },
    };
  },
  'ledger.recurring.generated': (p) => {
    const amount = formatMoney(p.amount, p.currency);
    return {
      title: `Recurring transaction of ${amount} recorded`,
      body: `A recurring transaction of ${amount} was recorded on ${p.date}.`,
      data: { recurring_id: p.recurringId, transaction_id: p.transactionId },
      details: { amount, date: p.date },
    };
  },
  'ledger.import.completed': (p) => {
    const file = p.fileName ? `“${quoted(p.fileName)}”` : 'Your import';
    return {
      title: p.fileName ? `Import of “${quoted(p.fileName)}” finished` : 'Import finished',
      body: `${file}: ${p.imported} imported, ${p.skipped} skipped, ${p.failed} failed.`,
      data: { import_id: p.importId },
      details: { file_name: p.fileName, imported: p.imported, skipped: p.skipped, failed: p.failed },
    };
  },
  'reports.monthly.ready': (p) => {
    const money = (v: string) => formatMoney(v, p.currency);
    const month = monthName(p.month);
    return {
      title: `Your report for ${month} is ready`,
      body: `${month}: income ${money(p.income)}, expenses ${money(p.expense)}, net ${money(p.net)}.`,
      data: { report_id: p.reportId },
      details: { month, income: money(p.income), expense: money(p.expense), net: money(p.net) },
    };
  },
};

function budgetDetails(
  p: EventPayload<'budgets.budget.exceeded'>,
  money: (v: string) => string,
): NotificationContent['details'] {
  return {
    name: p.name,
    spent: money(p.spent),
    limit: money(p.limit),
    percent_used: p.percentUsed,
    window_start: p.windowStart,
    window_end: p.windowEnd,
  };
}

/** The notification an event gives. */
export function describeEvent<T extends NotifyingEventType>(
  type: T,
  payload: EventPayload<T>,
): NotificationContent {
  const describe = describers[type] as Describe<T>;
  return { kind: kindOfEvent[type], ...describe(payload) };
}
