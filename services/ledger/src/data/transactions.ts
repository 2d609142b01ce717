import type { EntityManager, SelectQueryBuilder } from 'typeorm';
import { newId } from '@finance/shared';
import type { TransactionFilter } from '../domain/transaction-filter';
import { sortPlan, type TransactionCursor, type TransactionSort } from '../domain/transaction-order';
import type { TransactionValues } from '../domain/transactions';
import { Transaction } from './entities';
import { insertSplitRows, replaceSplits, splitRowsOf, withSplits } from './transaction-splits';

/** A transaction of the user's with its parts (the parts are locked with it: only its writes change them). */
export async function findTransaction(
  manager: EntityManager,
  userId: string,
  id: string,
  options: { lock?: boolean } = {},
): Promise<Transaction | null> {
  const transaction = await manager.findOne(Transaction, {
    where: { id, userId },
    ...(options.lock ? { lock: { mode: 'pessimistic_write' as const } } : {}),
  });
  return transaction && withSplits(manager, transaction);
}

/** Stored form of the values (bigint minor units travel as strings, as TypeORM reads them). */
function columnsOf({ splits: _parts, ...values }: TransactionValues) {
  return {
    ...values,
    amountMinor: values.amountMinor.toString(),
    baseAmountMinor: values.baseAmountMinor.toString(),
    toAmountMinor: values.toAmountMinor === null ? null : values.toAmountMinor.toString(),
  };
}

export async function insertTransaction(
  manager: EntityManager,
  userId: string,
  values: TransactionValues,
  now: Date,
): Promise<Transaction> {
  const transaction = manager.create(Transaction, {
    ...columnsOf(values),
    id: newId(),
    userId,
    version: 1,
    createdAt: now,
    updatedAt: now,
  });
  await manager.insert(Transaction, transaction);
  transaction.splits = splitRowsOf(transaction, values.splits);
  await insertSplitRows(manager, transaction.splits);
  return transaction;
}

/** Writes new values onto a locked transaction as its next version. */
export async function updateTransaction(
  manager: EntityManager,
  transaction: Transaction,
  values: TransactionValues,
  now: Date,
): Promise<Transaction> {
  Object.assign(transaction, columnsOf(values), { version: transaction.version + 1, updatedAt: now });
  await manager.save(Transaction, transaction); // `splits` is no column: written next
  await replaceSplits(manager, transaction, values.splits);
  return transaction;
}

export async function deleteTransaction(manager: EntityManager, transaction: Transaction): Promise<void> {
  await manager.delete(Transaction, { id: transaction.id, userId: transaction.userId });
}

/** The search expression; written exactly as the trigram index `transactions_search` is. */
const SEARCH_TEXT = `(t.description || ' ' || coalesce(t.payee, '') || ' ' || coalesce(t.notes, ''))`;

function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** One keyset page (limit + 1 rows, so the caller knows whether another page exists). */
export async function listTransactions(
  manager: EntityManager,
  userId: string,
  filter: TransactionFilter,
  sort: TransactionSort,
  after: TransactionCursor | undefined,
  limit: number,
): Promise<Transaction[]> {
  return withSplits(
    manager,
    await transactionListQuery(manager, userId, filter, sort, after, limit).getMany(),
  );
}

/** The list query itself (exposed so tests can EXPLAIN exactly what the endpoint runs). */
export function transactionListQuery(
  manager: EntityManager,
  userId: string,
  filter: TransactionFilter,
  sort: TransactionSort,
  after: TransactionCursor | undefined,
  limit: number,
): SelectQueryBuilder<Transaction> {
  const qb = manager.createQueryBuilder(Transaction, 't').where('t.user_id = :userId', { userId });
  if (filter.from) qb.andWhere('t.date >= :from', { from: filter.from });
  if (filter.to) qb.andWhere('t.date <= :to', { to: filter.to });
  if (filter.type) qb.andWhere('t.transaction_type = :type', { type: filter.type });
  if (filter.accountId)
    qb.andWhere('(t.account_id = :accountId OR t.to_account_id = :accountId)', {
      accountId: filter.accountId,
    });
  // A split transaction is in each of its parts' categories, and uncategorised when a part is.
  if (filter.categoryId === null)
    qb.andWhere(
      `t.category_id IS NULL AND (NOT EXISTS (SELECT 1 FROM transaction_splits s WHERE s.transaction_id = t.id)
        OR EXISTS (SELECT 1 FROM transaction_splits s WHERE s.transaction_id = t.id AND s.category_id IS NULL))`,
    );
  else if (filter.categoryId)
    qb.andWhere(
      `(t.category_id = :categoryId OR t.id IN (SELECT s.transaction_id FROM transaction_splits s
        WHERE s.user_id = :userId AND s.category_id = :categoryId))`,
      { categoryId: filter.categoryId },
    );
  if (filter.minBaseAmount !== undefined)
    qb.andWhere('t.base_amount_minor >= CAST(:minAmount AS bigint)', {
      minAmount: filter.minBaseAmount.toString(),
    });
  if (filter.maxBaseAmount !== undefined)
    qb.andWhere('t.base_amount_minor <= CAST(:maxAmount AS bigint)', {
      maxAmount: filter.maxBaseAmount.toString(),
    });
  if (filter.text) qb.andWhere(`${SEARCH_TEXT} ILIKE :pattern`, { pattern: likePattern(filter.text) });
  if (filter.tag) qb.andWhere('t.tags @> ARRAY[CAST(:tag AS text)]', { tag: filter.tag });
  if (filter.cleared) qb.andWhere('t.cleared = :cleared', { cleared: filter.cleared });

  const plan = sortPlan(sort);
  const column = `t.${plan.column}`;
  const cast = plan.column === 'date' ? 'date' : 'bigint';
  const direction = plan.descending ? 'DESC' : 'ASC';
  if (after) {
    qb.andWhere(
      `(${column}, t.id) ${plan.descending ? '<' : '>'} (CAST(:key AS ${cast}), CAST(:afterId AS uuid))`,
      {
        key: after.k,
        afterId: after.id,
      },
    );
  }
  const orderProperty = plan.column === 'date' ? 't.date' : 't.baseAmountMinor';
  return qb
    .orderBy(orderProperty, direction)
    .addOrderBy('t.id', direction)
    .limit(limit + 1);
}

/**
 * Locks the user's transactions of these ids (others' and unknown ids are skipped) in id order, as
 * one statement: a bulk request takes every row it will change up front, so two requests naming
 * the same rows in different orders wait for each other instead of deadlocking.
 */
export async function lockTransactions(manager: EntityManager, userId: string, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await manager.query(
    `SELECT id FROM transactions WHERE user_id = $1 AND id = ANY($2::uuid[]) ORDER BY id FOR UPDATE`,
    [userId, ids],
  );
}
