import type { DataSource, EntityManager } from 'typeorm';

export interface StoredReportRow {
  id: string;
  month: string;
  currency: string;
  income_minor: string;
  expense_minor: string;
  created_at: Date;
}

/** One page of a user's stored reports, newest month first, after the keyset position `after`. */
export async function listReports(
  db: DataSource,
  userId: string,
  after: { month: string; id: string } | undefined,
  limit: number,
): Promise<StoredReportRow[]> {
  const params: unknown[] = [userId, limit + 1];
  let where = 'user_id = $1';
  if (after) {
    params.push(after.month, after.id);
    where += ` AND (month, id) < ($3, $4::uuid)`;
  }
  return (await db.query(
    `SELECT id, month, currency, income_minor::text AS income_minor, expense_minor::text AS expense_minor, created_at
     FROM monthly_reports WHERE ${where} ORDER BY month DESC, id DESC LIMIT $2`,
    params,
  )) as StoredReportRow[];
}

export async function reportPdf(
  db: DataSource,
  userId: string,
  id: string,
): Promise<{ month: string; pdf: Buffer } | undefined> {
  const [row] = (await db.query(`SELECT month, pdf FROM monthly_reports WHERE id = $1 AND user_id = $2`, [
    id,
    userId,
  ])) as Array<{
    month: string;
    pdf: Buffer;
  }>;
  return row;
}

/** Stores a report unless that user's month already has one; returns the new id or undefined. */
export async function insertReport(
  manager: EntityManager,
  report: {
    id: string;
    userId: string;
    month: string;
    currency: string;
    incomeMinor: bigint;
    expenseMinor: bigint;
    pdf: Buffer;
  },
): Promise<boolean> {
  const inserted = (await manager.query(
    `INSERT INTO monthly_reports (id, user_id, month, currency, income_minor, expense_minor, pdf)
     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (user_id, month) DO NOTHING RETURNING id`,
    [
      report.id,
      report.userId,
      report.month,
      report.currency,
      report.incomeMinor.toString(),
      report.expenseMinor.toString(),
      report.pdf,
    ],
  )) as unknown[];
  return inserted.length === 1;
}
