import { transactionTypes } from '@finance/shared';
import { categoryFits, type CategoryKind } from './categories';
import { isEmptyPatch, mergePatch, type MergePatch } from './merge-patch';
import { storableMinorUnits } from './money';
import { RuleViolation, notFoundIn, type FieldProblem } from './problems';

export type TransactionType = (typeof transactionTypes)[number];

export type TransactionField =
  'accountId' | 'toAccountId' | 'categoryId' | 'type' | 'amount' | 'currency' | 'date';

/** A transaction as a client describes it, before any lookup. */
export interface TransactionDraft {
  /** undefined → the user's default account. */
  accountId?: string;
  toAccountId: string | null;
  categoryId: string | null;
  type: TransactionType;
  /** Decimal string in `currency`. */
  amount: string;
  /** undefined → the account's currency. */
  currency?: string;
  description: string;
  notes: string | null;
  payee: string | null;
  tags: string[];
  /** undefined → today in the user's timezone. */
  date?: string;
}

/** A stored transaction as a client sees it (the target of a PATCH). */
export interface TransactionState {
  accountId: string;
  toAccountId: string | null;
  categoryId: string | null;
  type: TransactionType;
  amount: string;
  currency: string;
  description: string;
  notes: string | null;
  payee: string | null;
  tags: string[];
  date: string;
}

/**
 * A PUT: every field is replaced, omitted optional ones reset (notes, payee, category, tags),
 * but the account and the date, when left out, stay as they were: a transaction does not move
 * to the default account or to today because a client did not restate them.
 */
export function replacementDraft(current: TransactionState, replacement: TransactionDraft): TransactionDraft {
  return {
    ...replacement,
    accountId: replacement.accountId ?? current.accountId,
    date: replacement.date ?? current.date,
  };
}

export type TransactionPatch = MergePatch<TransactionState>;

/**
 * A PATCH (JSON merge onto the stored state), or undefined when it changes nothing. The type
 * decides what goes with it: turning a transfer into income/expense drops its to_account_id,
 * turning one into a transfer drops its category (unless the patch sets them); moving to another
 * account without naming a currency takes that account's.
 */
export function patchedDraft(
  current: TransactionState,
  patch: TransactionPatch,
): TransactionDraft | undefined {
  if (isEmptyPatch(patch)) return undefined;
  const merged = mergePatch(current, patch);
  const type = merged.type;
  const accountChanged = merged.accountId !== current.accountId;
  return {
    accountId: merged.accountId,
    toAccountId: patch.toAccountId !== undefined || type === 'transfer' ? (merged.toAccountId ?? null) : null,
    categoryId: patch.categoryId !== undefined || type !== 'transfer' ? (merged.categoryId ?? null) : null,
    type,
    amount: merged.amount,
    currency: patch.currency !== undefined || !accountChanged ? merged.currency : undefined,
    description: merged.description,
    notes: merged.notes ?? null,
    payee: merged.payee ?? null,
    tags: merged.tags,
    date: merged.date,
  };
}

/** The shape rules that need no stored data (checked before any lookup). */
export function transactionShapeProblems(t: {
  type: TransactionType;
  accountId?: string;
  toAccountId: string | null;
  categoryId: string | null;
}): FieldProblem<TransactionField>[] {
  const problems: FieldProblem<TransactionField>[] = [];
  if (t.type === 'transfer') {
    if (!t.toAccountId) problems.push({ field: 'toAccountId', message: 'Required for a transfer' });
    else if (t.toAccountId === t.accountId)
      problems.push({ field: 'toAccountId', message: 'Must differ from account_id' });
    if (t.categoryId) problems.push({ field: 'categoryId', message: 'A transfer has no category' });
  } else if (t.toAccountId) {
    problems.push({ field: 'toAccountId', message: 'Only a transfer has a to_account_id' });
  }
  return problems;
}

/** What the rules need to know about an account a transaction names. */
export interface AccountFacts {
  id: string;
  name: string;
  currency: string;
  archived: boolean;
}

export interface CategoryFacts {
  name: string;
  kind: CategoryKind;
}

/** The money a stored transaction recorded: what an edit that leaves it alone keeps. */
export interface RecordedMoney {
  amountMinor: bigint;
  currency: string;
  baseAmountMinor: bigint;
  baseCurrency: string;
}

/** What a draft refers to, looked up for the user: an id that is not theirs is simply undefined. */
export interface TransactionReferences {
  /** The named account, or the default account when the draft names none. */
  account: AccountFacts | undefined;
  toAccount: AccountFacts | undefined;
  category: CategoryFacts | undefined;
  baseCurrency: string;
  /** Today in the user's timezone, for a draft without a date. */
  today: string;
  /** Set when the draft replaces a stored transaction. */
  recorded?: RecordedMoney;
}

