/**
 * What every bank-file reader (CSV, OFX, CAMT.053) hands the import pipeline: the rows as the
 * file states them, or the problem with one, in file order. Readers know file formats only; the
 * finance rules (target account, categories, duplicates, currencies) come after, in the pipeline.
 */

/** One entry of a statement, normalised. */
export interface StatementRow {
  /** 1-based line of the file where the entry starts (CSV: the record's first physical line). */
  line: number;
  /** `YYYY-MM-DD`. */
  date: string;
  /** Signed decimal, `.` separator, no grouping: negative is money out of the account (`-110.70`). */
  amount: string;
  /** ISO 4217 when the file says; `null`: the target account's currency. */
  currency: string | null;
  /**
   * When the file says it (our own export's `transaction_type`); `null`: from the sign. A transfer's
   * amount is negative (it leaves `account`).
   */
  type: 'income' | 'expense' | 'transfer' | null;
  /** Account name when the file names one (our export); `null`: the import's target account. */
  account: string | null;
  /** A transfer's target account name. */
  toAccount: string | null;
  description: string;
  payee: string | null;
  /** Category name, matched to the user's categories by the pipeline. */
  category: string | null;
  notes: string | null;
  tags: string[];
  /** The bank's own id of the entry (FITID, AcctSvcrRef, a mapped column). */
  externalId: string | null;
}

/** Why one entry cannot be read: where (line, column) and why, in words for a person. */
export interface RowProblem {
  line: number;
  /** The column's header (or 1-based number when there is no header); `null` for the whole line. */
  column: string | null;
  reason: string;
}

/**
 * What a reader detected about the file (shown in a dry run): encoding, separator, date format, …
 * Every reader yields one first; it yields another, last, after the rows, repeating the first with
 * what only the end shows (CSV `skipped_summary`, `blank_lines`; `records`; `complete: true`). A
 * consumer keeps the last one it saw.
 */
export type StatementDialect = Record<string, string | number | boolean | null>;

export type StatementItem =
  | { kind: 'dialect'; dialect: StatementDialect }
  | { kind: 'row'; row: StatementRow }
  | { kind: 'problem'; problem: RowProblem };

/**
 * The whole file cannot be read (no data, a header that is not there, an ambiguous date format
 * the mapping must name, too many rows): the import answers 422 (413 for `tooLarge`) with this message.
 */
export class StatementError extends Error {
  constructor(
    message: string,
    readonly reason: 'unreadable' | 'ambiguous' | 'tooLarge' = 'unreadable',
  ) {
    super(message);
    this.name = 'StatementError';
  }
}
