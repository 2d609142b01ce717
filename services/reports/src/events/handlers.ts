import {
  acceptAggregateVersion,
  toMinorUnits,
  type EventBatchHandlers,
  type EventHandlers,
  type FinanceEvent,
} from '@finance/shared';
import type { EntityManager } from 'typeorm';
import { UNCATEGORISED } from '../domain/analytics';
import { writeBudgetVersion, writeGoalVersion } from '../data/budgets-goals';
import { withBalanceChange, withBalanceChanges } from './balance-changes';
import {
  lockVersions,
  raiseVersions,
  storedTransactions,
  writeTransactionRun,
  type RollupDelta,
  type StoredSplit,
  type TransactionRow,
} from '../data/transaction-runs';

type TransactionEvent = FinanceEvent<
  'ledger.transaction.created' | 'ledger.transaction.updated' | 'ledger.transaction.deleted'
>;

/** What one transaction adds to the roll-ups. */
interface Contribution {
  userId: string;
  accountId: string;
  toAccountId: string | null;
  categoryId: string | null;
  type: 'income' | 'expense' | 'transfer';
  baseAmountMinor: bigint;
  baseCurrency: string;
  date: string;
  /** A split transaction's parts: each adds its base amount to its own category ([]: not split). */
  parts: ReadonlyArray<{ categoryId: string | null; baseAmountMinor: bigint }>;
}

interface StoredTransaction {
  user_id: string;
  account_id: string;
  to_account_id: string | null;
  category_id: string | null;
  type: 'income' | 'expense' | 'transfer';
  base_amount_minor: string;
  base_currency: string;
  date: string;
  splits: StoredSplit[];
}

/** The parts of a stored row as a contribution counts them. */
function storedParts(splits: readonly StoredSplit[]): Contribution['parts'] {
  return splits.map((part) => ({
    categoryId: part.categoryId,
    baseAmountMinor: BigInt(part.baseAmountMinor),
  }));
}

/** Takes a stored transaction's contribution back out of its roll-ups; rows left empty go. */
async function removeFromRollups(manager: EntityManager, c: Contribution): Promise<void> {
  for (const row of rollupRows(c)) {
    await manager.query(...rollupUpsert(row, (-row.amountMinor).toString(), -1, true));
    const account = row.accountId === undefined ? '' : ' AND account_id = $6';
    await manager.query(
      `DELETE FROM ${row.table}
       WHERE user_id = $1 AND date = $2 AND category_key = $3 AND type = $4 AND base_currency = $5
         AND count = 0${account}`,
      [
        row.userId,
        row.date,
        row.categoryKey,
        row.type,
        row.baseCurrency,
        ...(row.accountId === undefined ? [] : [row.accountId]),
      ],
    );
  }
}

/**
 * created / updated / deleted of a transaction: replace the stored row and move its roll-up
 * contribution (− old, + new), all in the caller's transaction. An event whose version is not
 * newer than the newest applied (a duplicate, or one overtaken by a later event — even by the
 * delete) changes nothing: acceptAggregateVersion remembers versions beyond the row's life and
 * its row lock serialises concurrent events of one transaction.
 */
