import type { EntityManager } from 'typeorm';
import { changedRows } from '@finance/shared';
import { splitBaseAmounts, type SplitValues } from '../domain/splits';
import { TransactionSplit, type Transaction } from './entities';

/**
 * Loads the parts of the given transactions onto them (`splits`, [] when not split) in one query,
 * however many there are: a page of the list costs one query more, never one per row.
 */
export async function withSplits<T extends Transaction | Transaction[]>(
  manager: EntityManager,
  transactions: T,
): Promise<T> {
  const list: Transaction[] = Array.isArray(transactions) ? transactions : [transactions];
  if (!list.length) return transactions;
  // One array parameter (not one per id): an import's undo loads tens of thousands at once.
  const parts = await manager
    .createQueryBuilder(TransactionSplit, 's')
    .where('s.transaction_id = ANY(CAST(:ids AS uuid[]))', { ids: list.map((t) => t.id) })
    .orderBy('s.transaction_id')
    .addOrderBy('s.position')
    .getMany();
  const byTransaction = new Map<string, TransactionSplit[]>();
  for (const part of parts) {
    const of = byTransaction.get(part.transactionId);
    if (of) of.push(part);
    else byTransaction.set(part.transactionId, [part]);
  }
  for (const t of list) t.splits = byTransaction.get(t.id) ?? [];
  return transactions;
}

/** A transaction's loaded parts; not loaded is a programmer's error, never "not split" (budgets would count it whole). */
export function partsOf(t: Transaction): TransactionSplit[] {
  if (!t.splits) throw new Error(`The parts of transaction ${t.id} were not loaded (withSplits)`);
  return t.splits;
}

/** The stored form of a transaction's parts (bigint minor units as strings, as TypeORM reads them). */
export function splitRowsOf(transaction: Transaction, splits: readonly SplitValues[]): TransactionSplit[] {
  return splits.map((s, position) =>
    Object.assign(new TransactionSplit(), {
      transactionId: transaction.id,
      position,
      userId: transaction.userId,
      amountMinor: s.amountMinor.toString(),
      baseAmountMinor: s.baseAmountMinor.toString(),
      categoryId: s.categoryId,
      notes: s.notes,
      tags: s.tags,
    }),
  );
}

/** Inserts parts (of any number of transactions) in one statement per 1000. */
export async function insertSplitRows(manager: EntityManager, rows: TransactionSplit[]): Promise<void> {
  for (let start = 0; start < rows.length; start += 1000)
    await manager.insert(TransactionSplit, rows.slice(start, start + 1000));
}

/**
 * Writes a transaction's parts in place of the ones it had, and sets them on it. Nothing is
 * written when it neither had nor has parts (an ordinary edit costs no statement more).
 */
export async function replaceSplits(
  manager: EntityManager,
  transaction: Transaction,
  splits: readonly SplitValues[],
): Promise<void> {
  const had = transaction.splits?.length ?? 0;
  const rows = splitRowsOf(transaction, splits);
  if (had > 0 || transaction.splits === undefined)
    await manager.delete(TransactionSplit, { transactionId: transaction.id });
  if (rows.length) await insertSplitRows(manager, rows);
  transaction.splits = rows;
}

/**
 * Moves the parts in one category of a user's to another (or none); returns the ids of their
 * transactions (each gets a new version).
 */
export async function moveSplitsToCategory(
  manager: EntityManager,
  userId: string,
  from: string,
  to: string | null,
): Promise<string[]> {
  const rows = await changedRows<{ transaction_id: string }>(
    manager,
    `UPDATE transaction_splits SET category_id = $3 WHERE user_id = $1 AND category_id = $2
     RETURNING transaction_id`,
    [userId, from, to],
  );
  return [...new Set(rows.map((r) => r.transaction_id))];
}

/** Re-prices a transaction's loaded parts from its (new) base amount and saves them. */
export async function repriceSplits(manager: EntityManager, transaction: Transaction): Promise<void> {
  const parts = partsOf(transaction);
  if (!parts.length) return;
  const bases = splitBaseAmounts(
    BigInt(transaction.baseAmountMinor),
    parts.map((p) => BigInt(p.amountMinor)),
  );
  parts.forEach((p, i) => (p.baseAmountMinor = bases[i].toString()));
  await manager.save(TransactionSplit, parts);
}
