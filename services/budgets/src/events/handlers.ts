import {
  formatMinorUnits,
  isInDateDomain,
  publishEvent,
  toMinorUnits,
  userSettingsOf,
  type EventBatchHandlers,
  type EventHandlers,
  type FinanceEvent,
} from '@finance/shared';
import type { EntityManager } from 'typeorm';
import { reachedThresholds, type AlertThreshold } from '../domain/budget-analysis';
import { windowContaining, type CalendarDate } from '../domain/budget-window';
import { recordAlert } from '../data/budget-alerts';
import { budgetsCovering, moveBudgetsToCategory, removeBudgetsOfCategory } from '../data/budget-store';
import { knownCategoryVersion, recordKnownCategory } from '../data/known-categories';
import { analyseBudgets, scheduleOf } from '../data/spending-analysis';
import {
  usersWithBudgets,
  writeSpendingTransaction,
  writeSpendingTransactions,
  type SpendingTransactionState,
} from '../data/spending-transactions';
import { lockUserEvents, purgeUserData } from '../data/user-data';
import { publishBudgetChanged, publishBudgetDeleted } from './budget-state';

type TransactionEvent = FinanceEvent<'ledger.transaction.created' | 'ledger.transaction.updated'>;

/** Writes the event's transaction into the read model (newer versions only); whether it was written. */
type AnyTransactionEvent = FinanceEvent<
  'ledger.transaction.created' | 'ledger.transaction.updated' | 'ledger.transaction.deleted'
>;

/** The read-model row an event of a transaction says (one mapping for single and batch handlers). */
function spendingStateOf(event: AnyTransactionEvent, deleted: boolean): SpendingTransactionState {
  const p = event.payload;
  return {
    id: event.aggregateId,
    userId: event.userId,
    categoryId: p.categoryId,
    type: p.type,
    baseAmountMinor: toMinorUnits(p.baseAmount, p.baseCurrency),
    baseCurrency: p.baseCurrency,
    date: p.date,
    version: event.aggregateVersion,
    deleted,
    // Each part counts in its own category; the transaction's whole amount only in budgets on all expenses.
    parts: p.splits.map((part) => ({
      categoryId: part.categoryId,
      baseAmountMinor: toMinorUnits(part.baseAmount, p.baseCurrency),
    })),
  };
}

function writeTransaction(
  manager: EntityManager,
  event: AnyTransactionEvent,
  deleted: boolean,
): Promise<boolean> {
  return writeSpendingTransaction(manager, spendingStateOf(event, deleted));
}

/** `ledger.transaction.created/updated`: upsert the read model row (newer versions only), then check alerts. */
export async function onTransactionChanged(event: TransactionEvent, manager: EntityManager): Promise<void> {
  if (!(await writeTransaction(manager, event, false))) return; // stale or duplicate
  const p = event.payload;
  // Budgets only live inside the date domain; an older event dated outside it is kept, never judged.
  if (p.type === 'expense' && isInDateDomain(p.date))
    for (const categoryId of categoriesCounting(p))
      await checkThresholds(manager, event.userId, { categoryId, date: p.date, currency: p.baseCurrency });
}

/**
 * The categories whose budgets an expense may move: its own, or each of its parts' (a budget on
 * all expenses is judged with each; an alert is recorded once per window, so never twice).
 */
function categoriesCounting(p: TransactionEvent['payload']): Array<string | null> {
  if (p.splits.length === 0) return [p.categoryId];
  return [...new Set(p.splits.map((part) => part.categoryId))];
}

/**
 * A run of `ledger.transaction.created` (the consumer's batch handler), with exactly the effect of
 * {@link onTransactionChanged} on each in order. When no user of the run has a budget, nothing is
 * judged and the effect is the rows alone: per transaction the first event of its highest version
 * (a later equal or lower one is not newer), written in one statement over older versions only.
 * When one has, the run is applied event by event: an alert is judged on the spending up to its
 * expense (the 80 % announced before the 100 % of a later one, with the figures at that point),
 * which judging once after the whole run would not give.
 */
export async function onTransactionsCreated(
  events: ReadonlyArray<FinanceEvent<'ledger.transaction.created'>>,
  manager: EntityManager,
): Promise<void> {
  const users = [...new Set(events.map((event) => event.userId))];
  if ((await usersWithBudgets(manager, users)).size > 0) {
    for (const event of events) await onTransactionChanged(event, manager);
    return;
  }
  // Keyed as PostgreSQL compares uuids (case-insensitively).
  const newest = new Map<string, SpendingTransactionState>();
  for (const event of events) {
    const key = event.aggregateId.toLowerCase();
    const seen = newest.get(key);
    if (seen && seen.version >= event.aggregateVersion) continue;
    newest.set(key, spendingStateOf(event, false));
  }
  await writeSpendingTransactions(manager, [...newest.values()]);
}

/** `ledger.transaction.deleted`: leave a tombstone (a delete wins a tie with the same version). */
export async function onTransactionDeleted(
  event: FinanceEvent<'ledger.transaction.deleted'>,
  manager: EntityManager,
): Promise<void> {
  await writeTransaction(manager, event, true);
}

/**
 * For each of the user's budgets covering this expense, judge the window containing its date;
 * a threshold reached for the first time in that window is recorded in budget_alerts and
 * announced in the same transaction. When a window jumps past both at once, only
 * `exceeded` is announced (both are recorded, so 80 % is not announced later either).
 */