export async function applyTransactionEvent(event: TransactionEvent, manager: EntityManager): Promise<void> {
  if (!(await acceptAggregateVersion(manager, event))) return;
  const [stored] = (await manager.query(
    `SELECT user_id, account_id, to_account_id, category_id, type, base_amount_minor, base_currency,
            to_char(date, 'YYYY-MM-DD') AS date, splits
     FROM report_transactions WHERE id = $1`,
    [event.aggregateId],
  )) as StoredTransaction[];
  // Ids are the ledger's UUIDs; one claimed by another user is not this user's to change.
  if (stored && stored.user_id !== event.userId) return;

  if (stored) {
    await removeFromRollups(manager, {
      userId: stored.user_id,
      accountId: stored.account_id,
      toAccountId: stored.to_account_id,
      categoryId: stored.category_id,
      type: stored.type,
      baseAmountMinor: BigInt(stored.base_amount_minor),
      baseCurrency: stored.base_currency,
      date: stored.date,
      parts: storedParts(stored.splits),
    });
  }

  const p = event.payload;
  if (event.type === 'ledger.transaction.deleted') {
    await manager.query(`DELETE FROM report_transactions WHERE id = $1`, [event.aggregateId]);
    return;
  }
  const baseAmountMinor = toMinorUnits(p.baseAmount, p.baseCurrency);
  // The row and its roll-up contributions in one statement (data-modifying CTEs): one round trip
  // instead of three on the path every new transaction takes.
  const statement = new CteStatement();
  statement.add(
    `INSERT INTO report_transactions (id, user_id, account_id, to_account_id, category_id, type,
       base_amount_minor, base_currency, amount_minor, currency, date, description, payee, notes, tags,
       version, splits)
     VALUES (#, #, #, #, #, #, #, #, #, #, #, #, #, #, #, #, #)
     ON CONFLICT (id) DO UPDATE SET account_id = EXCLUDED.account_id, to_account_id = EXCLUDED.to_account_id,
       category_id = EXCLUDED.category_id, type = EXCLUDED.type, base_amount_minor = EXCLUDED.base_amount_minor,
       base_currency = EXCLUDED.base_currency, amount_minor = EXCLUDED.amount_minor, currency = EXCLUDED.currency,
       date = EXCLUDED.date, description = EXCLUDED.description, payee = EXCLUDED.payee, notes = EXCLUDED.notes,
       tags = EXCLUDED.tags, version = EXCLUDED.version, splits = EXCLUDED.splits`,
    [
      event.aggregateId,
      event.userId,
      p.accountId,
      p.toAccountId,
      p.categoryId,
      p.type,
      baseAmountMinor.toString(),
      p.baseCurrency,
      toMinorUnits(p.amount, p.currency).toString(),
      p.currency,
      p.date,
      p.description,
      p.payee,
      p.notes,
      p.tags,
      event.aggregateVersion,
      JSON.stringify(storedSplitsOf(p)),
    ],
  );
  for (const rollup of rollupRows({
    userId: event.userId,
    accountId: p.accountId,
    toAccountId: p.toAccountId,
    categoryId: p.categoryId,
    type: p.type,
    baseAmountMinor,
    baseCurrency: p.baseCurrency,
    date: p.date,
    parts: storedParts(storedSplitsOf(p)),
  }))
    statement.add(...rollupUpsert(rollup, rollup.amountMinor.toString(), 1));
  await statement.run(manager);
}

type CreatedEvent = FinanceEvent<'ledger.transaction.created'>;

/**
 * A run of `ledger.transaction.created` (the consumer's batch handler): exactly what
 * {@link applyTransactionEvent} leaves after each of them in order, in a few statements for the
 * whole run. The versions are locked and read in one statement; the run is then replayed in
 * memory by the one-event rules (a version not newer than the newest accepted changes nothing,
 * a row another user holds is not changed, a replaced row's contribution is taken back out);
 * the final rows and the roll-up deltas, summed per row in SQL, are written in one more.
 */
export async function applyTransactionsCreated(
  events: readonly CreatedEvent[],
  manager: EntityManager,
): Promise<void> {
  const type = 'ledger.transaction.created';
  const newest = new Map<string, number>();
  for (const event of events)
    newest.set(
      event.aggregateId,
      Math.max(newest.get(event.aggregateId) ?? event.aggregateVersion, event.aggregateVersion),
    );
  const before = await lockVersions(manager, type, newest);

  const version = new Map(before);
  const accepted: CreatedEvent[] = [];
  for (const event of events) {
    const seen = version.get(event.aggregateId);
    if (seen !== null && seen !== undefined && event.aggregateVersion <= seen) continue;
    version.set(event.aggregateId, event.aggregateVersion);
    accepted.push(event);
  }
  await raiseVersions(
    manager,
    type,
    new Map(
      [...newest].filter(([id, max]) => {
        const old = before.get(id);
        return old !== null && old !== undefined && max > old;
      }),
    ),
  );
  if (accepted.length === 0) return;

  // Keyed as PostgreSQL returns uuids (lower case), as the one-event handler reads them back.
  const keyOf = (id: string) => id.toLowerCase();
  const current: Map<string, TransactionRow> = await storedTransactions(manager, [
    ...new Set(accepted.map((event) => keyOf(event.aggregateId))),
  ]);
  const changed = new Map<string, TransactionRow>();
  const deltas: RollupDelta[] = [];
  for (const event of accepted) {
    const key = keyOf(event.aggregateId);
    const stored = current.get(key);
    if (stored && stored.user_id !== event.userId) continue;
    if (stored) deltas.push(...deltasOf(stored, -1));
    const row = rowOf(event);
    current.set(key, row);
    changed.set(key, row);
    deltas.push(...deltasOf(row, 1));
  }
  if (changed.size > 0) await writeTransactionRun(manager, [...changed.values()], deltas);
}

