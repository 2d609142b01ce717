import type { EntityManager } from 'typeorm';
import { convertWith, formatRate, noRateMessage } from '../domain/fx';
import { findQuote } from '../data/exchange-rates';
import {
  lockRunningChange,
  nextTransactionsOf,
  recordBaseChangeProgress,
  saveRecomputedTransaction,
  startBaseCurrencyChange,
  type BaseCurrencyChange,
} from '../data/fx-base-change';
import type { Transaction } from '../data/entities';
import { publishTransactionChange } from '../events/publish';
import { fetchRatesUpTo, type FxContext } from './exchange-rates';

/** Transactions recomputed per database transaction: a batch holds its rows' locks only briefly. */
export const BASE_CHANGE_BATCH = 200;

/** `auth.user.updated` (in the consumer's transaction): a new base currency starts a recomputation. */
export function onBaseCurrencySet(
  manager: EntityManager,
  userId: string,
  baseCurrency: string,
  occurredAt: Date,
): Promise<void> {
  return startBaseCurrencyChange(manager, userId, baseCurrency, occurredAt);
}

/**
 * One batch of the oldest running change: the next transactions by id converted into the new base
 * currency at the rate of their own date (exact, half-even), each saved as a new version and
 * published as `ledger.transaction.updated` so budgets, goals and reports follow. A transaction
 * with no rate on or before its date keeps its old base amount and label (never an invented rate)
 * and is counted as failed, with the problem. Rates the provider may have are fetched first,
 * outside the transaction. False when nothing is running.
 */
export async function recomputeNextBatch(
  context: FxContext,
  batchSize = BASE_CHANGE_BATCH,
): Promise<boolean> {
  const peek = await context.dataSource.transaction(async (manager) => {
    const change = await lockRunningChange(manager);
    return change && { change, rows: await nextTransactionsOf(manager, change, batchSize) };
  });
  if (!peek) return false;
  for (const t of peek.rows)
    if (
      t.currency !== peek.change.baseCurrency &&
      !(await findQuote(context.dataSource.manager, t.currency, peek.change.baseCurrency, t.date))
    )
      await fetchRatesUpTo(context, t.date);

  await context.dataSource.transaction(async (manager) => {
    const change = await lockRunningChange(manager);
    if (!change || change.userId !== peek.change.userId) return; // another replica took it, or it moved on
    const rows = await nextTransactionsOf(manager, change, batchSize);
    let done = 0;
    let failed = 0;
    let lastProblem: string | null = null;
    for (const t of rows) {
      if (t.baseCurrency === change.baseCurrency) continue;
      const problem = await rebase(manager, t, change, context.clock());
      if (problem) {
        failed++;
        lastProblem = problem;
      } else done++;
    }
    await recordBaseChangeProgress(
      manager,
      change,
      { done, failed, lastProblem, lastId: rows.at(-1)?.id ?? null, finished: rows.length < batchSize },
      context.clock(),
    );
  });
  return true;
}

async function rebase(
  manager: EntityManager,
  t: Transaction,
  change: BaseCurrencyChange,
  now: Date,
): Promise<string | undefined> {
  const to = change.baseCurrency;
  if (t.currency === to) {
    Object.assign(t, { baseAmountMinor: t.amountMinor, baseCurrency: to, fxRate: null, fxRateDate: null });
  } else {
    const quote = await findQuote(manager, t.currency, to, t.date);
    if (!quote) return noRateMessage(t.currency, to, t.date);
    Object.assign(t, {
      baseAmountMinor: convertWith(quote, BigInt(t.amountMinor)).toString(),
      baseCurrency: to,
      fxRate: formatRate(quote.ratio),
      fxRateDate: quote.date,
    });
  }
  Object.assign(t, { version: t.version + 1, updatedAt: now });
  await saveRecomputedTransaction(manager, t);
  await publishTransactionChange(manager, 'updated', t);
  return undefined;
}

/** A round of the job: batches until no change is running (or `maxBatches`, to yield). */
export async function recomputeBaseAmounts(context: FxContext, maxBatches = 50): Promise<number> {
  let batches = 0;
  while (batches < maxBatches && (await recomputeNextBatch(context))) batches++;
  return batches;
}