export async function checkThresholds(
  manager: EntityManager,
  userId: string,
  spending: { categoryId: string | null; date: CalendarDate; currency: string },
): Promise<void> {
  // Spending in a base currency the user has left (an event from before the change) judges no
  // budget: the budgets in that currency are no longer in the base currency (see README, "After a
  // base-currency change"), and no budget adds amounts of two currencies.
  if ((await userSettingsOf(manager, userId)).baseCurrency !== spending.currency) return;
  const budgets = await budgetsCovering(manager, userId, spending);
  if (budgets.length === 0) return;
  // Taken after this event's row is written, before summing: of two concurrent expenses whose sum
  // crosses a threshold, the second to get the lock sees the first (committed) and announces it.
  await lockUserEvents(manager, userId);
  const requests = budgets.flatMap((budget) => {
    const window = windowContaining(scheduleOf(budget), spending.date);
    return window ? [{ budget, window, historyCount: 0 }] : [];
  });
  const analyses = await analyseBudgets(manager, userId, requests, spending.date);
  for (const { budget, current } of analyses) {
    // Expenses of the window still in another base currency (the ledger is re-booking them, or has
    // no rate for them): the figures are incomplete, so nothing is announced until they are not.
    if (current.uncounted > 0) continue;
    const available = current.limit + current.carriedOver;
    const fresh: AlertThreshold[] = [];
    for (const threshold of reachedThresholds(current.spent, available)) {
      if (await recordAlert(manager, { budgetId: budget.id, windowStart: current.window.start, threshold }))
        fresh.push(threshold);
    }
    if (fresh.length === 0) continue;
    const threshold: AlertThreshold = fresh.includes(100) ? 100 : 80;
    await publishEvent(manager, {
      type: threshold === 100 ? 'budgets.budget.exceeded' : 'budgets.budget.threshold-reached',
      userId,
      aggregateId: budget.id,
      aggregateVersion: budget.version,
      payload: {
        budgetId: budget.id,
        name: budget.name,
        categoryId: budget.categoryId,
        windowStart: current.window.start,
        windowEnd: current.window.end,
        // What was available in the window: the amount plus anything rolled over.
        limit: formatMinorUnits(available, budget.currency),
        spent: formatMinorUnits(current.spent, budget.currency),
        // Nothing available (rollover ate it) has no ratio; any spending then counts as fully used.
        percentUsed: current.percentUsed ?? '100.00',
        currency: budget.currency,
        threshold,
      },
    });
  }
}

/** `ledger.category.created/updated`: the category exists and belongs to the event's user. */
export async function onCategoryChanged(
  event: FinanceEvent<'ledger.category.created' | 'ledger.category.updated'>,
  manager: EntityManager,
): Promise<void> {
  const version = await knownCategoryVersion(manager, event.aggregateId);
  if (version !== undefined && version >= event.aggregateVersion) return;
  await recordKnownCategory(manager, {
    id: event.aggregateId,
    userId: event.userId,
    version: event.aggregateVersion,
    deleted: false,
  });
}

/**
 * `ledger.category.deleted`: with `reassignedTo` the category's budgets move to that category
 * (its transactions move too, through the ledger's own `transaction.updated` events); without,
 * the budgets are removed and `budgets.budget.removed` tells the user about each.
 */
export async function onCategoryDeleted(
  event: FinanceEvent<'ledger.category.deleted'>,
  manager: EntityManager,
): Promise<void> {
  await lockUserEvents(manager, event.userId);
  const version = await knownCategoryVersion(manager, event.aggregateId);
  if (version !== undefined && version > event.aggregateVersion) return;
  await recordKnownCategory(manager, {
    id: event.aggregateId,
    userId: event.userId,
    version: event.aggregateVersion,
    deleted: true,
  });
  const reassignedTo = event.payload.reassignedTo;
  if (reassignedTo) {
    for (const budget of await moveBudgetsToCategory(manager, event.userId, event.aggregateId, reassignedTo))
      await publishBudgetChanged(manager, budget, budget.updatedAt);
    return;
  }
  for (const budget of await removeBudgetsOfCategory(manager, event.userId, event.aggregateId)) {
    await publishBudgetDeleted(manager, budget, new Date());
    await publishEvent(manager, {
      type: 'budgets.budget.removed',
      userId: event.userId,
      aggregateId: budget.id,
      aggregateVersion: budget.version + 1,
      payload: {
        budgetId: budget.id,
        name: budget.name,
        reason: 'category-deleted',
        categoryId: event.aggregateId,
      },
    });
  }
}

/**
 * `auth.user.deleted` (after the shared directory left its tombstone): purge the user's budgets
 * (alerts cascade) and read models. No `budgets.budget.deleted` per budget: every consumer gets
 * `auth.user.deleted` itself (reports drops its copies on it), treats any later event of the
 * user as a no-op, and a deleted user's budget names must not go out again.
 */
export async function purgeUser(
  event: FinanceEvent<'auth.user.deleted'>,
  manager: EntityManager,
): Promise<void> {
  await purgeUserData(manager, event.userId);
}

/** Set-based handlers of runs: registered instead of the one-event handlers of these types. */
export const budgetEventBatchHandlers: EventBatchHandlers = {
  'ledger.transaction.created': onTransactionsCreated,
};

/** The ledger events budgets applies, by type (the consumer registers exactly these). */
export const budgetEventHandlers: EventHandlers = {
  'ledger.transaction.created': onTransactionChanged,
  'ledger.transaction.updated': onTransactionChanged,
  'ledger.transaction.deleted': onTransactionDeleted,
  'ledger.category.created': onCategoryChanged,
  'ledger.category.updated': onCategoryChanged,
  'ledger.category.deleted': onCategoryDeleted,
};