/** The read-model row a created event stores (uuids in lower case, as stored). */
function rowOf(event: CreatedEvent): TransactionRow {
  const p = event.payload;
  const lower = (id: string | null) => id?.toLowerCase() ?? null;
  return {
    id: event.aggregateId.toLowerCase(),
    user_id: event.userId.toLowerCase(),
    account_id: p.accountId.toLowerCase(),
    to_account_id: lower(p.toAccountId),
    category_id: lower(p.categoryId),
    type: p.type,
    base_amount_minor: toMinorUnits(p.baseAmount, p.baseCurrency).toString(),
    base_currency: p.baseCurrency,
    amount_minor: toMinorUnits(p.amount, p.currency).toString(),
    currency: p.currency,
    date: p.date,
    description: p.description,
    payee: p.payee,
    notes: p.notes,
    tags: p.tags,
    version: event.aggregateVersion,
    splits: storedSplitsOf(p),
  };
}

/** An event's parts as the read model stores them (category ids in lower case, as stored). */
function storedSplitsOf(p: TransactionEvent['payload']): StoredSplit[] {
  return p.splits.map((part) => ({
    categoryId: part.categoryId?.toLowerCase() ?? null,
    amountMinor: toMinorUnits(part.amount, p.currency).toString(),
    baseAmountMinor: toMinorUnits(part.baseAmount, p.baseCurrency).toString(),
    notes: part.notes,
    tags: part.tags,
  }));
}

/** A stored row's roll-up contributions, added (+1) or taken out (−1). */
function deltasOf(row: TransactionRow, sign: 1 | -1): RollupDelta[] {
  return rollupRows({
    userId: row.user_id,
    accountId: row.account_id,
    toAccountId: row.to_account_id,
    categoryId: row.category_id,
    type: row.type,
    baseAmountMinor: BigInt(row.base_amount_minor),
    baseCurrency: row.base_currency,
    date: row.date,
    parts: storedParts(row.splits),
  }).map((rollup) => ({
    ...rollup,
    amountMinor: sign === 1 ? rollup.amountMinor : -rollup.amountMinor,
    count: sign,
  }));
}

/**
 * One roll-up row a transaction contributes to: the daily one (income/expense) or an account's.
 * Keyed by base currency too: money booked before a base-currency change never adds to money after.
 */
interface RollupRow {
  table: 'daily_rollups' | 'daily_account_rollups';
  userId: string;
  accountId?: string;
  date: string;
  categoryKey: string;
  type: string;
  baseCurrency: string;
  /** What the transaction adds to this row (its whole base amount, or its parts' in this category). */
  amountMinor: bigint;
}

/**
 * The roll-up rows of one transaction; transfers only move money between the user's accounts. A
 * split transaction adds to each of its parts' categories the parts' base amounts there (summed
 * when two parts share one), and counts once in each.
 */
function rollupRows(c: Contribution): RollupRow[] {
  if (c.type !== 'transfer' && c.parts.length > 0) {
    const byCategory = new Map<string, bigint>();
    for (const part of c.parts) {
      const key = part.categoryId ?? UNCATEGORISED;
      byCategory.set(key, (byCategory.get(key) ?? 0n) + part.baseAmountMinor);
    }
    return [...byCategory].flatMap(([categoryKey, amountMinor]) =>
      rollupRows({
        ...c,
        categoryId: categoryKey === UNCATEGORISED ? null : categoryKey,
        baseAmountMinor: amountMinor,
        parts: [],
      }),
    );
  }
  const base = {
    userId: c.userId,
    date: c.date,
    categoryKey: c.categoryId ?? UNCATEGORISED,
    baseCurrency: c.baseCurrency,
    amountMinor: c.baseAmountMinor,
  };
  if (c.type === 'transfer') {
    const rows: RollupRow[] = [
      { ...base, table: 'daily_account_rollups', accountId: c.accountId, type: 'transfer_out' },
    ];
    if (c.toAccountId)
      rows.push({ ...base, table: 'daily_account_rollups', accountId: c.toAccountId, type: 'transfer_in' });
    return rows;
  }
  return [
    { ...base, table: 'daily_rollups', type: c.type },
    { ...base, table: 'daily_account_rollups', accountId: c.accountId, type: c.type },
  ];
}

