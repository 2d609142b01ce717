import type { DataSource } from 'typeorm';

/** Events in the outbox not yet confirmed by the broker, and the age of the oldest (0 when none). */
export async function readOutboxPending(
  dataSource: DataSource,
): Promise<{ count: number; oldestSeconds: number }> {
  const [row]: Array<{ count: string; oldest: string | null }> = await dataSource.query(
    `SELECT count(*) AS count, extract(epoch FROM now() - min(created_at)) AS oldest FROM outbox WHERE sent_at IS NULL`,
  );
  return {
    count: Number(row.count),
    oldestSeconds: row.oldest === null ? 0 : Math.max(0, Number(row.oldest)),
  };
}
