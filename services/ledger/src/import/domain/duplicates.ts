/**
 * The duplicate rule of an import: a row is a duplicate when it carries the same bank id
 * (external id) as a transaction already stored or an earlier row of the same file, or, either
 * way, the same account, date, signed amount and normalised description. (Two coffees of the
 * same price on one day at one shop with one description are one entry to this rule: the bank's
 * id, when the file has one, tells them apart; `?duplicates=import` imports them anyway.)
 */

/**
 * The description as the rule compares it: case-folded, letters and digits only (punctuation and
 * symbols dropped), runs of whitespace as one space, trimmed. `"CARD  PAYMENT - Café, Lisboa."`
 * and `"card payment café lisboa"` are the same.
 */
export function normaliseDescription(description: string): string {
  return description
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s]+/gu, '')
    .replace(/\s+/gu, ' ')
    .trim();
}

/** What the rule compares of a transaction: where, when, how much (minor units, money out negative), what. */
export interface DuplicateFacts {
  accountId: string;
  date: string;
  signedAmountMinor: bigint;
  description: string;
}

/** The comparison key of {@link DuplicateFacts} (one string, for a Set). */
export function duplicateKey(facts: DuplicateFacts): string {
  return `${facts.accountId}|${facts.date}|${facts.signedAmountMinor}|${normaliseDescription(facts.description)}`;
}

/** The sign the rule compares with: income comes in, expenses and transfers go out of the account. */
export function signedAmount(type: 'income' | 'expense' | 'transfer', amountMinor: bigint): bigint {
  return type === 'income' ? amountMinor : -amountMinor;
}

/**
 * Remembers what is already there (stored transactions, earlier rows of the file) and tells
 * whether a row is one of them: by external id first, then by key.
 */
export class DuplicateIndex {
  private readonly keys = new Set<string>();
  private readonly externalIds = new Set<string>();

  add(facts: DuplicateFacts, externalId: string | null): void {
    this.keys.add(duplicateKey(facts));
    if (externalId !== null) this.externalIds.add(externalId);
  }

  /** Why the row is a duplicate (for the report), or null. */
  match(facts: DuplicateFacts, externalId: string | null): 'external_id' | 'same_entry' | null {
    if (externalId !== null && this.externalIds.has(externalId)) return 'external_id';
    if (this.keys.has(duplicateKey(facts))) return 'same_entry';
    return null;
  }
}
