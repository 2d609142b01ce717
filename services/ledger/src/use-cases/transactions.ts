import type { EntityManager } from 'typeorm';
import { formatMinorUnits, localDate, lockUserForWrite, userSettingsOf } from '@finance/shared';
import { missing, notFoundIn, RuleViolation } from '../domain/problems';
import {
  transactionFilter,
  type FilterField,
  type TransactionFilterRequest,
} from '../domain/transaction-filter';
import {
  cursorSortViolation,
  type TransactionCursor,
  type TransactionSort,
} from '../domain/transaction-order';
import {
  patchedDraft,
  replacementDraft,
  resolveTransaction,
  transactionShapeProblems,
  type AccountFacts,
  type RecordedMoney,
  type SplitDraft,
  type TransactionDraft,
  type TransactionField,
  type TransactionPatch,
  type TransactionState,
} from '../domain/transactions';
import { splitCategoryIds } from '../domain/splits';
import { defaultAccountOf, findAccount } from '../data/accounts';
import { findCategory } from '../data/categories';
import { draftReferences } from '../data/draft-references';
import type { Transaction } from '../data/entities';
import { partsOf } from '../data/transaction-splits';
import {
  deleteTransaction as deleteTransactionRow,
  findTransaction,
  insertTransaction,
  listTransactions,
  updateTransaction,
} from '../data/transactions';
import { publishAccountChange, publishTransactionChange } from '../events/publish';
import { clearedStatusViolation } from '../reconciliation/domain/reconciliation';
import { guardReconciledChange, type LockOverride } from '../reconciliation/use-cases/locked-transactions';
import { recordRecategorisation } from '../rules/data/suggestions';
import { applyRules } from '../rules/use-cases/rule-runs';
import { withUserSettings, type LedgerContext, type SettingsOf } from './context';
import { conversionsNeeded, fxContextOf } from './fx-conversions';
import { quotesFor, withRates } from './exchange-rates';
import type { VersionCheck } from './version-check';

/** A stored transaction as a client sees it: what PUT and PATCH (and rules applied to it) start from. */
export function stateOf(t: Transaction): TransactionState {
  return {
    accountId: t.accountId,
    toAccountId: t.toAccountId,
    categoryId: t.categoryId,
    type: t.type,
    amount: formatMinorUnits(t.amountMinor, t.currency),
    currency: t.currency,
    description: t.description,
    notes: t.notes,
    payee: t.payee,
    tags: t.tags,
    date: t.date,
    cleared: t.cleared,
    splits: splitDraftsOf(t),
  };
}

/** A stored transaction as a draft restating all of it (what rules run on when applied to it). */
export function draftOfStored(t: Transaction): TransactionDraft {
  return { ...stateOf(t), splits: splitDraftsOf(t) };
}

/** The stored parts as a client states them (what a PATCH that leaves `splits` alone keeps). */
function splitDraftsOf(t: Transaction): SplitDraft[] {
  return partsOf(t).map((s) => ({
    amount: formatMinorUnits(s.amountMinor, t.currency),
    categoryId: s.categoryId,
    notes: s.notes,
    tags: s.tags,
  }));
}

function recordedMoneyOf(t: Transaction): RecordedMoney {
  return {
    amountMinor: BigInt(t.amountMinor),
    currency: t.currency,
    baseAmountMinor: BigInt(t.baseAmountMinor),
    baseCurrency: t.baseCurrency,
    date: t.date,
    fxRate: t.fxRate,
    fxRateDate: t.fxRateDate,
    toAmountMinor: t.toAmountMinor === null ? null : BigInt(t.toAmountMinor),
    toCurrency: t.toCurrency,
  };
}

/** Where a write runs: the DB transaction of the Idempotency-Key (`runIdempotently`) or a plain one. */
export type TransactionRunner<A> = (work: (manager: EntityManager) => Promise<Transaction>) => Promise<A>;

/**
 * Checks a draft against the user (locked, with their settings), accounts and category in one
 * share-locking read, and turns it into the values to store. A draft without an account goes to
 * the default one, made on first need. (Also what a recurring template is checked with.)
 */
