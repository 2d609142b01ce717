/**
 * The transaction CSV the reports service exports and the ledger's import reads back: its
 * columns and the two cell rules (formula neutralisation, tags as a JSON array) in both
 * directions, so export and import cannot drift apart. reports' README states both rules.
 */
export const CSV_COLUMNS = [
  'date',
  'transaction_type',
  'amount',
  'currency',
  'account',
  'to_account',
  'category',
  'description',
  'payee',
  'notes',
  'tags',
] as const;

export type CsvColumn = (typeof CSV_COLUMNS)[number];
export type CsvRecord = Record<CsvColumn, string>;

/**
 * First characters that make a spreadsheet read a cell as a formula (OWASP "CSV Injection":
 * = + - @ tab CR, and their full-width forms, which some spreadsheets normalise), plus the
 * apostrophe itself: so that "strip one leading apostrophe" undoes the rule exactly, a cell that
 * already starts with one gets another.
 */
const NEEDS_APOSTROPHE = /^[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20']/;

/** Formula neutralisation (OWASP): a text cell starting with a trigger character gets a leading `'`. */
export function neutraliseCell(text: string): string {
  return NEEDS_APOSTROPHE.test(text) ? `'${text}` : text;
}

/** The import's half of {@link neutraliseCell}: a text cell starting with `'` loses that one `'`. */
export function restoreCell(cell: string): string {
  return cell.startsWith("'") ? cell.slice(1) : cell;
}

/**
 * Tags as one cell: empty for none, else a JSON array of strings (`["coffee","b;c"]`), which no
 * tag text can make ambiguous (a `;` or `,` or quote in a tag stays inside its string).
 */
export function encodeTags(tags: readonly string[]): string {
  return tags.length === 0 ? '' : JSON.stringify(tags);
}

/** The import's reading of a tags cell; throws on anything that is not empty or a JSON array of strings. */
export function decodeTags(cell: string): string[] {
  if (cell === '') return [];
  let value: unknown;
  try {
    value = JSON.parse(cell);
  } catch {
    throw new SyntaxError('tags must be empty or a JSON array of strings');
  }
  if (!Array.isArray(value) || !value.every((tag) => typeof tag === 'string'))
    throw new SyntaxError('tags must be empty or a JSON array of strings');
  return value;
}

/**
 * Columns the export writes after {@link CSV_COLUMNS}: the transaction's amount in the user's base
 * currency as the ledger recorded it (converted at the rate of the transaction's date). They are
 * informative: an import reads columns by name and does not require these, so a file exported
 * before they existed still imports, and the ledger converts again on import.
 */
export const CSV_BASE_COLUMNS = ['base_amount', 'base_currency'] as const;

/**
 * Columns the export writes last, for split transactions: the ledger's `transaction_id` on every
 * row, and `split_part` (1, 2, … on the rows of a split transaction's parts, which share its
 * transaction_id; empty when not split). A split transaction is one row per part: `amount`,
 * `base_amount`, `category`, `notes` and `tags` are the part's, the other columns the
 * transaction's, so the amount column still sums to what was spent. Informative like the base
 * columns (an import does not require them).
 */
export const CSV_SPLIT_COLUMNS = ['transaction_id', 'split_part'] as const;

/** Every column of an exported file, in order: {@link CSV_COLUMNS}, {@link CSV_BASE_COLUMNS}, {@link CSV_SPLIT_COLUMNS}. */
export const CSV_EXPORT_COLUMNS = [...CSV_COLUMNS, ...CSV_BASE_COLUMNS, ...CSV_SPLIT_COLUMNS] as const;

export type CsvExportColumn = (typeof CSV_EXPORT_COLUMNS)[number];
export type CsvExportRecord = Record<CsvExportColumn, string>;
