import type { EntityManager } from 'typeorm';

/** One ledger transaction as the spending read model keeps it. */
export interface SpendingTransactionState {
  id: string;
  userId: string;
  categoryId: string | null;
  type: 'income' | 'expense' | 'transfer';
  baseAmountMinor: bigint;
  baseCurrency: string;
  date: string;
  /** The ledger's row version. */
  version: number;
  deleted: boolean;
  /**
   * A split transaction's parts: each part's share of the base amount in its own category ([]: not
   * split, the whole amount is in `categoryId`). A split transaction has no category of its own.
   */
  parts: SpendingPart[];
}

export interface SpendingPart {
  categoryId: string | null;
  baseAmountMinor: bigint;
}

/**
 * Upserts the read model row in one statement, only over an older version: the version check and
 * the write are one round trip, and the row lock it takes is the only lock until the threshold
 * check. The read model keeps each transaction's version in its own row (with a tombstone on
 * delete) rather than in the shared aggregate_versions table: a `deleted` event may carry the
 * same version as the last update, and a delete must win that tie while a replayed update must
 * not. Returns whether the row was written.
 */
export async function writeSpendingTransaction(
  manager: EntityManager,
  t: SpendingTransactionState,
): Promise<boolean> {
  const newer = t.deleted
    ? 'spending_transactions.version <= EXCLUDED.version'
    : 'spending_transactions.version < EXCLUDED.version';
  const written: unknown[] = await manager.query(
    `WITH written AS (
     INSERT INTO spending_transactions (id, user_id, category_id, type, base_amount_minor, base_currency, date, version, deleted)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
     ON CONFLICT (id) DO UPDATE SET user_id = EXCLUDED.user_id, category_id = EXCLUDED.category_id, type = EXCLUDED.type,
       base_amount_minor = EXCLUDED.base_amount_minor, base_currency = EXCLUDED.base_currency, date = EXCLUDED.date,
       version = EXCLUDED.version, deleted = EXCLUDED.deleted
     WHERE ${newer}
     RETURNING id), ${CLEAR_PARTS}
     SELECT id FROM written`,
    [
      t.id,
      t.userId,
      t.categoryId,
      t.type,
      t.baseAmountMinor.toString(),
      t.baseCurrency,
      t.date,
      t.version,
      t.deleted,
    ],
  );
  if (written.length !== 1) return false;
  await insertSpendingParts(manager, [t]);
  return true;
}

/**
 * The tail of a statement whose CTE `written` upserts transaction rows: it drops the parts of the
 * rows written (of the version they replace), in the same round trip; insertSpendingParts then adds
 * the new version's. So the parts always belong to the version the row holds, and a transaction
 * that is not split costs no statement more.
 */
const CLEAR_PARTS = `cleared AS (
       DELETE FROM spending_transaction_parts WHERE transaction_id IN (SELECT id FROM written))`;

/**
 * The parts of just-written transaction rows (a deletion has none), in one statement however
 * many. Each part carries its transaction's user, type, currency and date, so a category's sum
 * reads the parts by index as it reads the rows.
 */
async function insertSpendingParts(
  manager: EntityManager,
  rows: readonly SpendingTransactionState[],
): Promise<void> {
  const parts = rows.flatMap((t) =>
    t.deleted
      ? []
      : t.parts.map((p, position) => ({
          transaction_id: t.id,
          position,
          user_id: t.userId,
          category_id: p.categoryId,
          type: t.type,
          base_amount_minor: p.baseAmountMinor.toString(),
          base_currency: t.baseCurrency,
          date: t.date,
        })),
  );
  if (parts.length === 0) return;
  await manager.query(
    `INSERT INTO spending_transaction_parts
       (transaction_id, position, user_id, category_id, type, base_amount_minor, base_currency, date)
     SELECT transaction_id, position, user_id, category_id, type, base_amount_minor, base_currency, date
     FROM jsonb_to_recordset($1::jsonb) AS p(transaction_id uuid, position int, user_id uuid, category_id uuid,
       type text, base_amount_minor bigint, base_currency text, date date)`,
    [JSON.stringify(parts)],
  );
}

/**
 * {@link writeSpendingTransaction} of transactions that are not deletions, in one multi-row
 * statement (ids distinct: one row each). A row is written only over an older version.
 */