export async function resolveDraft(
  context: LedgerContext,
  manager: EntityManager,
  userId: string,
  settingsOf: SettingsOf,
  draft: TransactionDraft,
  mayFetchRates: boolean,
  replacing?: Transaction,
) {
  const shape = transactionShapeProblems(draft);
  if (shape.length)
    throw new RuleViolation<TransactionField>('invalid', 'The request body is invalid', shape);
  const cleared = clearedStatusViolation(draft.cleared, replacing?.cleared);
  if (cleared) throw cleared;

  const references = await draftReferences(manager, userId, {
    accountIds: [draft.accountId, draft.toAccountId].filter((id): id is string => Boolean(id)),
    categoryId: draft.categoryId,
    splitCategoryIds: splitCategoryIds(draft.splits),
  });
  const settings = settingsOf(references.user);
  const now = context.clock();
  let account: AccountFacts | undefined;
  if (draft.accountId) account = references.accounts.get(draft.accountId);
  else {
    const found = await defaultAccountOf(manager, userId, settings.baseCurrency, now);
    if (found.created) await publishAccountChange(manager, 'created', found.account);
    account = found.account;
  }
  const toAccount = draft.toAccountId ? references.accounts.get(draft.toAccountId) : undefined;
  const today = localDate(now, settings.timezone);
  return resolveTransaction(draft, {
    account,
    toAccount,
    category: references.category,
    splitCategories: references.splitCategories,
    baseCurrency: settings.baseCurrency,
    today,
    recorded: replacing && recordedMoneyOf(replacing),
    quotes: await quotesFor(
      fxContextOf(context),
      manager,
      conversionsNeeded(draft, account, toAccount, settings.baseCurrency, today),
      mayFetchRates,
    ),
  });
}

/**
 * Records a new transaction, in the DB transaction `run` opens (the Idempotency-Key's); in the
 * user's own base currency also right after they registered.
 */
export function createTransaction<A>(
  context: LedgerContext,
  userId: string,
  draft: TransactionDraft,
  run: TransactionRunner<A>,
): Promise<A> {
  return withRates(fxContextOf(context), (mayFetchRates) =>
    withUserSettings(context, userId, (settingsOf) =>
      run((manager) => recordTransaction(context, manager, userId, settingsOf, draft, mayFetchRates)),
    ),
  );
}

/**
 * Books a new transaction in the caller's DB transaction: the user's rules run on the draft
 * (before it is checked, see rules/), then the ledger's rules, the row and its
 * `ledger.transaction.created` (outbox), as POST /transactions books one. A recurring occurrence
 * is booked with it, in the transaction that also records the occurrence. Run it inside
 * `withRates` (`mayFetchRates`: a missing exchange rate may still be fetched; see quotesFor).
 */
export async function recordTransaction(
  context: LedgerContext,
  manager: EntityManager,
  userId: string,
  settingsOf: SettingsOf,
  draft: TransactionDraft,
  mayFetchRates: boolean,
): Promise<Transaction> {
  const ruled = await applyRules(context, manager, userId, draft);
  const values = await resolveDraft(context, manager, userId, settingsOf, ruled, mayFetchRates);
  const transaction = await insertTransaction(manager, userId, values, context.clock());
  await publishTransactionChange(manager, 'created', transaction);
  return transaction;
}

export async function getTransaction(
  context: LedgerContext,
  userId: string,
  id: string,
): Promise<Transaction> {
  const transaction = await findTransaction(context.dataSource.manager, userId, id);
  if (!transaction) throw missing('Transaction');
  return transaction;
}

export interface TransactionListRequest {
  filter: TransactionFilterRequest;
  sort: TransactionSort;
  after?: TransactionCursor;
  limit: number;
}

/** One keyset page (limit + 1 rows). Amount bounds are in the base currency; foreign ids are 404s. */
export async function listTransactionsPage(
  context: LedgerContext,
  userId: string,
  request: TransactionListRequest,
): Promise<Transaction[]> {
  const { manager } = context.dataSource;
  const wrongSort = request.after && cursorSortViolation(request.sort, request.after);
  if (wrongSort) throw wrongSort;
  const { baseCurrency } = await userSettingsOf(manager, userId);
  const filter = transactionFilter(request.filter, baseCurrency);
  if (filter.accountId && !(await findAccount(manager, userId, filter.accountId)))
    throw notFoundIn<FilterField>('Account', 'accountId');
  if (filter.categoryId && !(await findCategory(manager, userId, filter.categoryId)))
    throw notFoundIn<FilterField>('Category', 'categoryId');
  return listTransactions(manager, userId, filter, request.sort, request.after, request.limit);
}

/** A change of a stored transaction's fields: its new draft from its state (undefined: nothing to change). */
type TransactionChange = (current: TransactionState) => TransactionDraft | undefined;

/** Runs a change in a DB transaction of its own (PUT and PATCH). */
function changeTransaction(
  context: LedgerContext,
  userId: string,
  id: string,
  check: VersionCheck,
  change: TransactionChange,
  lock: LockOverride,
): Promise<Transaction> {
  return withRates(fxContextOf(context), (mayFetchRates) =>
    withUserSettings(context, userId, (settingsOf) =>
      context.dataSource.transaction((manager) =>
        changeTransactionIn(context, manager, userId, settingsOf, mayFetchRates, id, check, change, lock),
      ),
    ),
  );
}

