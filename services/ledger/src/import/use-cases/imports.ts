import type { EntityManager } from 'typeorm';
import {
  HttpProblem,
  lockUserForWrite,
  publishEvents,
  runIdempotently,
  type IdempotentAnswer,
} from '@finance/shared';
import { missing } from '../../domain/problems';
import { transactionState } from '../../events/payloads';
import { guardReconciledChange } from '../../reconciliation/use-cases/locked-transactions';
import type { LedgerContext } from '../../use-cases/context';
import { withUserSettings } from '../../use-cases/context';
import { withRates } from '../../use-cases/exchange-rates';
import { fxContextOf } from '../../use-cases/fx-conversions';
import {
  finishImport,
  findImport,
  insertImport,
  markUndone,
  type ImportRecord,
  type ImportRequestOptions,
} from '../data/imports';
import { deleteTransactionsByIds, transactionsOfImport } from '../data/transactions';
import {
  importStatement,
  publishImportCompleted,
  readStatement,
  type ImportOutcome,
  type StatementReader,
} from './import-statement';

/** An import request as the route hands it over: the file (an iterable of its bytes) and what to do. */
export interface ImportRequest {
  importId: string;
  userId: string;
  fileName: string | null;
  options: ImportRequestOptions;
  reader: StatementReader;
  maxRows: number;
}

/** Thrown to roll a dry run back, carrying what it found. */
class DryRunDone extends Error {
  constructor(readonly outcome: ImportOutcome) {
    super('dry run');
  }
}

/** Thrown to roll back an import with bad rows (no skip_invalid): nothing stays. */
export class ImportRefused extends Error {
  constructor(readonly outcome: ImportOutcome) {
    super('import refused');
  }
}

/** The full preview: everything the import would do, in a transaction that is rolled back. */
export async function previewImport(
  context: LedgerContext,
  request: ImportRequest,
  input: () => AsyncIterable<Buffer>,
): Promise<ImportOutcome> {
  try {
    await withRates(fxContextOf(context), (mayFetchRates) =>
      withUserSettings(context, request.userId, (settingsOf) =>
        context.dataSource.transaction(async (manager) => {
          const outcome = await readAndImport(context, manager, request, input(), mayFetchRates, settingsOf);
          throw new DryRunDone(outcome);
        }),
      ),
    );
  } catch (error) {
    if (error instanceof DryRunDone) return error.outcome;
    throw error;
  }
  throw new Error('unreachable: a dry run always rolls back');
}

/** The file read, then its rows checked and written in `manager`'s transaction (nothing written when refused). */
async function readAndImport(
  context: LedgerContext,
  manager: EntityManager,
  request: ImportRequest,
  input: AsyncIterable<Buffer>,
  mayFetchRates: boolean,
  settingsOf: Parameters<typeof importStatement>[3],
  onRows?: (rows: number) => Promise<void>,
): Promise<ImportOutcome> {
  const statement = await readStatement(
    request.reader,
    input,
    { maxRows: request.maxRows, mapping: request.options.mapping },
    onRows,
  );
  return importStatement(context, manager, request.userId, settingsOf, mayFetchRates, statement, {
    ...request.options,
    importId: request.importId,
  });
}

/**
 * Reads and imports a file in one DB transaction with its record and `ledger.import.completed`;
 * `manager` is that transaction (the Idempotency-Key's, or a background job's).
 */
export async function applyImport(
  context: LedgerContext,
  manager: EntityManager,
  request: ImportRequest,
  input: AsyncIterable<Buffer>,
  mayFetchRates: boolean,
  settingsOf: Parameters<typeof importStatement>[3],
  hooks: { recordExists: boolean; onRows?: (rows: number) => Promise<void> },
): Promise<ImportOutcome> {
  const outcome = await readAndImport(
    context,
    manager,
    request,
    input,
    mayFetchRates,
    settingsOf,
    hooks.onRows,
  );
  if (outcome.refused) throw new ImportRefused(outcome);
  const now = context.clock();
  if (!hooks.recordExists)
    await insertImport(
      manager,
      {
        id: request.importId,
        userId: request.userId,
        format: request.options.format,
        fileName: request.fileName,
        status: 'running',
        options: request.options,
      },
      now,
    );
  await finishImport(manager, request.importId, completedOutcome(outcome), now);
  await publishImportCompleted(manager, request.userId, request.importId, request.fileName, {
    imported: outcome.transactions.length,
    skipped: outcome.duplicates.length,
    failed: outcome.problems.length,
  });
  return outcome;
}

