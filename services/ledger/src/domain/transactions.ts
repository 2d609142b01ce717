import { clearedStatuses, transactionTypes } from '@finance/shared';
import { categoryFits, type CategoryKind } from './categories';
import { convertWith, formatRate, noRateMessage, type FxQuote } from './fx';
import { isEmptyPatch, mergePatch, type MergePatch } from './merge-patch';
import { storableMinorUnits } from './money';
import { RuleViolation, notFoundIn, type FieldProblem } from './problems';
import { resolveSplits, type SplitValues } from './splits';

export type TransactionType = (typeof transactionTypes)[number];

/** Where a transaction stands against the bank: `reconciled` only ever comes from a reconciliation. */
export type ClearedStatus = (typeof clearedStatuses)[number];

/** The fields a transaction rule may name (the parts' own: {@link SplitField}). */
export type TransactionField =
  'accountId' | 'toAccountId' | 'categoryId' | 'type' | 'amount' | 'currency' | 'date';

/**
 * One part of a split transaction as a client (or a rule) describes it: a positive decimal string
 * in the transaction's currency; the parts of a transaction sum exactly to its amount.
 */
export interface SplitDraft {
  amount: string;
  categoryId: string | null;
  notes: string | null;
  tags: string[];
}

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
  /** undefined or [] → not split. */
  splits?: SplitDraft[];
  /** undefined → uncleared (a PUT or PATCH keeps the stored status). */
  cleared?: ClearedStatus;
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
  cleared: ClearedStatus;
  /** The parts of a split transaction ([] or null: not split). */
  splits: SplitDraft[] | null;
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
    // The reconciliation state is not a description a client restates: omitted, it stays.
    cleared: replacement.cleared ?? current.cleared,
  };
}

export type TransactionPatch = MergePatch<TransactionState>;

/**
 * A PATCH (JSON merge onto the stored state), or undefined when it changes nothing. The type
 * decides what goes with it: turning a transfer into income/expense drops its to_account_id,
 * turning one into a transfer drops its category and its parts (unless the patch sets them);
 * moving to another account without naming a currency takes that account's. `splits` replaces
 * the parts whole (null or [] removes the split); splitting a transaction drops its own category
 * (the parts carry the categories) unless the patch names one. The stored parts stay otherwise, so
 * a new amount without new parts no longer sums and is refused (400 on `splits`).
 */
