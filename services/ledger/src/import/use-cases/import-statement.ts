import type { EntityManager } from 'typeorm';
import { localDate, newId, publishEvent, publishEvents } from '@finance/shared';
import { RuleViolation, notFoundIn } from '../../domain/problems';
import { resolveTransaction, type TransactionField, type TransactionValues } from '../../domain/transactions';
import { defaultAccountOf } from '../../data/accounts';
import { insertCategory } from '../../data/categories';
import { draftReferences } from '../../data/draft-references';
import type { Transaction } from '../../data/entities';
import { publishAccountChange, publishCategoryChange } from '../../events/publish';
import { transactionState } from '../../events/payloads';
// The ledger's own rules for a transaction's fields (amount, date, text lengths): one definition
// for POST /transactions and for every imported row.
import { transactionBody } from '../../http/transaction-schemas';
import type { LedgerContext, SettingsOf } from '../../use-cases/context';
import { quotesFor } from '../../use-cases/exchange-rates';
import { conversionsNeeded, fxContextOf } from '../../use-cases/fx-conversions';
import type { FxQuote } from '../../domain/fx';
import { DuplicateIndex, signedAmount } from '../domain/duplicates';
import {
  COLUMN_OF_FIELD,
  createdCategoryKind,
  nameKey,
  rowDraft,
  type ImportAccount,
  type ImportCategory,
} from '../domain/rows';
import type { RowProblem, StatementDialect, StatementItem, StatementRow } from '../formats/statement';
import { StatementError } from '../formats/statement';
import type { DuplicateRow, ImportRequestOptions } from '../data/imports';
import { insertTransactions, storedEntries } from '../data/transactions';
import type { RuleEffect } from '../../rules/domain/engine';
import { loadRuleSet, runRuleSet } from '../../rules/use-cases/rule-runs';
import { insertSplitRows, splitRowsOf } from '../../data/transaction-splits';

/**
 * A bank-file reader: the file's bytes in, statement items out (formats/: CSV, OFX, CAMT). Every
 * format goes through the same pipeline below.
 */
export type StatementReader = (
  input: AsyncIterable<Buffer | string>,
  options: { maxRows: number; mapping?: unknown },
) => AsyncGenerator<StatementItem>;

/** A file as read: its rows, the problems of those that could not be read, what the reader detected. */
export interface Statement {
  dialect: StatementDialect | null;
  rows: StatementRow[];
  problems: RowProblem[];
}

/** Reads the whole file (rows are held; the file's bytes are not), reporting progress every 1,000 rows. */
export async function readStatement(
  reader: StatementReader,
  input: AsyncIterable<Buffer | string>,
  options: { maxRows: number; mapping: unknown },
  onRows?: (rows: number) => Promise<void>,
): Promise<Statement> {
  const statement: Statement = { dialect: null, rows: [], problems: [] };
  try {
    for await (const item of reader(failuresMarked(input), {
      maxRows: options.maxRows,
      mapping: options.mapping ?? undefined,
    })) {
      if (item.kind === 'dialect') statement.dialect = item.dialect;
      else if (item.kind === 'problem') statement.problems.push(item.problem);
      else {
        statement.rows.push(item.row);
        if (onRows && statement.rows.length % 1_000 === 0) await onRows(statement.rows.length);
      }
    }
  } catch (error) {
    if (error instanceof StatementError) throw error;
    if (error instanceof InputFailure) throw error.failure;
    // Whatever else a reader throws (a parser's own error) is about the file, never a 500.
    throw new StatementError(`The file cannot be read: ${(error as Error)?.message ?? String(error)}`);
  }
  if (statement.rows.length + statement.problems.length === 0)
    throw new StatementError('The file has no rows to import');
  return statement;
}

/** A failure of the input itself (the staged file's database read), told apart from the reader's own. */
class InputFailure extends Error {
  constructor(readonly failure: unknown) {
    super('input failed');
  }
}

