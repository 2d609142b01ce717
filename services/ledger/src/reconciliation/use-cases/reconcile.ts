import type { EntityManager } from 'typeorm';
import { lockUserForWrite, publishEvents, type CreationCursor } from '@finance/shared';
import { accountBalancesOf, findAccount } from '../../data/accounts';
import type { Account, Transaction } from '../../data/entities';
import { storableMinorUnits } from '../../domain/money';
import { missing } from '../../domain/problems';
import { transactionState } from '../../events/payloads';
import type { LedgerContext } from '../../use-cases/context';
import {
  lockClearedUpTo,
  markReconciled,
  unclearedCandidates,
  insertReconciliation,
  listReconciliations,
} from '../data/reconciliations';
import type { Reconciliation } from '../data/entities';
import { MAX_RECONCILIATION_CANDIDATES, statementDifference } from '../domain/reconciliation';

/** What a bank statement says: the balance (decimal string in the account's currency) on a day. */
export interface Statement {
  balance: string;
  date: string;
}

export type StatementField = 'statementBalance';

/**
 * A statement that does not match the cleared balance: nothing was changed. Carries the exact
 * difference and the uncleared transactions up to the statement's day (the likely reasons).
 */
export class StatementMismatch extends Error {
  constructor(
    readonly account: Account,
    readonly statement: Statement & { balanceMinor: bigint },
    readonly clearedBalanceMinor: bigint,
    readonly differenceMinor: bigint,
    readonly candidates: Transaction[],
    readonly candidatesTotal: number,
  ) {
    super('The statement balance does not match the cleared balance');
    this.name = 'StatementMismatch';
  }
}

/** Where the reconciliation runs: the Idempotency-Key's DB transaction (`runIdempotently`). */
export type ReconciliationRunner<A> = (
  work: (manager: EntityManager) => Promise<Reconciliation>,
) => Promise<A>;

/**
 * Reconciles an account against a statement: when opening balance + the cleared and reconciled
 * transactions up to the statement's day (the account's own balance rule, `accountBalancesOf`)
 * equal the statement's balance exactly, the cleared ones become reconciled (each a new version and
 * a `ledger.transaction.updated`) and the reconciliation is recorded, all in the runner's one DB
 * transaction. Otherwise a {@link StatementMismatch} undoes it, changing nothing.
 *
 * Locks: the user (share, as every write), then the cleared rows (by id), then the account
 * (FOR UPDATE: no transaction is booked or moved onto it meanwhile — writers share-lock it), then
 * the cleared rows again (any a writer cleared before the account lock). Rows before the account is
 * the order an edit takes them in (its row, then its accounts), so the two never deadlock.
 */
export function reconcileAccount<A>(
  context: LedgerContext,
  userId: string,
  accountId: string,
  statement: Statement,
  run: ReconciliationRunner<A>,
): Promise<A> {
  return run(async (manager) => {
    await lockUserForWrite(manager, userId);
    const found = await findAccount(manager, userId, accountId);
    if (!found) throw missing('Account');
    const balanceMinor = storableMinorUnits<StatementField>(
      statement.balance,
      found.currency,
      'statementBalance',
    );
    await lockClearedUpTo(manager, userId, accountId, statement.date);
    const account = (await findAccount(manager, userId, accountId, { lock: 'update' }))!;
    const toReconcile = await lockClearedUpTo(manager, userId, accountId, statement.date);
    const balances = await accountBalancesOf(manager, userId, [account], { upTo: statement.date });
    const cleared = balances.get(account.id)!.cleared;
    const difference = statementDifference(balanceMinor, cleared);
    if (difference !== 0n) {
      const { candidates, total } = await unclearedCandidates(
        manager,
        userId,
        accountId,
        statement.date,
        MAX_RECONCILIATION_CANDIDATES,
      );
      throw new StatementMismatch(
        account,
        { ...statement, balanceMinor },
        cleared,
        difference,
        candidates,
        total,
      );
    }
    const now = context.clock();
    const marked = await markReconciled(manager, userId, toReconcile, now);
    await publishEvents(
      manager,
      marked.map((t) => ({
        type: 'ledger.transaction.updated' as const,
        userId,
        aggregateId: t.id,
        aggregateVersion: t.version,
        payload: transactionState(t),
      })),
    );
    return insertReconciliation(manager, {
      userId,
      accountId,
      statementDate: statement.date,
      statementBalanceMinor: balanceMinor.toString(),
      currency: account.currency,
      transactionCount: marked.length,
      createdAt: now,
    });
  });
}

/** One page of an account's reconciliations, oldest first (limit + 1 rows); another user's account is a 404. */
export async function listAccountReconciliations(
  context: LedgerContext,
  userId: string,
  accountId: string,
  page: { after?: CreationCursor; limit: number },
): Promise<Reconciliation[]> {
  const { manager } = context.dataSource;
  if (!(await findAccount(manager, userId, accountId))) throw missing('Account');
  return listReconciliations(manager, userId, accountId, page);
}