export function completedOutcome(outcome: ImportOutcome) {
  return {
    status: 'completed' as const,
    accountId: outcome.accountId,
    rowsTotal: outcome.rowsTotal,
    imported: outcome.transactions.length,
    duplicates: outcome.duplicates.length,
    invalid: outcome.problems.length,
    problems: { problems: outcome.problems, duplicates: outcome.duplicates, dialect: outcome.dialect },
    failure: null,
  };
}

/** A synchronous import under the request's Idempotency-Key. */
export function importNow<T>(
  context: LedgerContext,
  request: ImportRequest,
  input: () => AsyncIterable<Buffer>,
  idempotency: { key: string | undefined; fingerprint: unknown; scope: string },
  present: (record: ImportRecord) => T,
): Promise<IdempotentAnswer<T>> {
  return withRates(fxContextOf(context), (mayFetchRates) =>
    withUserSettings(context, request.userId, (settingsOf) =>
      runIdempotently(
        context.dataSource,
        {
          scope: idempotency.scope,
          userId: request.userId,
          key: idempotency.key,
          body: idempotency.fingerprint,
        },
        async (manager) => {
          await applyImport(context, manager, request, input(), mayFetchRates, settingsOf, {
            recordExists: false,
          });
          const record = await findImport(manager, request.userId, request.importId);
          return { status: 201, body: present(record!) };
        },
      ),
    ),
  );
}

/** Records a background import (its file already staged under its id): the job takes it from there. */
export function enqueueImport<T>(
  context: LedgerContext,
  request: ImportRequest,
  idempotency: { key: string | undefined; fingerprint: unknown; scope: string },
  present: (record: ImportRecord) => T,
): Promise<IdempotentAnswer<T>> {
  return runIdempotently(
    context.dataSource,
    { scope: idempotency.scope, userId: request.userId, key: idempotency.key, body: idempotency.fingerprint },
    async (manager) => {
      await insertImport(
        manager,
        {
          id: request.importId,
          userId: request.userId,
          format: request.options.format,
          fileName: request.fileName,
          status: 'pending',
          options: request.options,
        },
        context.clock(),
      );
      const record = await findImport(manager, request.userId, request.importId);
      return { status: 202, body: present(record!) };
    },
  );
}

export async function getImport(context: LedgerContext, userId: string, id: string): Promise<ImportRecord> {
  const record = await findImport(context.dataSource.manager, userId, id);
  if (!record) throw missing('Import');
  return record;
}

/**
 * Undo: deletes the transactions the import created that are still there, publishing
 * `ledger.transaction.deleted` for each, in one DB transaction. Ones changed since the import (a
 * later version) are listed in a 409 unless `force`.
 */
export async function undoImport(
  context: LedgerContext,
  userId: string,
  id: string,
  force: boolean,
): Promise<ImportRecord> {
  return context.dataSource.transaction(async (manager) => {
    await lockUserForWrite(manager, userId);
    const record = await findImport(manager, userId, id, { lock: true });
    if (!record) throw missing('Import');
    if (record.status === 'undone') return record;
    if (record.status !== 'completed')
      throw new HttpProblem(409, `The import is ${record.status}; only a completed import can be undone`);
    const created = await transactionsOfImport(manager, userId, id);
    const changed = created.filter((t) => t.version > 1);
    if (changed.length > 0 && !force)
      throw new HttpProblem(
        409,
        `${changed.length} transaction(s) of this import changed since it ran; undo with ?force=true to delete them too`,
        {
          errors: changed
            .slice(0, 100)
            .map((t) => ({ field: `transactions.${t.id}`, message: 'Changed since the import' })),
          extensions: { changed_transaction_ids: changed.map((t) => t.id) },
        },
      );
    // A forced undo deletes reconciled ones too: audited as any forced deletion.
    const now = context.clock();
    for (const t of created)
      await guardReconciledChange(manager, t, null, { force: true, actorId: userId, now });
    await deleteTransactionsByIds(
      manager,
      userId,
      created.map((t) => t.id),
    );
    await publishEvents(
      manager,
      created.map((t) => ({
        type: 'ledger.transaction.deleted' as const,
        userId,
        aggregateId: t.id,
        aggregateVersion: t.version + 1,
        payload: transactionState(t),
      })),
    );
    await markUndone(manager, id, context.clock());
    return (await findImport(manager, userId, id))!;
  });
}
