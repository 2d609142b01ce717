import type { EntityManager } from 'typeorm';
import { Transaction } from '../../data/entities';
import { withSplits } from '../../data/transaction-splits';

/** Rows per multi-row INSERT / DELETE of an import. */
export const ROWS_PER_STATEMENT = 1_000;

/** What the duplicate rule needs of a stored transaction. */
export interface StoredEntry {
  account_id: string;
  date: string;
  transaction_type: 'income' | 'expense' | 'transfer';
  amount_minor: string;
  description: string;
  external_id: string | null;
}

/** The user's transactions in a date range, and those carrying one of the external ids: one query each. */
export async function storedEntries(
  manager: EntityManager,
  userId: string,
  range: { from: string; to: string },
  externalIds: string[],
): Promise<StoredEntry[]> {
  const inRange: StoredEntry[] = await manager.query(
    `SELECT account_id, to_char(date, 'YYYY-MM-DD') AS date, transaction_type, amount_minor::text,
            description, external_id
       FROM transactions WHERE user_id = $1 AND date BETWEEN $2 AND $3`,
    [userId, range.from, range.to],
  );
  if (externalIds.length === 0) return inRange;
  const byId: StoredEntry[] = await manager.query(
    `SELECT account_id, to_char(date, 'YYYY-MM-DD') AS date, transaction_type, amount_minor::text,
            description, external_id
       FROM transactions WHERE user_id = $1 AND external_id = ANY($2::text[])`,
    [userId, externalIds],
  );
  return [...inRange, ...byId];
}

/** New transactions, a thousand per INSERT (column arrays through unnest: one parameter per column). */
export async function insertTransactions(
  manager: EntityManager,
  rows: readonly Transaction[],
): Promise<void> {
  for (let start = 0; start < rows.length; start += ROWS_PER_STATEMENT) {
    const batch = rows.slice(start, start + ROWS_PER_STATEMENT);
    const column = <K extends keyof Transaction>(key: K) => batch.map((t) => t[key]);
    await manager.query(
      `INSERT INTO transactions (id, user_id, account_id, to_account_id, category_id, transaction_type,
         amount_minor, currency, base_amount_minor, base_currency, fx_rate, fx_rate_date, to_amount_minor,
         to_currency, description, notes, payee, tags, date, external_id, import_id, version, created_at, updated_at)
       SELECT id, user_id, account_id, to_account_id, category_id, transaction_type, amount_minor, currency,
              base_amount_minor, base_currency, fx_rate, fx_rate_date, to_amount_minor, to_currency,
              description, notes, payee, ARRAY(SELECT jsonb_array_elements_text(tags)), date, external_id,
              import_id, 1, $22, $22
         FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::uuid[], $6::text[], $7::bigint[],
                     $8::char(3)[], $9::bigint[], $10::char(3)[], $11::numeric[], $12::date[], $13::bigint[],
                     $14::char(3)[], $15::text[], $16::text[], $17::text[], $18::jsonb[], $19::date[],
                     $20::text[], $21::uuid[])
           AS r (id, user_id, account_id, to_account_id, category_id, transaction_type, amount_minor,
                 currency, base_amount_minor, base_currency, fx_rate, fx_rate_date, to_amount_minor,
                 to_currency, description, notes, payee, tags, date, external_id, import_id)`,
      [
        column('id'),
        column('userId'),
        column('accountId'),
        column('toAccountId'),
        column('categoryId'),
        column('type'),
        column('amountMinor'),
        column('currency'),
        column('baseAmountMinor'),
        column('baseCurrency'),
        column('fxRate'),
        column('fxRateDate'),
        column('toAmountMinor'),
        column('toCurrency'),
        column('description'),
        column('notes'),
        column('payee'),
        batch.map((t) => JSON.stringify(t.tags)),
        column('date'),
        column('externalId'),
        column('importId'),
        batch[0].createdAt,
      ],
    );
  }
}

/** The transactions an import created that are still there (locked: undo deletes them). */
export async function transactionsOfImport(
  manager: EntityManager,
  userId: string,
  importId: string,
): Promise<Transaction[]> {
  const rows = await manager.find(Transaction, {
    where: { userId, importId },
    order: { id: 'ASC' },
    lock: { mode: 'pessimistic_write' },
  });
  return withSplits(manager, rows);
}

export async function deleteTransactionsByIds(
  manager: EntityManager,
  userId: string,
  ids: string[],
): Promise<void> {
  for (let start = 0; start < ids.length; start += ROWS_PER_STATEMENT)
    await manager.query(`DELETE FROM transactions WHERE user_id = $1 AND id = ANY($2::uuid[])`, [
      userId,
      ids.slice(start, start + ROWS_PER_STATEMENT),
    ]);
}