async function* failuresMarked(input: AsyncIterable<Buffer | string>): AsyncGenerator<Buffer | string> {
  const iterator = input[Symbol.asyncIterator]();
  for (;;) {
    let next: IteratorResult<Buffer | string>;
    try {
      next = await iterator.next();
    } catch (error) {
      throw new InputFailure(error);
    }
    if (next.done) return;
    yield next.value;
  }
}

/** What an import did (or, in a dry run, would do). */
export interface ImportOutcome {
  accountId: string;
  rowsTotal: number;
  /** Written (or that would be): the transactions themselves. */
  transactions: Transaction[];
  duplicates: DuplicateRow[];
  problems: RowProblem[];
  dialect: StatementDialect | null;
  /** Bad rows and no skip_invalid: nothing was written. */
  refused: boolean;
  /** What the user's rules did, per row they matched. */
  ruleEffects: RowRuleEffects[];
}

export interface RowRuleEffects {
  line: number;
  effects: RuleEffect[];
}

const DEFAULT_CATEGORY_COLOR = '#9ca3af';

const wireRow = transactionBody.pick({
  amount: true,
  currency: true,
  transaction_type: true,
  description: true,
  notes: true,
  date: true,
  payee: true,
  tags: true,
});
const WIRE_COLUMN: Record<string, string> = { transaction_type: 'transaction_type' };

function violationProblem(line: number, violation: RuleViolation): RowProblem {
  const [first] = violation.problems;
  const field = first?.field as TransactionField | undefined;
  return {
    line,
    column: field ? (COLUMN_OF_FIELD[field] ?? field) : null,
    // The detail says it whole when it already holds the field's message (a missing rate does).
    reason:
      !first || violation.detail.includes(first.message)
        ? violation.detail
        : `${first.message}: ${violation.detail}`,
  };
}

/**
 * The import pipeline, in the caller's DB transaction: the user locked, their accounts and
 * categories read once (share-locked, as a single write reads them), each row checked with the
 * ledger's transaction rules, duplicates found against the file's date range read once, then the
 * transactions and their `ledger.transaction.created` written a thousand per statement. Nothing is
 * written when a row is bad and `skipInvalid` is off (the outcome says `refused`), nor when the
 * caller rolls back (a dry run).
 */
