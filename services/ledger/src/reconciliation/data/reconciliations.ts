import { withSplits } from '../../data/transaction-splits';
import type { EntityManager } from 'typeorm';
import { In } from 'typeorm';
import { newId, pageInCreationOrder, type CreationCursor } from '@finance/shared';
import { Transaction } from '../../data/entities';
import { ROWS_PER_STATEMENT } from '../../import/data/transactions';
import { Reconciliation } from './entities';

/** Where a transaction touches the account: either side of a transfer counts, as in its balance. */
const ON_ACCOUNT = '(account_id = $2 OR to_account_id = $2)';

/**
 * Locks (FOR UPDATE, by id: the order every locker of several rows takes them in) the account's
 * cleared and reconciled transactions dated on or before `upTo`, and answers the ids of those
 * still only cleared: what a reconciliation of that day turns reconciled.
 */
export async function lockClearedUpTo(
  manager: EntityManager,
  userId: string,
  accountId: string,
  upTo: string,
): Promise<string[]> {
  const rows: Array<{ id: string; cleared: string }> = await manager.query(
    `SELECT id, cleared FROM transactions
      WHERE user_id = $1 AND ${ON_ACCOUNT} AND cleared <> 'uncleared' AND date <= $3::date
      ORDER BY id FOR UPDATE`,
    [userId, accountId, upTo],
  );
  return rows.filter((r) => r.cleared === 'cleared').map((r) => r.id);
}

/** The given transactions as reconciled, each its next version; answers them as stored now. */
export async function markReconciled(
  manager: EntityManager,
  userId: string,
  ids: string[],
  now: Date,
): Promise<Transaction[]> {
  const marked: Transaction[] = [];
  for (let start = 0; start < ids.length; start += ROWS_PER_STATEMENT) {
    const batch = ids.slice(start, start + ROWS_PER_STATEMENT);
    await manager.query(
      `UPDATE transactions SET cleared = 'reconciled', version = version + 1, updated_at = $3
        WHERE user_id = $1 AND id = ANY($2::uuid[])`,
      [userId, batch, now],
    );
    marked.push(
      ...(await withSplits(
        manager,
        await manager.find(Transaction, { where: { userId, id: In(batch) }, order: { id: 'ASC' } }),
      )),
    );
  }
  return marked;
}

/**
 * The account's uncleared transactions dated on or before `upTo`, oldest first (at most `limit`),
 * and how many there are: what may explain a statement that does not match.
 */
export async function unclearedCandidates(
  manager: EntityManager,
  userId: string,
  accountId: string,
  upTo: string,
  limit: number,
): Promise<{ candidates: Transaction[]; total: number }> {
  const candidates = await withSplits(
    manager,
    await manager
      .createQueryBuilder(Transaction, 't')
      .where('t.user_id = :userId', { userId })
      .andWhere('(t.account_id = :accountId OR t.to_account_id = :accountId)', { accountId })
      .andWhere(`t.cleared = 'uncleared'`)
      .andWhere('t.date <= :upTo', { upTo })
      .orderBy('t.date', 'ASC')
      .addOrderBy('t.id', 'ASC')
      .limit(limit)
      .getMany(),
  );
  const [{ total }]: Array<{ total: number }> = await manager.query(
    `SELECT count(*)::int AS total FROM transactions
      WHERE user_id = $1 AND ${ON_ACCOUNT} AND cleared = 'uncleared' AND date <= $3::date`,
    [userId, accountId, upTo],
  );
  return { candidates, total };
}

export async function insertReconciliation(
  manager: EntityManager,
  values: Omit<Reconciliation, 'id'>,
): Promise<Reconciliation> {
  const reconciliation = manager.create(Reconciliation, { ...values, id: newId() });
  await manager.insert(Reconciliation, reconciliation);
  return reconciliation;
}

/** One keyset page of an account's reconciliations, oldest first (limit + 1 rows). */
export async function listReconciliations(
  manager: EntityManager,
  userId: string,
  accountId: string,
  page: { after?: CreationCursor; limit: number },
): Promise<Reconciliation[]> {
  const qb = manager
    .createQueryBuilder(Reconciliation, 'r')
    .where('r.user_id = :userId', { userId })
    .andWhere('r.account_id = :accountId', { accountId });
  return pageInCreationOrder(qb, 'r', page).getMany();
}
