import type { StatementRow, RowProblem } from '../formats/statement';
import type { AccountFacts, TransactionDraft, TransactionField } from '../../domain/transactions';
import type { CategoryKind } from '../../domain/categories';

/** An account of the user as an import matches it (by name, case-insensitively). */
export type ImportAccount = AccountFacts;

export interface ImportCategory {
  id: string;
  name: string;
  kind: CategoryKind;
}

/** What rows are matched against: the user's accounts and categories, and where rows go by default. */
export interface ImportLookups {
  /** The import's account: a row that names none goes there. */
  target: ImportAccount;
  /** By {@link nameKey}. */
  accounts: ReadonlyMap<string, ImportAccount>;
  /** By {@link nameKey}. */
  categories: ReadonlyMap<string, ImportCategory>;
}

/** How names are matched: case-insensitively, surrounding whitespace ignored. */
export function nameKey(name: string): string {
  return name.trim().toLowerCase();
}

/** Where each transaction rule's field is in a statement (the problem's column). */
export const COLUMN_OF_FIELD: Readonly<Record<TransactionField, string>> = {
  accountId: 'account',
  toAccountId: 'to_account',
  categoryId: 'category',
  type: 'transaction_type',
  amount: 'amount',
  currency: 'currency',
  date: 'date',
};

/** A row as a transaction to check, or why it cannot be one; `newCategory`: a name the user has no category for. */
export type RowDraft =
  | {
      kind: 'draft';
      draft: TransactionDraft & { accountId: string; date: string };
      account: ImportAccount;
      toAccount: ImportAccount | undefined;
      newCategory: string | null;
    }
  | { kind: 'problem'; problem: RowProblem };

const ZERO = /^-?0*(\.0*)?$/;

/**
 * A statement row as a transaction draft: the type from the file or from the sign (money in:
 * income, out: expense), the amount without its sign, the account named in the file or the
 * import's, the category by name. What the stored data must decide (archived accounts,
 * currencies, the category's kind) is left to the ledger's transaction rules.
 */
export function rowDraft(row: StatementRow, lookups: ImportLookups): RowDraft {
  const problem = (column: string | null, reason: string): RowDraft => ({
    kind: 'problem',
    problem: { line: row.line, column, reason },
  });
  const negative = row.amount.startsWith('-');
  const amount = negative ? row.amount.slice(1) : row.amount;
  if (ZERO.test(row.amount)) return problem('amount', 'an amount of zero records nothing');
  const type = row.type ?? (negative ? 'expense' : 'income');
  if (row.type !== null && negative !== (row.type !== 'income'))
    return problem('amount', `a ${row.type} must be ${row.type === 'income' ? 'money in' : 'money out'}`);

  let account = lookups.target;
  if (row.account !== null) {
    const named = lookups.accounts.get(nameKey(row.account));
    if (!named) return problem('account', `you have no account named "${row.account}"`);
    account = named;
  }
  let toAccount: ImportAccount | undefined;
  if (type === 'transfer') {
    if (row.toAccount === null) return problem('to_account', 'a transfer needs the account it goes to');
    toAccount = lookups.accounts.get(nameKey(row.toAccount));
    if (!toAccount) return problem('to_account', `you have no account named "${row.toAccount}"`);
  } else if (row.toAccount !== null) return problem('to_account', 'only a transfer has a to_account');

  let categoryId: string | null = null;
  let newCategory: string | null = null;
  if (row.category !== null && row.category.trim() !== '') {
    if (type === 'transfer') return problem('category', 'a transfer has no category');
    const known = lookups.categories.get(nameKey(row.category));
    if (known) categoryId = known.id;
    else newCategory = row.category.trim();
  }
  return {
    kind: 'draft',
    draft: {
      accountId: account.id,
      toAccountId: toAccount?.id ?? null,
      categoryId,
      type,
      amount,
      currency: row.currency ?? undefined,
      description: row.description,
      notes: row.notes,
      payee: row.payee,
      tags: row.tags,
      date: row.date,
    },
    account,
    toAccount,
    newCategory,
  };
}

/** The kind a category created by an import gets: what its rows need. */
export function createdCategoryKind(types: ReadonlySet<'income' | 'expense'>): CategoryKind {
  if (types.size === 2) return 'both';
  return types.has('income') ? 'income' : 'expense';
}