export async function importStatement(
  context: LedgerContext,
  manager: EntityManager,
  userId: string,
  settingsOf: SettingsOf,
  mayFetchRates: boolean,
  statement: Statement,
  options: ImportRequestOptions & { importId: string },
): Promise<ImportOutcome> {
  const now = context.clock();
  const references = await draftReferences(manager, userId, { accountIds: [], categoryId: null });
  const settings = settingsOf(references.user);
  const accountRows: Array<ImportAccount & { is_default: boolean }> = await manager.query(
    `SELECT id, name, currency, archived, is_default FROM accounts WHERE user_id = $1 ORDER BY id FOR SHARE`,
    [userId],
  );
  let target: ImportAccount | undefined;
  if (options.accountId) {
    target = accountRows.find((a) => a.id === options.accountId);
    if (!target) throw notFoundIn('Account', 'accountId');
  } else {
    target = accountRows.find((a) => a.is_default);
    if (!target) {
      const made = await defaultAccountOf(manager, userId, settings.baseCurrency, now);
      if (made.created) await publishAccountChange(manager, 'created', made.account);
      target = made.account;
      accountRows.push({ ...made.account, is_default: true });
    }
  }
  const accounts = new Map(accountRows.map((a) => [nameKey(a.name), a] as const));
  const categoryRows: ImportCategory[] = await manager.query(
    `SELECT id, name, kind FROM categories WHERE user_id = $1 ORDER BY id FOR SHARE`,
    [userId],
  );
  const categories = new Map(categoryRows.map((c) => [nameKey(c.name), c] as const));
  const lookups = { target, accounts, categories };

  const problems = [...statement.problems];
  const drafts: Array<
    Extract<ReturnType<typeof rowDraft>, { kind: 'draft' }> & { line: number; externalId: string | null }
  > = [];
  const newCategories = new Map<string, { name: string; types: Set<'income' | 'expense'> }>();
  for (const row of statement.rows) {
    const shaped = wireRow.safeParse({
      amount: row.amount.replace(/^-/, ''),
      currency: row.currency ?? undefined,
      transaction_type: row.type ?? (row.amount.startsWith('-') ? 'expense' : 'income'),
      description: row.description,
      notes: row.notes,
      date: row.date,
      payee: row.payee,
      tags: row.tags,
    });
    if (!shaped.success) {
      const issue = shaped.error.issues[0];
      const column = String(issue.path[0] ?? '');
      problems.push({ line: row.line, column: WIRE_COLUMN[column] ?? column, reason: issue.message });
      continue;
    }
    const planned = rowDraft(row, lookups);
    if (planned.kind === 'problem') {
      problems.push(planned.problem);
      continue;
    }
    planned.draft.date = shaped.data.date!;
    planned.draft.amount = shaped.data.amount;
    if (planned.newCategory !== null) {
      if (!options.createCategories) {
        problems.push({
          line: row.line,
          column: 'category',
          reason: `you have no category named "${planned.newCategory}" (create it, or import with create_categories=true)`,
        });
        continue;
      }
      const key = nameKey(planned.newCategory);
      const entry = newCategories.get(key) ?? { name: planned.newCategory, types: new Set() };
      if (planned.draft.type !== 'transfer') entry.types.add(planned.draft.type);
      newCategories.set(key, entry);
    }
    drafts.push({ ...planned, line: row.line, externalId: row.externalId });
  }

  for (const [key, entry] of newCategories) {
    const category = await insertCategory(
      manager,
      userId,
      {
        name: entry.name,
        color: DEFAULT_CATEGORY_COLOR,
        icon: null,
        kind: createdCategoryKind(entry.types),
        parentId: null,
      },
      now,
    );
    await publishCategoryChange(manager, 'created', category);
    categories.set(key, { id: category.id, name: category.name, kind: category.kind });
  }

  // The user's rules, loaded once per import, on every row before it is checked and before
  // duplicates are looked for: a renamed description is what the duplicate check compares.
  const ruleSet = await loadRuleSet(context, manager, userId);
  const ruleEffects: RowRuleEffects[] = [];
  const accountsById = new Map(accountRows.map((a) => [a.id, a] as const));
  for (const d of drafts) {
    if (d.newCategory !== null) d.draft.categoryId = categories.get(nameKey(d.newCategory))!.id;
    const ruled = runRuleSet(ruleSet, d.draft, { accountId: d.account.id, currency: d.account.currency });
    if (ruled.effects.length === 0) continue;
    Object.assign(d.draft, ruled.draft); // rules change neither its account nor its date
    if (d.draft.toAccountId !== null) d.toAccount = accountsById.get(d.draft.toAccountId);
    ruleEffects.push({ line: d.line, effects: ruled.effects });
  }

  // Stored rates, read once per day that needs one (a file in the base currency needs none).
  const today = localDate(now, settings.timezone);
  const needsByDate = new Map<string, Map<string, { from: string; to: string; date: string }>>();
  for (const d of drafts)
    for (const need of conversionsNeeded(d.draft, d.account, d.toAccount, settings.baseCurrency, today)) {
      const day = needsByDate.get(need.date) ?? new Map();
      day.set(`${need.from}>${need.to}`, need);
      needsByDate.set(need.date, day);
    }
  const quotesByDate = new Map<string, Map<string, FxQuote>>();
  for (const [date, needs] of needsByDate)
    quotesByDate.set(
      date,
      await quotesFor(fxContextOf(context), manager, [...needs.values()], mayFetchRates),
    );

  const categoriesById = new Map([...categories.values()].map((c) => [c.id, c] as const));
  const valid: Array<{ values: TransactionValues; line: number; externalId: string | null }> = [];
  for (const d of drafts) {
    const category = d.draft.categoryId === null ? undefined : categoriesById.get(d.draft.categoryId);
    try {
      const values = resolveTransaction(d.draft, {
        account: d.account,
        toAccount: d.toAccount,
        category,
        splitCategories: categoriesById, // parts a rule made name the user's categories
        baseCurrency: settings.baseCurrency,
        today,
        quotes: quotesByDate.get(d.draft.date) ?? new Map(),
      });
      valid.push({ values, line: d.line, externalId: d.externalId });
    } catch (error) {
      if (!(error instanceof RuleViolation)) throw error;
      problems.push(violationProblem(d.line, error));
    }
  }
  problems.sort((a, b) => a.line - b.line);

  const duplicates: DuplicateRow[] = [];
  const toWrite: Transaction[] = [];
  if (valid.length > 0) {
    const dates = valid.map((v) => v.values.date).sort();
    const externalIds = valid.map((v) => v.externalId).filter((id): id is string => id !== null);
    const index = new DuplicateIndex();
    for (const stored of await storedEntries(
      manager,
      userId,
      { from: dates[0], to: dates[dates.length - 1] },
      externalIds,
    ))
      index.add(
        {
          accountId: stored.account_id,
          date: stored.date,
          signedAmountMinor: signedAmount(stored.transaction_type, BigInt(stored.amount_minor)),
          description: stored.description,
        },
        stored.external_id,
      );
    for (const { values, line, externalId } of valid) {
      const facts = {
        accountId: values.accountId,
        date: values.date,
        signedAmountMinor: signedAmount(values.type, values.amountMinor),
        description: values.description,
      };
      const duplicate = index.match(facts, externalId);
      if (duplicate && options.duplicates === 'skip') {
        duplicates.push({ line, reason: duplicate });
        continue;
      }
      index.add(facts, externalId);
      toWrite.push(transactionOf(values, userId, options.importId, externalId, now));
    }
  }

  const outcome: ImportOutcome = {
    accountId: target.id,
    rowsTotal: statement.rows.length + statement.problems.length,
    transactions: toWrite,
    duplicates,
    problems,
    dialect: statement.dialect,
    refused: problems.length > 0 && !options.skipInvalid,
    ruleEffects,
  };
  if (outcome.refused) return outcome;
  await insertTransactions(manager, toWrite);
  await insertSplitRows(
    manager,
    toWrite.flatMap((t) => t.splits ?? []),
  );
  await publishEvents(
    manager,
    toWrite.map((t) => ({
      type: 'ledger.transaction.created' as const,
      userId,
      aggregateId: t.id,
      aggregateVersion: 1,
      payload: transactionState(t),
    })),
  );
  return outcome;
}

function transactionOf(
  values: TransactionValues,
  userId: string,
  importId: string,
  externalId: string | null,
  now: Date,
): Transaction {
  const { splits, ...columns } = values;
  const transaction: Transaction = {
    ...columns,
    amountMinor: values.amountMinor.toString(),
    baseAmountMinor: values.baseAmountMinor.toString(),
    toAmountMinor: values.toAmountMinor === null ? null : values.toAmountMinor.toString(),
    id: newId(),
    userId,
    externalId,
    importId,
    version: 1,
    createdAt: now,
    updatedAt: now,
  };
  transaction.splits = splitRowsOf(transaction, splits);
  return transaction;
}

/** `ledger.import.completed`, in the import's transaction. */
export async function publishImportCompleted(
  manager: EntityManager,
  userId: string,
  importId: string,
  fileName: string | null,
  counts: { imported: number; skipped: number; failed: number },
): Promise<void> {
  await publishEvent(manager, {
    type: 'ledger.import.completed',
    userId,
    aggregateId: importId,
    aggregateVersion: 1,
    payload: { importId, fileName, ...counts },
  });
}
