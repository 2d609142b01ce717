import type { EntityManager } from 'typeorm';
import type { CreationCursor } from '@finance/shared';
import type { Transaction } from '../../data/entities';
import { findTransaction } from '../../data/transactions';
import { missing } from '../../domain/problems';
import type { TransactionValues } from '../../domain/transactions';
import type { LedgerContext } from '../../use-cases/context';
import { insertAudit, listAudit } from '../data/audit';
import type { TransactionAudit } from '../data/entities';
import { LOCKED_FIELDS, lockedChanges, lockedChangeViolation, lockedStateOf } from '../domain/reconciliation';

/** What a change of a stored transaction says about the reconciliation lock: `force` overrides it. */
export interface LockOverride {
  force?: boolean;
}

/**
 * The lock of a reconciled transaction, checked on the locked row before it is changed
 * (`after`) or deleted (`after` null): a change of a locked field without `force` is a 409; with
 * it, the change goes ahead and its audit row (who, when, the locked fields before and after) is
 * written in the same DB transaction. Changes of free fields, and transactions not reconciled,
 * pass untouched.
 */
export async function guardReconciledChange(
  manager: EntityManager,
  current: Transaction,
  after: TransactionValues | null,
  override: LockOverride & { actorId: string; now: Date },
): Promise<void> {
  if (current.cleared !== 'reconciled') return;
  const before = lockedStateOf(current);
  const afterState = after && lockedStateOf(after);
  const changed = afterState ? lockedChanges(before, afterState) : [...LOCKED_FIELDS];
  if (changed.length === 0) return;
  if (!override.force) throw lockedChangeViolation(after ? 'update' : 'delete', changed);
  await insertAudit(manager, {
    userId: current.userId,
    transactionId: current.id,
    actorId: override.actorId,
    action: after ? 'updated' : 'deleted',
    changed,
    before,
    after: afterState,
    createdAt: override.now,
  });
}

/**
 * One page of a transaction's audit, oldest first (limit + 1 rows). Readable after a forced
 * deletion too; a transaction that is neither the user's nor audited for them is a 404.
 */
export async function transactionAuditPage(
  context: LedgerContext,
  userId: string,
  transactionId: string,
  page: { after?: CreationCursor; limit: number },
): Promise<TransactionAudit[]> {
  const { manager } = context.dataSource;
  const rows = await listAudit(manager, userId, transactionId, page);
  if (rows.length === 0 && !page.after && !(await findTransaction(manager, userId, transactionId)))
    throw missing('Transaction');
  return rows;
}
