import { withSplits } from '../../data/transaction-splits';
import type { EntityManager } from 'typeorm';
import { changedRows, newId } from '@finance/shared';
import { Transaction } from '../../data/entities';

/** A date range of an apply; either end may be open. */
export interface DateRange {
  from: string | null;
  to: string | null;
}

/** Where an apply got to: the last transaction it worked on, in (date, id) order. */
export interface ApplyCursor {
  date: string;
  id: string;
}

/** The user's last `n` transactions (latest date first). */
export async function lastTransactions(
  manager: EntityManager,
  userId: string,
  n: number,
): Promise<Transaction[]> {
  const rows = await manager
    .createQueryBuilder(Transaction, 't')
    .where('t.user_id = :userId', { userId })
    .orderBy('t.date', 'DESC')
    .addOrderBy('t.id', 'DESC')
    .limit(n)
    .getMany();
  return withSplits(manager, rows);
}

export async function countInRange(
  manager: EntityManager,
  userId: string,
  range: DateRange,
): Promise<number> {
  const [{ count }]: Array<{ count: number }> = await manager.query(
    `SELECT count(*)::int AS count FROM transactions
      WHERE user_id = $1 AND ($2::date IS NULL OR date >= $2) AND ($3::date IS NULL OR date <= $3)`,
    [userId, range.from, range.to],
  );
  return count;
}

/** The next `limit` transactions of the range after `after`, in (date, id) order, locked for update, with their parts. */
export async function transactionsInRange(
  manager: EntityManager,
  userId: string,
  range: DateRange,
  after: ApplyCursor | null,
  limit: number,
): Promise<Transaction[]> {
  const qb = manager
    .createQueryBuilder(Transaction, 't')
    .where('t.user_id = :userId', { userId })
    .setLock('pessimistic_write');
  if (range.from) qb.andWhere('t.date >= :from', { from: range.from });
  if (range.to) qb.andWhere('t.date <= :to', { to: range.to });
  if (after) qb.andWhere('(t.date, t.id) > (:date, CAST(:id AS uuid))', after);
  return withSplits(
    manager,
    await qb.orderBy('t.date', 'ASC').addOrderBy('t.id', 'ASC').limit(limit).getMany(),
  );
}

export type RuleJobStatus = 'pending' | 'running' | 'completed' | 'failed';

export interface RuleJob {
  id: string;
  userId: string;
  ruleId: string;
  range: DateRange;
  status: RuleJobStatus;
  total: number;
  examined: number;
  changed: number;
  failed: number;
  after: ApplyCursor | null;
  failure: string | null;
  attempts: number;
  createdAt: Date;
  finishedAt: Date | null;
}

interface RuleJobRow {
  id: string;
  user_id: string;
  rule_id: string;
  date_from: string | null;
  date_to: string | null;
  status: RuleJobStatus;
  total: number;
  examined: number;
  changed: number;
  failed: number;
  after_date: string | null;
  after_id: string | null;
  failure: string | null;
  attempts: number;
  created_at: Date;
  finished_at: Date | null;
}

function jobOf(r: RuleJobRow): RuleJob {
  return {
    id: r.id,
    userId: r.user_id,
    ruleId: r.rule_id,
    range: { from: r.date_from, to: r.date_to },
    status: r.status,
    total: r.total,
    examined: r.examined,
    changed: r.changed,
    failed: r.failed,
    after: r.after_date && r.after_id ? { date: r.after_date, id: r.after_id } : null,
    failure: r.failure,
    attempts: r.attempts,
    createdAt: r.created_at,
    finishedAt: r.finished_at,
  };
}

// Dates as text, as the transactions' own dates are read.
const JOB_COLUMNS = `id, user_id, rule_id, to_char(date_from, 'YYYY-MM-DD') AS date_from,
  to_char(date_to, 'YYYY-MM-DD') AS date_to, status, total, examined, changed, failed,
  to_char(after_date, 'YYYY-MM-DD') AS after_date, after_id, failure, attempts, created_at, finished_at`;

export async function insertRuleJob(
  manager: EntityManager,
  userId: string,
  ruleId: string,
  range: DateRange,
  total: number,
  now: Date,
): Promise<RuleJob> {
  const rows: RuleJobRow[] = await manager.query(
    `INSERT INTO rule_jobs (id, user_id, rule_id, date_from, date_to, status, total, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, 'pending', $6, $7, $7) RETURNING ${JOB_COLUMNS}`,
    [newId(), userId, ruleId, range.from, range.to, total, now],
  );
  return jobOf(rows[0]);
}

export async function findRuleJob(
  manager: EntityManager,
  userId: string,
  id: string,
): Promise<RuleJob | undefined> {
  const rows: RuleJobRow[] = await manager.query(
    `SELECT ${JOB_COLUMNS} FROM rule_jobs WHERE user_id = $1 AND id = $2`,
    [userId, id],
  );
  return rows[0] && jobOf(rows[0]);
}

/** Jobs waiting or interrupted, oldest first. */
export async function ruleJobsToRun(manager: EntityManager, limit: number): Promise<RuleJob[]> {
  const rows: RuleJobRow[] = await manager.query(
    `SELECT ${JOB_COLUMNS} FROM rule_jobs WHERE status IN ('pending', 'running') ORDER BY created_at, id LIMIT $1`,
    [limit],
  );
  return rows.map(jobOf);
}

/** Marks a job taken up by a round (one attempt more). */
export async function startRuleJob(manager: EntityManager, id: string, now: Date): Promise<number> {
  const [row] = await changedRows<{ attempts: number }>(
    manager,
    `UPDATE rule_jobs SET status = 'running', attempts = attempts + 1, updated_at = $2 WHERE id = $1 RETURNING attempts`,
    [id, now],
  );
  return row?.attempts ?? 0;
}

/** A batch done: the counts grow and the cursor moves, in the batch's own DB transaction. */
export async function recordRuleJobBatch(
  manager: EntityManager,
  id: string,
  batch: { examined: number; changed: number; failed: number; after: ApplyCursor | null; done: boolean },
  now: Date,
): Promise<void> {
  await manager.query(
    `UPDATE rule_jobs SET examined = examined + $2, changed = changed + $3, failed = failed + $4,
            after_date = COALESCE($5, after_date), after_id = COALESCE($6, after_id), updated_at = $7::timestamptz,
            status = CASE WHEN $8 THEN 'completed' ELSE status END, finished_at = CASE WHEN $8 THEN $7::timestamptz END
      WHERE id = $1`,
    [
      id,
      batch.examined,
      batch.changed,
      batch.failed,
      batch.after?.date ?? null,
      batch.after?.id ?? null,
      now,
      batch.done,
    ],
  );
}

export async function failRuleJob(
  manager: EntityManager,
  id: string,
  failure: string,
  now: Date,
): Promise<void> {
  await manager.query(
    `UPDATE rule_jobs SET status = 'failed', failure = $2, updated_at = $3, finished_at = $3 WHERE id = $1`,
    [id, failure, now],
  );
}
