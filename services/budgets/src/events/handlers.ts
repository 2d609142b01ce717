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
import {
  budgetCovers,
  budgetsCovering,
  budgetsOfUsers,
  moveBudgetsToCategory,
  removeBudgetsOfCategory,
  type BudgetRecord,
} from '../data/budget-store';
import { knownCategoryVersion, recordKnownCategory } from '../data/known-categories';
import {
  analyseBudgets,
  analysisFrom,
  planAnalyses,
  rangeShare,
  scheduleOf,
  sumRanges,
  type AnalysisPlan,
  type BudgetAnalysis,
  type RangeSum,
  type SumRange,
} from '../data/spending-analysis';
import {
  spendingTransactionsLocked,
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
 * {@link onTransactionChanged} on each in order: per transaction the first event of its highest
 * version is written (a later equal or lower one is not newer), in one statement over older
 * versions only. When a user of the run has budgets, each of their expenses is still judged on
 * the spending up to it (the 80 % announced before the 100 % of a later one, with the figures at
 * that point), but from sums kept in memory: one query sums every budget window the run touches,
 * and each event adds its row to them — not one sum query per event.
 */
export async function onTransactionsCreated(
  events: ReadonlyArray<FinanceEvent<'ledger.transaction.created'>>,
  manager: EntityManager,
): Promise<void> {
  const users = [...new Set(events.map((event) => event.userId))];
  const budgeted = await usersWithBudgets(manager, users);
  // Keyed as PostgreSQL compares uuids (case-insensitively).
  const keyOf = (id: string) => id.toLowerCase();
  const stored =
    budgeted.size > 0
      ? await spendingTransactionsLocked(manager, [...new Set(events.map((e) => keyOf(e.aggregateId)))])
      : [];
  const rows = new Map(stored.map((row) => [keyOf(row.id), row]));
  const before = new Map(rows);
  // Each event in order over the rows: the newer ones replace what was there.
  const applied: Array<{
    event: FinanceEvent<'ledger.transaction.created'>;
    old?: SpendingTransactionState;
  }> = [];
  for (const event of events) {
    const key = keyOf(event.aggregateId);
    const old = rows.get(key);
    if (old && old.version >= event.aggregateVersion) continue; // stale or duplicate
    rows.set(key, spendingStateOf(event, false));
    applied.push({ event, old });
  }
  const written = [...rows.entries()].filter(([key, row]) => before.get(key) !== row).map(([, row]) => row);
  await writeSpendingTransactions(manager, written);
  if (budgeted.size > 0) await judgeRun(manager, budgeted, applied, { before, after: written });
}

interface UserSums {
  ranges: SumRange[];
  sums: RangeSum[];
  plans: Map<string, AnalysisPlan>;
}

/**
 * Judges a run's expenses of users with budgets as {@link checkThresholds} would after each one,
 * from one sum query per user: the sums after the run's rows were written, taken back to before
 * the run (its rows out, the rows they replaced in), then moved forward event by event.
 */
async function judgeRun(
  manager: EntityManager,
  budgeted: Set<string>,
  applied: ReadonlyArray<{
    event: FinanceEvent<'ledger.transaction.created'>;
    old?: SpendingTransactionState;
  }>,
  rows: { before: Map<string, SpendingTransactionState>; after: SpendingTransactionState[] },
): Promise<void> {
  const budgetsOf = new Map<string, BudgetRecord[]>();
  for (const budget of await budgetsOfUsers(manager, [...budgeted]))
    budgetsOf.set(budget.userId, [...(budgetsOf.get(budget.userId) ?? []), budget]);
  const baseOf = new Map<string, string>();
  for (const userId of budgeted) baseOf.set(userId, (await userSettingsOf(manager, userId)).baseCurrency);
  // Which expenses are judged, against which budget windows (as checkThresholds would pick them).
  const judged = (event: FinanceEvent<'ledger.transaction.created'>) => {
    const p = event.payload;
    if (p.type !== 'expense' || !isInDateDomain(p.date) || baseOf.get(event.userId) !== p.baseCurrency)
      return [];
    // Each category it counts in, in the order onTransactionChanged judges them.
    return categoriesCounting(p).flatMap((categoryId) => {
      const spending = { categoryId, date: p.date, currency: p.baseCurrency };
      return (budgetsOf.get(event.userId) ?? []).flatMap((budget) => {
        if (!budgetCovers(budget, spending)) return [];
        const window = windowContaining(scheduleOf(budget), p.date);
        return window ? [{ budget, window, key: `${budget.id}:${window.start}` }] : [];
      });
    });
  };
  const sumsOf = new Map<string, UserSums>();
  for (const { event } of applied)
    for (const { budget, window, key } of judged(event)) {
      const user = sumsOf.get(event.userId) ?? { ranges: [], sums: [], plans: new Map() };
      sumsOf.set(event.userId, user);
      if (!user.plans.has(key))
        user.plans.set(key, planAnalyses([{ budget, window, historyCount: 0 }], user.ranges)[0]);
    }
  if (sumsOf.size === 0) return;
  // Taken after the run's rows are written, before summing (see checkThresholds), in one order.
  for (const userId of [...sumsOf.keys()].sort()) {
    await lockUserEvents(manager, userId);
    const user = sumsOf.get(userId)!;
    user.sums = await sumRanges(manager, userId, user.ranges);
  }
  const move = (row: SpendingTransactionState | undefined, sign: 1n | -1n) => {
    const user = row && sumsOf.get(row.userId);
    if (!user) return;
    user.ranges.forEach((range, slot) => {
      const share = rangeShare(range, row);
      if (!share) return;
      const sum = user.sums[slot];
      user.sums[slot] = {
        spent: sum.spent + sign * share.spent,
        uncounted: sum.uncounted + Number(sign) * share.uncounted,
      };
    });
  };
  // Back to before the run...
  for (const row of rows.after) move(row, -1n);
  for (const row of rows.after) move(rows.before.get(row.id.toLowerCase()), 1n);
  // ...then forward, judging each expense on the spending up to it.
  for (const { event, old } of applied) {
    move(old, -1n);
    move(spendingStateOf(event, false), 1n);
    const user = sumsOf.get(event.userId);
    if (!user) continue;
    const analyses = judged(event).map(({ key }) =>
      analysisFrom(user.plans.get(key)!, user.sums, event.payload.date),
    );
    await announceReached(manager, event.userId, analyses);
  }
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
  await announceReached(manager, userId, await analyseBudgets(manager, userId, requests, spending.date));
}

/**
 * For each budget window judged: a threshold reached for the first time in that window is
 * recorded in budget_alerts and announced in the same transaction (only `exceeded` when both at once).
 */
async function announceReached(
  manager: EntityManager,
  userId: string,
  analyses: readonly BudgetAnalysis[],
): Promise<void> {
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