export function patchedDraft(
  current: TransactionState,
  patch: TransactionPatch,
): TransactionDraft | undefined {
  if (isEmptyPatch(patch)) return undefined;
  const merged = mergePatch(current, patch);
  const type = merged.type;
  const accountChanged = merged.accountId !== current.accountId;
  const splits = patch.splits !== undefined || type !== 'transfer' ? (merged.splits ?? []) : [];
  const splitting = patch.splits !== undefined && splits.length > 0;
  return {
    accountId: merged.accountId,
    toAccountId: patch.toAccountId !== undefined || type === 'transfer' ? (merged.toAccountId ?? null) : null,
    categoryId:
      patch.categoryId !== undefined || (type !== 'transfer' && !splitting)
        ? (merged.categoryId ?? null)
        : null,
    type,
    amount: merged.amount,
    currency: patch.currency !== undefined || !accountChanged ? merged.currency : undefined,
    description: merged.description,
    notes: merged.notes ?? null,
    payee: merged.payee ?? null,
    tags: merged.tags,
    date: merged.date,
    cleared: merged.cleared,
    splits,
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
  date: string;
  fxRate: string | null;
  fxRateDate: string | null;
  toAmountMinor: bigint | null;
  toCurrency: string | null;
}

/** What a draft refers to, looked up for the user: an id that is not theirs is simply undefined. */
export interface TransactionReferences {
  /** The named account, or the default account when the draft names none. */
  account: AccountFacts | undefined;
  toAccount: AccountFacts | undefined;
  category: CategoryFacts | undefined;
  /** The categories the draft's parts name, by id (absent: not the user's). */
  splitCategories: ReadonlyMap<string, CategoryFacts>;
  baseCurrency: string;
  /** Today in the user's timezone, for a draft without a date. */
  today: string;
  /** Set when the draft replaces a stored transaction. */
  recorded?: RecordedMoney;
  /** Stored rates for the conversions the draft may need, keyed `FROM>TO` (see fxQuoteKey). */
  quotes: ReadonlyMap<string, FxQuote>;
}

export function fxQuoteKey(from: string, to: string): string {
  return `${from}>${to}`;
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
  /** The rate `currency`→`baseCurrency` used (null: no conversion) and the rate's own date. */
  fxRate: string | null;
  fxRateDate: string | null;
  /** A transfer between currencies: what arrived in the receiving account, in its currency. */
  toAmountMinor: bigint | null;
  toCurrency: string | null;
  description: string;
  notes: string | null;
  payee: string | null;
  tags: string[];
  date: string;
  cleared: ClearedStatus;
  /** The parts, in order ([]: not split). */
  splits: SplitValues[];
}

/**
 * The reference and money rules, in the order a client meets them: the accounts are theirs (404),
 * a transfer goes elsewhere (400), no account is archived (409), the amount fits the currency
 * (400), the currencies fit (422), and the category is theirs (404) and fits the type (422);
 * then the parts of a split ({@link resolveSplits}), whose transaction has no category of its own.
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
  const date = draft.date ?? refs.today;
  const base = baseAmountOf({ amountMinor, currency, date }, account, { ...refs, toAccount });

  if (draft.splits?.length && draft.categoryId !== null)
    throw new RuleViolation<TransactionField>(
      'invalid',
      "A split transaction's categories are in its parts; send category_id: null with splits",
      [{ field: 'categoryId', message: 'Must be null when the transaction is split' }],
    );
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

  const splits = resolveSplits(
    draft.splits,
    { type: draft.type, currency, amountMinor, baseAmountMinor: base.baseAmountMinor },
    refs.splitCategories,
  );

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
    date,
    cleared: draft.cleared ?? 'uncleared',
    splits,
  };
}

/**
 * The amount in the user's base currency, at the latest stored rate on or before the
 * transaction's date (Friday's for a Sunday), rounded half-even once, with the rate and its date;
 * a transfer between currencies also gets what arrived, at the same day's rate. The amount is in
 * its account's currency. Money a transaction already recorded (same amount, currency and date)
 * keeps what it was converted to then, with that base currency's label, so a later change of base
 * currency or of stored rates never relabels it silently. No stored rate: a 422 naming the pair
 * and the date, never an invented rate.
 */
export function baseAmountOf(
  money: { amountMinor: bigint; currency: string; date: string },
  account: AccountFacts,
  refs: Pick<TransactionReferences, 'toAccount' | 'baseCurrency' | 'recorded' | 'quotes'>,
): {
  baseAmountMinor: bigint;
  baseCurrency: string;
  fxRate: string | null;
  fxRateDate: string | null;
  toAmountMinor: bigint | null;
  toCurrency: string | null;
} {
  const { currency, date } = money;
  if (currency !== account.currency)
    throw unconvertible(`Must be the account's currency (${account.currency})`, 'currency');
  const { recorded, baseCurrency } = refs;
  if (
    recorded &&
    recorded.amountMinor === money.amountMinor &&
    recorded.currency === currency &&
    recorded.date === date &&
    (recorded.toCurrency ?? currency) === (refs.toAccount?.currency ?? currency)
  )
    return {
      baseAmountMinor: recorded.baseAmountMinor,
      baseCurrency: recorded.baseCurrency,
      fxRate: recorded.fxRate,
      fxRateDate: recorded.fxRateDate,
      toAmountMinor: recorded.toAmountMinor,
      toCurrency: recorded.toCurrency,
    };
  let toAmountMinor: bigint | null = null;
  let toCurrency: string | null = null;
  if (refs.toAccount && refs.toAccount.currency !== currency) {
    const quote = quoteOf(
      refs.quotes,
      currency,
      refs.toAccount.currency,
      date,
      'toAccountId',
      (missing) => `The accounts are in ${currency} and ${refs.toAccount!.currency}, and there is ${missing}`,
    );
    toAmountMinor = convertWith(quote, money.amountMinor);
    toCurrency = refs.toAccount.currency;
  }
  if (currency === baseCurrency)
    return {
      baseAmountMinor: money.amountMinor,
      baseCurrency,
      fxRate: null,
      fxRateDate: null,
      toAmountMinor,
      toCurrency,
    };
  const quote = quoteOf(
    refs.quotes,
    currency,
    baseCurrency,
    date,
    'currency',
    (missing) =>
      `The account "${account.name}" is in ${currency}, but your base currency is ${baseCurrency}, and there is ${missing}`,
  );
  return {
    baseAmountMinor: convertWith(quote, money.amountMinor),
    baseCurrency,
    fxRate: formatRate(quote.ratio),
    fxRateDate: quote.date,
    toAmountMinor,
    toCurrency,
  };
}

function quoteOf(
  quotes: ReadonlyMap<string, FxQuote>,
  from: string,
  to: string,
  date: string,
  field: TransactionField,
  why: (missing: string) => string,
): FxQuote {
  const quote = quotes.get(fxQuoteKey(from, to));
  if (quote) return quote;
  const message = noRateMessage(from, to, date);
  throw new RuleViolation<TransactionField>(
    'unprocessable',
    `${why(message)}. An admin can enter the rate (PUT /exchange-rates) or import the ECB's reference rates (POST /exchange-rates/import).`,
    [{ field, message }],
  );
}

function unconvertible(message: string, field: TransactionField): RuleViolation<TransactionField> {
  return new RuleViolation('unprocessable', message, [{ field, message }]);
}
