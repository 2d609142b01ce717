import type { DataSource } from 'typeorm';

/**
 * The claim both delivery queues (e-mail outbox, webhook deliveries) share: up to `limit` pending
 * rows that are due and not held by a live lease get a lease of `leaseMs`, so several replicas
 * share the work (`SKIP LOCKED`) and a replica that dies mid-send leaves its rows to be retried.
 * `table` and `columns` are this module's callers' constants, never client input.
 */
export async function claimDueRows<Row>(
  db: DataSource,
  queue: { table: 'email_outbox' | 'webhook_deliveries'; columns: readonly string[] },
  now: Date,
  leaseMs: number,
  limit: number,
): Promise<Row[]> {
  const [rows]: [Row[], number] = await db.query(
    `UPDATE ${queue.table} SET claimed_until = $1::timestamptz + ($2 || ' milliseconds')::interval
     WHERE id IN (
       SELECT id FROM ${queue.table}
       WHERE status = 'pending' AND next_attempt_at <= $1 AND (claimed_until IS NULL OR claimed_until < $1)
       ORDER BY next_attempt_at LIMIT $3 FOR UPDATE SKIP LOCKED)
     RETURNING ${queue.columns.join(', ')}`,
    [now, String(leaseMs), limit],
  );
  return rows;
}