/**
 * The upsert adding `amount`/`count` to one roll-up row; `#` placeholders, or `$n` when `numbered`.
 * total_minor is numeric(38,0): the sum of any number of 64-bit amounts a row can count fits.
 */
function rollupUpsert(row: RollupRow, amount: string, count: number, numbered = false): [string, unknown[]] {
  const account = row.accountId === undefined ? '' : 'account_id, ';
  const values = [
    row.userId,
    ...(row.accountId === undefined ? [] : [row.accountId]),
    row.date,
    row.categoryKey,
    row.type,
    row.baseCurrency,
    amount,
    count,
  ];
  const placeholders = values.map((_, index) => (numbered ? `$${index + 1}` : '#')).join(', ');
  return [
    `INSERT INTO ${row.table} (user_id, ${account}date, category_key, type, base_currency, total_minor, count)
     VALUES (${placeholders})
     ON CONFLICT (user_id, ${account}date, category_key, type, base_currency)
     DO UPDATE SET total_minor = ${row.table}.total_minor + EXCLUDED.total_minor,
                   count = ${row.table}.count + EXCLUDED.count`,
    values,
  ];
}

/**
 * Several INSERT/UPDATE statements run as one (`WITH s0 AS (…), s1 AS (…) SELECT 1`): PostgreSQL
 * executes every data-modifying CTE. Each part writes `#` for its parameters, numbered here, so
 * no parameter is shared between columns of different types.
 */
class CteStatement {
  private readonly parts: string[] = [];
  private readonly params: unknown[] = [];

