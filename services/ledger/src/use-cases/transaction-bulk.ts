import type { EntityManager } from 'typeorm';
import { HttpProblem, lockUserForWrite } from '@finance/shared';
import { RuleViolation } from '../domain/problems';
import type { TransactionDraft, TransactionPatch } from '../domain/transactions';
import type { Transaction } from '../data/entities';
import { lockTransactions } from '../data/transactions';
import { withUserSettings, type LedgerContext, type SettingsOf } from './context';
import { withRates } from './exchange-rates';
import { fxContextOf } from './fx-conversions';
import { applyTransactionPatch, recordTransaction, removeTransaction } from './transactions';
import type { VersionCheck } from './version-check';

/**
 * Many creates, patches and deletes of transactions in one DB transaction (`POST
 * /transactions/bulk`). Each operation is the single route's own use case (recordTransaction,
 * applyTransactionPatch, removeTransaction), so every rule of a transaction applies to it as it
 * applies to POST, PATCH and DELETE; each runs in a savepoint, so one that fails leaves nothing of
 * itself behind and the others go on.
 */

/** The most operations one bulk request may carry. */
export const MAX_BULK_OPERATIONS = 500;

export type BulkOperation =
  | { op: 'create'; draft: TransactionDraft }
  | { op: 'patch'; id: string; patch: TransactionPatch; check: VersionCheck; force: boolean }
  | { op: 'delete'; id: string; check: VersionCheck; force: boolean };

/** What one operation did: the transaction it created, changed or deleted, or why it did nothing. */
export type BulkOutcome =
  | { ok: true; operation: BulkOperation; transaction: Transaction }
  | { ok: false; operation: BulkOperation; failure: RuleViolation | HttpProblem };

/**
 * An operation's own failure, as its single route would answer it (a broken rule, a stale
 * version: a 4xx). Anything else — a rate to fetch first, a registration to wait for, the
 * database — is the whole request's: it undoes every operation and is handled as the single
 * routes handle it (fetched and run again; waited for and run again; a 5xx).
 */
function isOperationFailure(error: unknown): error is RuleViolation | HttpProblem {
  return (
    error instanceof RuleViolation ||
    (error instanceof HttpProblem && error.status >= 400 && error.status < 500)
  );
}

/** Where the batch runs: the DB transaction of the Idempotency-Key (`runIdempotently`). */
export type BulkRunner<A> = (work: (manager: EntityManager) => Promise<BulkOutcome[]>) => Promise<A>;

/**
 * Applies the operations in order, in the DB transaction `run` opens: a later operation sees what
 * an earlier one did (the same id patched twice: the second If-Match names the first's version;
 * patched after it was deleted: 404). What to do with failures (keep the rest, or undo all) is the
 * caller's: it may roll `run`'s transaction back.
 */
export function applyBulk<A>(
  context: LedgerContext,
  userId: string,
  operations: readonly BulkOperation[],
  run: BulkRunner<A>,
): Promise<A> {
  return withRates(fxContextOf(context), (mayFetchRates) =>
    withUserSettings(context, userId, (settingsOf) =>
      run((manager) => applyInOrder(context, manager, userId, settingsOf, mayFetchRates, operations)),
    ),
  );
}

async function applyInOrder(
  context: LedgerContext,
  manager: EntityManager,
  userId: string,
  settingsOf: SettingsOf,
  mayFetchRates: boolean,
  operations: readonly BulkOperation[],
): Promise<BulkOutcome[]> {
  // The user, then every row the batch changes, in id order (data/transactions.ts: no deadlock
  // between two batches). A deleted or deactivated user fails the request here, not per operation.
  await lockUserForWrite(manager, userId);
  const named = operations.flatMap((operation) => (operation.op === 'create' ? [] : [operation.id]));
  await lockTransactions(manager, userId, [...new Set(named)]);

  const outcomes: BulkOutcome[] = [];
  for (const operation of operations) {
    try {
      // Inside a transaction, TypeORM's nested transaction is a savepoint.
      const transaction = await manager.transaction((savepoint) =>
        applyOne(context, savepoint, userId, settingsOf, mayFetchRates, operation),
      );
      outcomes.push({ ok: true, operation, transaction });
    } catch (error) {
      if (!isOperationFailure(error)) throw error;
      outcomes.push({ ok: false, operation, failure: error });
    }
  }
  return outcomes;
}

function applyOne(
  context: LedgerContext,
  manager: EntityManager,
  userId: string,
  settingsOf: SettingsOf,
  mayFetchRates: boolean,
  operation: BulkOperation,
): Promise<Transaction> {
  switch (operation.op) {
    case 'create':
      return recordTransaction(context, manager, userId, settingsOf, operation.draft, mayFetchRates);
    case 'patch':
      return applyTransactionPatch(
        context,
        manager,
        userId,
        settingsOf,
        mayFetchRates,
        operation.id,
        operation.patch,
        operation.check,
        { force: operation.force },
      );
    case 'delete':
      return removeTransaction(context, manager, userId, operation.id, operation.check, {
        force: operation.force,
      });
  }
}
