import type { DataSource } from 'typeorm';
import { newId, type CreationCursor } from '@finance/shared';
import { MAX_USER_AGENT_LENGTH, type AuditAction, type AuditEntry } from '../domain/audit';

/** What runs a statement: the data source, or a transaction's manager (so a row commits with its change). */
interface Queryable {
  query(sql: string, parameters?: unknown[]): Promise<unknown>;
}

export interface AuditEvent {
  id: string;
  at: Date;
  action: AuditAction;
  actorId: string | null;
  subjectId: string | null;
  clientIp: string | null;
  userAgent: string | null;
  details: Record<string, unknown>;
}

export interface AuditFilter {
  actorId?: string;
  subjectId?: string;
  action?: AuditAction;
  /** Inclusive. */
  from?: Date;
  /** Exclusive. */
  to?: Date;
}

interface AuditRow {
  id: string;
  at: Date;
  action: AuditAction;
  actor_id: string | null;
  subject_id: string | null;
  client_ip: string | null;
  user_agent: string | null;
  details: Record<string, unknown>;
}

/** Writes one audit row with the caller's statement runner: inside a transaction, it commits or rolls back with the change. */
export async function recordAudit(runner: Queryable, entry: AuditEntry, at: Date): Promise<void> {
  await runner.query(
    `INSERT INTO audit_events (id, at, action, actor_id, subject_id, client_ip, user_agent, details)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [
      newId(),
      at,
      entry.action,
      entry.actorId ?? null,
      entry.subjectId ?? null,
      entry.origin?.clientIp ?? null,
      entry.origin?.userAgent?.slice(0, MAX_USER_AGENT_LENGTH) ?? null,
      JSON.stringify(entry.details ?? {}),
    ],
  );
}

/**
 * Auth's audit log of security-relevant actions: append-only (the table's trigger refuses UPDATE,
 * TRUNCATE and any DELETE but the retention's), read newest first.
 */
export class AuditLog {
  constructor(
    private readonly dataSource: DataSource,
    private readonly options: { clock: () => Date; retentionDays: number },
  ) {}

  /** Records an action that is not part of another change's transaction (a login, a failed login). */
  record(entry: AuditEntry): Promise<void> {
    return recordAudit(this.dataSource, entry, this.options.clock());
  }

  /** One keyset page, newest first; `before` is the last (at, id) the client saw. */
  async page(filter: AuditFilter, limit: number, before?: CreationCursor): Promise<AuditEvent[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (filter.actorId !== undefined) add('actor_id = ?', filter.actorId);
    if (filter.subjectId !== undefined) add('subject_id = ?', filter.subjectId);
    if (filter.action !== undefined) add('action = ?', filter.action);
    if (filter.from !== undefined) add('at >= ?', filter.from);
    if (filter.to !== undefined) add('at < ?', filter.to);
    if (before) {
      params.push(before.c, before.id);
      where.push(`(at, id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`);
    }
    params.push(limit + 1);
    const rows: AuditRow[] = await this.dataSource.query(
      `SELECT id, at, action, actor_id, subject_id, client_ip, user_agent, details FROM audit_events
        ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY at DESC, id DESC LIMIT $${params.length}`,
      params,
    );
    return rows.map((row) => ({
      id: row.id,
      at: new Date(row.at),
      action: row.action,
      actorId: row.actor_id,
      subjectId: row.subject_id,
      clientIp: row.client_ip,
      userAgent: row.user_agent,
      details: row.details,
    }));
  }

  /** Forgets rows older than the retention (the one DELETE the table's trigger lets through); returns how many. */
  async prune(now: Date = this.options.clock()): Promise<number> {
    const cutoff = new Date(now.getTime() - this.options.retentionDays * 86_400_000);
    return this.dataSource.transaction(async (manager) => {
      await manager.query(`SELECT set_config('finance.audit_prune', 'on', true)`);
      const [, count]: [unknown, number] = await manager.query(`DELETE FROM audit_events WHERE at < $1`, [
        cutoff,
      ]);
      return count;
    });
  }
}