export async function writeSpendingTransactions(
  manager: EntityManager,
  rows: readonly SpendingTransactionState[],
): Promise<void> {
  if (rows.length === 0) return;
  if (rows.some((t) => t.deleted)) throw new Error('writeSpendingTransactions writes no deletions');
  const written: Array<{ id: string }> = await manager.query(
    `WITH written AS (
     INSERT INTO spending_transactions (id, user_id, category_id, type, base_amount_minor, base_currency, date, version, deleted)
     SELECT id, user_id, category_id, type, base_amount_minor, base_currency, date, version, false
     FROM jsonb_to_recordset($1::jsonb) AS t(id uuid, user_id uuid, category_id uuid, type text,
       base_amount_minor bigint, base_currency text, date date, version int)
     ORDER BY id
     ON CONFLICT (id) DO UPDATE SET user_id = EXCLUDED.user_id, category_id = EXCLUDED.category_id, type = EXCLUDED.type,
       base_amount_minor = EXCLUDED.base_amount_minor, base_currency = EXCLUDED.base_currency, date = EXCLUDED.date,
       version = EXCLUDED.version, deleted = EXCLUDED.deleted
     WHERE spending_transactions.version < EXCLUDED.version
     RETURNING id), ${CLEAR_PARTS}
     SELECT id FROM written`,
    [
      JSON.stringify(
        rows.map((t) => ({
          id: t.id,
          user_id: t.userId,
          category_id: t.categoryId,
          type: t.type,
          base_amount_minor: t.baseAmountMinor.toString(),
          base_currency: t.baseCurrency,
          date: t.date,
          version: t.version,
        })),
      ),
    ],
  );
  // Only the rows written get their parts (a row over an equal or newer version keeps its own).
  const writtenIds = new Set(written.map((w) => w.id.toLowerCase()));
  await insertSpendingParts(
    manager,
    rows.filter((t) => writtenIds.has(t.id.toLowerCase())),
  );
}

/** Those of these users who have at least one budget. */
export async function usersWithBudgets(
  manager: EntityManager,
  userIds: readonly string[],
): Promise<Set<string>> {
  const rows: Array<{ user_id: string }> = await manager.query(
    `SELECT DISTINCT user_id FROM budgets WHERE user_id = ANY($1::uuid[])`,
    [userIds],
  );
  return new Set(rows.map((row) => row.user_id));
}

/** The stored rows of these transactions, locked (a run of events starts from them). */
export async function spendingTransactionsLocked(
  manager: EntityManager,
  ids: readonly string[],
): Promise<SpendingTransactionState[]> {
  if (ids.length === 0) return [];
  const rows: Array<{
    id: string;
    user_id: string;
    category_id: string | null;
    type: SpendingTransactionState['type'];
    base_amount_minor: string;
    base_currency: string;
    date: string;
    version: number;
    deleted: boolean;
  }> = await manager.query(
    `SELECT id, user_id, category_id, type, base_amount_minor::text, base_currency,
            to_char(date, 'YYYY-MM-DD') AS date, version, deleted
       FROM spending_transactions WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE`,
    [ids],
  );
  const parts: Array<{ transaction_id: string; category_id: string | null; base_amount_minor: string }> =
    rows.length === 0
      ? []
      : await manager.query(
          `SELECT transaction_id, category_id, base_amount_minor::text FROM spending_transaction_parts
            WHERE transaction_id = ANY($1::uuid[]) ORDER BY transaction_id, position`,
          [rows.map((r) => r.id)],
        );
  const partsOf = new Map<string, SpendingPart[]>();
  for (const part of parts)
    partsOf.set(part.transaction_id, [
      ...(partsOf.get(part.transaction_id) ?? []),
      { categoryId: part.category_id, baseAmountMinor: BigInt(part.base_amount_minor) },
    ]);
  return rows.map((r) => ({
    id: r.id,
    userId: r.user_id,
    categoryId: r.category_id,
    type: r.type,
    baseAmountMinor: BigInt(r.base_amount_minor),
    baseCurrency: r.base_currency,
    date: r.date,
    version: r.version,
    deleted: r.deleted,
    parts: partsOf.get(r.id) ?? [],
  }));
}