/** Locks the user and the transaction, checks its version, and applies `change`, in the caller's DB transaction. */
async function changeTransactionIn(
  context: LedgerContext,
  manager: EntityManager,
  userId: string,
  settingsOf: SettingsOf,
  mayFetchRates: boolean,
  id: string,
  check: VersionCheck,
  change: TransactionChange,
  lock: LockOverride,
): Promise<Transaction> {
  // The user first, as every write and the deletion take them: no deadlock with a deletion.
  await lockUserForWrite(manager, userId);
  const current = await findTransaction(manager, userId, id, { lock: true });
  if (!current) throw missing('Transaction');
  check(current.version);
  const draft = change(stateOf(current));
  if (!draft) return current; // nothing to change: no new version, no event
  const previousCategoryId = current.categoryId;
  await rewriteTransaction(context, manager, userId, settingsOf, current, draft, mayFetchRates, lock);
  // A manual re-categorisation is what rule suggestions learn from.
  if (current.categoryId !== previousCategoryId) await recordRecategorisation(manager, current);
  return current;
}

/**
 * Writes a draft onto a locked, stored transaction as its next version, checked as any write is,
 * with its `ledger.transaction.updated` (outbox): PUT, PATCH and rules applied to existing
 * transactions all change a transaction this way.
 */
export async function rewriteTransaction(
  context: LedgerContext,
  manager: EntityManager,
  userId: string,
  settingsOf: SettingsOf,
  current: Transaction,
  draft: TransactionDraft,
  mayFetchRates: boolean,
  lock: LockOverride = {},
): Promise<Transaction> {
  const values = await resolveDraft(context, manager, userId, settingsOf, draft, mayFetchRates, current);
  // A reconciled transaction's amount, date or accounts change only when forced (and audited);
  // a rule applied to existing transactions never forces: such a transaction counts as failed.
  await guardReconciledChange(manager, current, values, { ...lock, actorId: userId, now: context.clock() });
  await updateTransaction(manager, current, values, context.clock());
  await publishTransactionChange(manager, 'updated', current);
  return current;
}

/** PUT: every field replaced; a draft without account or date keeps the stored ones. */
export function replaceTransaction(
  context: LedgerContext,
  userId: string,
  id: string,
  draft: TransactionDraft,
  check: VersionCheck,
  lock: LockOverride = {},
): Promise<Transaction> {
  return changeTransaction(context, userId, id, check, (current) => replacementDraft(current, draft), lock);
}

/** PATCH: a JSON merge onto the transaction, with the type rules of {@link patchedDraft}. */
export function patchTransaction(
  context: LedgerContext,
  userId: string,
  id: string,
  patch: TransactionPatch,
  check: VersionCheck,
  lock: LockOverride = {},
): Promise<Transaction> {
  return changeTransaction(context, userId, id, check, (current) => patchedDraft(current, patch), lock);
}

/**
 * PATCH in the caller's DB transaction (a bulk request's item), with everything PATCH checks. Run
 * it inside `withRates` and `withUserSettings`, as {@link recordTransaction}.
 */
export function applyTransactionPatch(
  context: LedgerContext,
  manager: EntityManager,
  userId: string,
  settingsOf: SettingsOf,
  mayFetchRates: boolean,
  id: string,
  patch: TransactionPatch,
  check: VersionCheck,
  lock: LockOverride = {},
): Promise<Transaction> {
  return changeTransactionIn(
    context,
    manager,
    userId,
    settingsOf,
    mayFetchRates,
    id,
    check,
    (current) => patchedDraft(current, patch),
    lock,
  );
}

export async function deleteTransaction(
  context: LedgerContext,
  userId: string,
  id: string,
  check: VersionCheck,
  lock: LockOverride = {},
): Promise<void> {
  await context.dataSource.transaction((manager) =>
    removeTransaction(context, manager, userId, id, check, lock),
  );
}

/** DELETE in the caller's DB transaction: the row and its `ledger.transaction.deleted` (outbox). */
export async function removeTransaction(
  context: LedgerContext,
  manager: EntityManager,
  userId: string,
  id: string,
  check: VersionCheck,
  lock: LockOverride = {},
): Promise<Transaction> {
  await lockUserForWrite(manager, userId);
  const transaction = await findTransaction(manager, userId, id, { lock: true });
  if (!transaction) throw missing('Transaction');
  check(transaction.version);
  await guardReconciledChange(manager, transaction, null, { ...lock, actorId: userId, now: context.clock() });
  await deleteTransactionRow(manager, transaction);
  await publishTransactionChange(manager, 'deleted', transaction);
  return transaction;
}
