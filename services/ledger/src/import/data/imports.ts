import type { EntityManager } from 'typeorm';
import type { RowProblem } from '../formats/statement';

export type ImportStatus = 'pending' | 'running' | 'completed' | 'failed' | 'undone';

/** What an import was asked to do (stored with it, so a background job runs as the request asked). */
export interface ImportRequestOptions {
  format: string;
  accountId: string | null;
  duplicates: 'skip' | 'import';
  skipInvalid: boolean;
  createCategories: boolean;
  /** The mapping, as validated by the reader's schema (opaque here). */
  mapping: unknown;
}

/** A duplicate row as reported: its line, why, and the transaction it duplicates when stored. */
export interface DuplicateRow {
  line: number;
  reason: 'external_id' | 'same_entry';
}

export interface ImportRecord {
  id: string;
  userId: string;
  format: string;
  fileName: string | null;
  status: ImportStatus;
  options: ImportRequestOptions;
  accountId: string | null;
  rowsTotal: number | null;
  rowsDone: number;
  imported: number;
  duplicates: number;
  invalid: number;
  /** Row problems and duplicates (the first {@link REPORTED_ROWS_MAX} of each) and the dialect. */
  problems: { problems: RowProblem[]; duplicates: DuplicateRow[]; dialect: Record<string, unknown> | null };
  failure: string | null;
  attempts: number;
  version: number;
  createdAt: Date;
  updatedAt: Date;
  finishedAt: Date | null;
}

/** How many problems and duplicates an import keeps and shows (a file of 100,000 bad rows is told by its first ones). */
export const REPORTED_ROWS_MAX = 1_000;

interface ImportRow {
  id: string;
  user_id: string;
  format: string;
  file_name: string | null;
  status: ImportStatus;
  options: ImportRequestOptions;
  account_id: string | null;
  rows_total: number | null;
  rows_done: number;
  imported: number;
  duplicates: number;
  invalid: number;
  problems: ImportRecord['problems'] | [];
  failure: string | null;
  attempts: number;
  version: number;
  created_at: Date;
  updated_at: Date;
  finished_at: Date | null;
}

function recordOf(r: ImportRow): ImportRecord {
  return {
    id: r.id,
    userId: r.user_id,
    format: r.format,
    fileName: r.file_name,
    status: r.status,
    options: r.options,
    accountId: r.account_id,
    rowsTotal: r.rows_total,
    rowsDone: r.rows_done,
    imported: r.imported,
    duplicates: r.duplicates,
    invalid: r.invalid,
    problems: Array.isArray(r.problems) ? { problems: [], duplicates: [], dialect: null } : r.problems,
    failure: r.failure,
    attempts: r.attempts,
    version: r.version,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    finishedAt: r.finished_at,
  };
}

export async function insertImport(
  manager: EntityManager,
  record: Pick<ImportRecord, 'id' | 'userId' | 'format' | 'fileName' | 'status' | 'options'> & {
    uploadId?: string;
  },
  now: Date,
): Promise<void> {
  await manager.query(
    `INSERT INTO imports (id, user_id, format, file_name, status, options, account_id, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)`,
    [
      record.id,
      record.userId,
      record.format,
      record.fileName,
      record.status,
      JSON.stringify(record.options),
      record.options.accountId,
      now,
    ],
  );
}

/** An import's outcome (completed or failed), the next version of its record. */
export async function finishImport(
  manager: EntityManager,
  id: string,
  outcome: {
    status: 'completed' | 'failed';
    accountId: string | null;
    rowsTotal: number;
    imported: number;
    duplicates: number;
    invalid: number;
    problems: ImportRecord['problems'];
    failure: string | null;
  },
  now: Date,
): Promise<void> {
  await manager.query(
    `UPDATE imports SET status = $2, account_id = coalesce($3, account_id), rows_total = $4, rows_done = $4,
            imported = $5, duplicates = $6, invalid = $7, problems = $8, failure = $9,
            version = version + 1, updated_at = $10, finished_at = $10
      WHERE id = $1`,
    [
      id,
      outcome.status,
      outcome.accountId,
      outcome.rowsTotal,
      outcome.imported,
      outcome.duplicates,
      outcome.invalid,
      JSON.stringify({
        problems: outcome.problems.problems.slice(0, REPORTED_ROWS_MAX),
        duplicates: outcome.problems.duplicates.slice(0, REPORTED_ROWS_MAX),
        dialect: outcome.problems.dialect,
      }),
      outcome.failure,
      now,
    ],
  );
}