/** What is stored for a transaction (amounts in minor units). */
export interface TransactionValues {
  accountId: string;
  toAccountId: string | null;
  categoryId: string | null;
  type: TransactionType;
  amountMinor: bigint;
  currency: string;
  baseAmountMinor: bigint;
  baseCurrency: string;
  description: string;
  notes: string | null;
  payee: string | null;
  tags: string[];
  date: string;
}

/**
 * The reference and money rules, in the order a client meets them: the accounts are theirs (404),
 * a transfer goes elsewhere (400), no account is archived (409), the amount fits the currency
 * (400), the currencies fit (422), and the category is theirs (404) and fits the type (422).
 */
export function resolveTransaction(draft: TransactionDraft, refs: TransactionReferences): TransactionValues {
  const { account } = refs;
  if (!account) throw notFoundIn<TransactionField>('Account', 'accountId');
  const toAccount = draft.toAccountId === null ? undefined : refs.toAccount;
  if (draft.toAccountId !== null) {
    if (draft.toAccountId === account.id)
      throw new RuleViolation<TransactionField>('invalid', 'The request body is invalid', [
        { field: 'toAccountId', message: 'Must differ from account_id' },
      ]);
    if (!toAccount) throw notFoundIn<TransactionField>('Account', 'toAccountId');
  }
  for (const [a, field] of [
    [account, 'accountId'],
    [toAccount, 'toAccountId'],
  ] as const) {
    if (a?.archived)
      throw new RuleViolation<TransactionField>(
        'conflict',
        `The account "${a.name}" is archived and takes no transactions; unarchive it first`,
        [{ field, message: 'Account is archived' }],
      );
  }

  const currency = draft.currency ?? account.currency;
  const amountMinor = storableMinorUnits<TransactionField>(draft.amount, currency, 'amount');
  const base = baseAmountOf({ amountMinor, currency }, account, { ...refs, toAccount });

  if (draft.categoryId !== null) {
    const { category } = refs;
    if (!category) throw notFoundIn<TransactionField>('Category', 'categoryId');
    if (!categoryFits(category.kind, draft.type))
      throw new RuleViolation<TransactionField>(
        'unprocessable',
        `The category "${category.name}" is for ${category.kind} transactions, not ${draft.type}`,
        [{ field: 'categoryId', message: `A ${category.kind} category cannot hold a ${draft.type}` }],
      );
  }

  return {
    accountId: account.id,
    toAccountId: toAccount?.id ?? null,
    categoryId: draft.categoryId,
    type: draft.type,
    amountMinor,
    currency,
    ...base,
    description: draft.description,
    notes: draft.notes,
    payee: draft.payee,
    tags: [...new Set(draft.tags)],
    date: draft.date ?? refs.today,
  };
}

/**
 * The amount in the user's base currency. The amount is in its account's currency, and a
 * transfer stays within one currency. Money a transaction already recorded (same amount, same
 * currency) keeps the base amount it was converted to then, with that base currency's label, so
 * a later change of base currency never relabels it. New money needs a conversion into the
 * current base currency, and until exchange rates exist only the identity one is available.
 */
export function baseAmountOf(
  money: { amountMinor: bigint; currency: string },
  account: AccountFacts,
  refs: Pick<TransactionReferences, 'toAccount' | 'baseCurrency' | 'recorded'>,
): { baseAmountMinor: bigint; baseCurrency: string } {
  const { currency } = money;
  if (currency !== account.currency)
    throw unconvertible(`Must be the account's currency (${account.currency})`, 'currency');
  if (refs.toAccount && refs.toAccount.currency !== account.currency)
    throw unconvertible(
      'Transfers between accounts of different currencies are not available yet',
      'toAccountId',
    );
  const { recorded, baseCurrency } = refs;
  if (recorded && recorded.amountMinor === money.amountMinor && recorded.currency === currency)
    return { baseAmountMinor: recorded.baseAmountMinor, baseCurrency: recorded.baseCurrency };
  if (currency === baseCurrency) return { baseAmountMinor: money.amountMinor, baseCurrency };
  throw new RuleViolation<TransactionField>(
    'unprocessable',
    `The account "${account.name}" is in ${currency}, but your base currency is ${baseCurrency}: ` +
      `converting ${currency} to ${baseCurrency} is not available yet, so this account takes no new amounts. ` +
      `Record it in an account in ${baseCurrency}, or set your base currency to ${currency}.`,
    [
      {
        field: 'currency',
        message: `${currency} cannot be converted to your base currency ${baseCurrency} yet`,
      },
    ],
  );
}

function unconvertible(message: string, field: TransactionField): RuleViolation<TransactionField> {
  return new RuleViolation('unprocessable', message, [{ field, message }]);
}