  add(sql: string, params: unknown[]): void {
    let used = 0;
    const numbered = sql.replace(/#/g, () => `$${this.params.length + ++used}`);
    if (used !== params.length)
      throw new Error(`statement part has ${used} placeholders for ${params.length} values`);
    this.params.push(...params);
    this.parts.push(`s${this.parts.length} AS (${numbered} RETURNING 1)`);
  }

  async run(manager: EntityManager): Promise<void> {
    await manager.query(`WITH ${this.parts.join(',\n')} SELECT 1`, this.params);
  }
}

type CategoryEvent = FinanceEvent<
  'ledger.category.created' | 'ledger.category.updated' | 'ledger.category.deleted'
>;

/**
 * Category state, newest version wins. A deleted category stays (flagged) so any roll-up still
 * pointing at it keeps its name; its transactions move through their own `updated` events.
 */
export async function applyCategoryEvent(event: CategoryEvent, manager: EntityManager): Promise<void> {
  if (!(await acceptAggregateVersion(manager, event))) return;
  const p = event.payload;
  await manager.query(
    `INSERT INTO report_categories (id, user_id, name, color, kind, deleted, version)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, color = EXCLUDED.color, kind = EXCLUDED.kind,
       deleted = EXCLUDED.deleted, version = EXCLUDED.version
     WHERE report_categories.user_id = EXCLUDED.user_id`,
    [
      event.aggregateId,
      event.userId,
      p.name,
      p.color,
      p.kind,
      event.type === 'ledger.category.deleted',
      event.aggregateVersion,
    ],
  );
}

type AccountEvent = FinanceEvent<
  'ledger.account.created' | 'ledger.account.updated' | 'ledger.account.deleted'
>;

/** Account state (name for the CSV, opening balance for cash flow), newest version wins. */
export async function applyAccountEvent(event: AccountEvent, manager: EntityManager): Promise<void> {
  if (!(await acceptAggregateVersion(manager, event))) return;
  const p = event.payload;
  await manager.query(
    `INSERT INTO report_accounts (id, user_id, name, type, currency, opening_balance_minor, archived, deleted, version)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
     ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, type = EXCLUDED.type, currency = EXCLUDED.currency,
       opening_balance_minor = EXCLUDED.opening_balance_minor, archived = EXCLUDED.archived,
       deleted = EXCLUDED.deleted, version = EXCLUDED.version
     WHERE report_accounts.user_id = EXCLUDED.user_id`,
    [
      event.aggregateId,
      event.userId,
      p.name,
      p.type,
      p.currency,
      toMinorUnits(p.openingBalance, p.currency).toString(),
      p.archived,
      event.type === 'ledger.account.deleted',
      event.aggregateVersion,
    ],
  );
}

/**
 * `budgets.budget.changed/deleted`: one more version of the budget's definition, for the monthly
 * report (data/migrations/1796400000000-budgets-goals.ts: each version is kept with when it took
 * effect; a duplicate or late one is stored once and never outranks a higher version).
 */
export async function applyBudgetEvent(
  event: FinanceEvent<'budgets.budget.changed' | 'budgets.budget.deleted'>,
  manager: EntityManager,
): Promise<void> {
  const p = event.payload;
  await writeBudgetVersion(manager, {
    id: event.aggregateId,
    userId: event.userId,
    version: event.aggregateVersion,
    occurredAt: event.occurredAt,
    deleted: event.type === 'budgets.budget.deleted',
    name: p.name,
    categoryId: p.categoryId,
    amountMinor: toMinorUnits(p.amount, p.currency),
    currency: p.currency,
    period: p.period,
    startDate: p.startDate,
    endDate: p.endDate,
    rollover: p.rollover,
  });
}

/** `goals.goal.changed/deleted`: one more version of the goal's state, as {@link applyBudgetEvent}. */
export async function applyGoalEvent(
  event: FinanceEvent<'goals.goal.changed' | 'goals.goal.deleted'>,
  manager: EntityManager,
): Promise<void> {
  const p = event.payload;
  await writeGoalVersion(manager, {
    id: event.aggregateId,
    userId: event.userId,
    version: event.aggregateVersion,
    occurredAt: event.occurredAt,
    deleted: event.type === 'goals.goal.deleted',
    name: p.name,
    targetMinor: toMinorUnits(p.targetAmount, p.currency),
    currentMinor: toMinorUnits(p.currentAmount, p.currency),
    currency: p.currency,
    status: p.status,
    deadline: p.deadline,
  });
}

/**
 * `auth.user.deleted`, after the shared user directory left its tombstone (in the same
 * transaction): everything reports holds of the user goes — stored reports, roll-ups, the
 * transactions, accounts and categories of the read model, and their budgets' and goals' versions.
 */
export async function purgeUser(
  event: FinanceEvent<'auth.user.deleted'>,
  manager: EntityManager,
): Promise<void> {
  for (const table of [
    'monthly_reports',
    'daily_account_rollups',
    'daily_rollups',
    'report_transactions',
    'report_accounts',
    'report_categories',
    'report_budget_versions',
    'report_goal_versions',
    'account_day_changes',
    'report_transfer_arrivals',
  ]) {
    await manager.query(`DELETE FROM ${table} WHERE user_id = $1`, [event.userId]);
  }
}

/** Set-based handlers of runs: registered instead of the one-event handlers of these types. */
export const reportsEventBatchHandlers: EventBatchHandlers = {
  'ledger.transaction.created': withBalanceChanges(applyTransactionsCreated),
};

/**
 * The ledger's, budgets' and goals' events reports applies, by type: the consumer registers exactly these (users'
 * settings and deletions come through the shared user directory and `purgeUser`).
 */
export const reportsEventHandlers: EventHandlers = {
  // Net worth's per-account day changes are booked around the transaction handlers (balance-changes.ts).
  'ledger.transaction.created': withBalanceChange(applyTransactionEvent),
  'ledger.transaction.updated': withBalanceChange(applyTransactionEvent),
  'ledger.transaction.deleted': withBalanceChange(applyTransactionEvent),
  'ledger.category.created': applyCategoryEvent,
  'ledger.category.updated': applyCategoryEvent,
  'ledger.category.deleted': applyCategoryEvent,
  'ledger.account.created': applyAccountEvent,
  'ledger.account.updated': applyAccountEvent,
  'ledger.account.deleted': applyAccountEvent,
  'budgets.budget.changed': applyBudgetEvent,
  'budgets.budget.deleted': applyBudgetEvent,
  'goals.goal.changed': applyGoalEvent,
  'goals.goal.deleted': applyGoalEvent,
};