export async function findImport(
  manager: EntityManager,
  userId: string,
  id: string,
  options: { lock?: boolean } = {},
): Promise<ImportRecord | null> {
  const rows: ImportRow[] = await manager.query(
    `SELECT * FROM imports WHERE id = $1 AND user_id = $2 ${options.lock ? 'FOR UPDATE' : ''}`,
    [id, userId],
  );
  return rows[0] ? recordOf(rows[0]) : null;
}

/** One keyset page, newest first (limit + 1 rows). */
export async function listImports(
  manager: EntityManager,
  userId: string,
  after: { c: string; id: string } | undefined,
  limit: number,
): Promise<ImportRecord[]> {
  const rows: ImportRow[] = await manager.query(
    `SELECT * FROM imports WHERE user_id = $1
        AND ($2::timestamptz IS NULL OR (created_at, id) < ($2::timestamptz, $3::uuid))
      ORDER BY created_at DESC, id DESC LIMIT $4`,
    [userId, after?.c ?? null, after?.id ?? null, limit + 1],
  );
  return rows.map(recordOf);
}

export async function markUndone(manager: EntityManager, id: string, now: Date): Promise<void> {
  await manager.query(
    `UPDATE imports SET status = 'undone', version = version + 1, updated_at = $2 WHERE id = $1`,
    [id, now],
  );
}

// ── background jobs ───────────────────────────────────────────────────────────

/** Bytes of the file per staged chunk. */
export const UPLOAD_CHUNK_BYTES = 1 << 20;

export async function stageUploadChunk(
  manager: EntityManager,
  importId: string,
  seq: number,
  chunk: Buffer,
): Promise<void> {
  await manager.query(`INSERT INTO import_uploads (import_id, seq, chunk) VALUES ($1, $2, $3)`, [
    importId,
    seq,
    chunk,
  ]);
}

/** The staged file, chunk by chunk (one chunk in memory at a time). */
export async function* stagedUpload(manager: EntityManager, importId: string): AsyncGenerator<Buffer> {
  for (let seq = 0; ; seq += 1) {
    const rows: Array<{ chunk: Buffer }> = await manager.query(
      `SELECT chunk FROM import_uploads WHERE import_id = $1 AND seq = $2`,
      [importId, seq],
    );
    if (rows.length === 0) return;
    yield rows[0].chunk;
  }
}

export async function dropUpload(manager: EntityManager, importId: string): Promise<void> {
  await manager.query(`DELETE FROM import_uploads WHERE import_id = $1`, [importId]);
}

/** Imports waiting for a job or interrupted (running, but no process holds them), oldest first. */
export async function importsToRun(manager: EntityManager, limit: number): Promise<string[]> {
  const rows: Array<{ id: string }> = await manager.query(
    `SELECT id FROM imports WHERE status IN ('pending', 'running') ORDER BY created_at LIMIT $1`,
    [limit],
  );
  return rows.map((r) => r.id);
}

/** Progress of a running job, seen by GET /import/{id} while its transaction is still open. */
export async function recordProgress(
  manager: EntityManager,
  id: string,
  progress: { rowsTotal: number | null; rowsDone: number },
): Promise<void> {
  await manager.query(
    `UPDATE imports SET rows_total = coalesce($2, rows_total), rows_done = $3 WHERE id = $1 AND status = 'running'`,
    [id, progress.rowsTotal, progress.rowsDone],
  );
}

/** Staged files whose import never came (the upload broke off, or a replayed Idempotency-Key). */
export async function dropOrphanUploads(manager: EntityManager, olderThanMs: number): Promise<void> {
  await manager.query(
    `DELETE FROM import_uploads u
      WHERE created_at < now() - ($1::bigint * interval '1 millisecond')
        AND NOT EXISTS (SELECT 1 FROM imports i WHERE i.id = u.import_id AND i.status IN ('pending', 'running'))`,
    [olderThanMs],
  );
}
