import type { EntityManager } from 'typeorm';
import {
  changedRows,
  newId,
  pageInCreationOrder,
  type CalendarDate,
  type CreationCursor,
} from '@finance/shared';
import type { Frequency } from '../domain/recurring-dates';
import type { TransactionType } from '../domain/transactions';
import { RecurringTemplate } from './recurring-entities';

/** What is stored of a template but its identity, version and timestamps. */
export interface TemplateValues {
  accountId: string;
  toAccountId: string | null;
  categoryId: string | null;
  type: TransactionType;
  amountMinor: bigint;
  currency: string;
  description: string;
  notes: string | null;
  payee: string | null;
  tags: string[];
  frequency: Frequency;
  interval: number;
  startDate: CalendarDate;
  endDate: CalendarDate | null;
  maxOccurrences: number | null;
  autoCreate: boolean;
  remindDaysBefore: number;
  isActive: boolean;
  nextOccurrenceIndex: number | null;
  nextOccurrenceDate: CalendarDate | null;
}

function columnsOf(values: TemplateValues) {
  return { ...values, amountMinor: values.amountMinor.toString() };
}

export async function insertTemplate(
  manager: EntityManager,
  userId: string,
  values: TemplateValues,
  now: Date,
): Promise<RecurringTemplate> {
  const template = manager.create(RecurringTemplate, {
    ...columnsOf(values),
    id: newId(),
    userId,
    remindedDate: null,
    version: 1,
    createdAt: now,
    updatedAt: now,
  });
  await manager.insert(RecurringTemplate, template);
  return template;
}

export function findTemplate(
  manager: EntityManager,
  userId: string,
  id: string,
  options: { lock?: boolean } = {},
): Promise<RecurringTemplate | null> {
  return manager.findOne(RecurringTemplate, {
    where: { id, userId },
    ...(options.lock ? { lock: { mode: 'pessimistic_write' as const } } : {}),
  });
}

/**
 * The template locked for this transaction unless another one holds it (`FOR UPDATE SKIP LOCKED`):
 * a scheduler on another replica, or a request, is handling it right now; null then.
 */
export async function claimTemplate(
  manager: EntityManager,
  userId: string,
  id: string,
): Promise<RecurringTemplate | null> {
  const [template] = await manager
    .createQueryBuilder(RecurringTemplate, 't')
    .where('t.id = :id AND t.user_id = :userId', { id, userId })
    .setLock('pessimistic_write')
    .setOnLocked('skip_locked')
    .getMany();
  return template ?? null;
}

/** Writes changed fields of a locked template as its next version. */
export async function saveTemplate(
  manager: EntityManager,
  template: RecurringTemplate,
  values: Partial<TemplateValues>,
  now: Date,
): Promise<RecurringTemplate> {
  const { amountMinor, ...rest } = values;
  const columns = amountMinor === undefined ? rest : { ...rest, amountMinor: amountMinor.toString() };
  const change = { ...columns, version: template.version + 1, updatedAt: now };
  // One UPDATE by id (save() would read the row first): the scheduler runs this once per occurrence.
  await manager.update(RecurringTemplate, { id: template.id }, change);
  return Object.assign(template, change);
}

export async function deleteTemplate(manager: EntityManager, template: RecurringTemplate): Promise<void> {
  await manager.delete(RecurringTemplate, { id: template.id, userId: template.userId });
}

export function listTemplates(
  manager: EntityManager,
  userId: string,
  options: { isActive?: boolean; after?: CreationCursor; limit: number },
): Promise<RecurringTemplate[]> {
  const qb = manager.createQueryBuilder(RecurringTemplate, 't').where('t.user_id = :userId', { userId });
  if (options.isActive !== undefined) qb.andWhere('t.is_active = :isActive', { isActive: options.isActive });
  return pageInCreationOrder(qb, 't', options).getMany();
}

/** What a scheduler tick reads of due templates ($1 latest today, $2/$3 keyset, $4 limit); exported for the bench's plans. */
export const DUE_CANDIDATES_SQL = `SELECT t.id, t.user_id, to_char(t.next_occurrence_date, 'YYYY-MM-DD') AS date, u.timezone
         FROM recurring_templates t LEFT JOIN user_directory u ON u.user_id = t.user_id
        WHERE t.is_active AND t.next_occurrence_date IS NOT NULL AND t.next_occurrence_date <= $1
          AND ($2::date IS NULL OR (t.next_occurrence_date, t.id) > ($2::date, $3::uuid))
        ORDER BY t.next_occurrence_date, t.id
        LIMIT $4`;

/** What a scheduler tick reads of reminders due (the same parameters). */
export const REMINDER_CANDIDATES_SQL = `SELECT t.id, t.user_id, to_char(t.next_occurrence_date - t.remind_days_before, 'YYYY-MM-DD') AS date,
              u.timezone
         FROM recurring_templates t LEFT JOIN user_directory u ON u.user_id = t.user_id
        WHERE t.is_active AND t.remind_days_before > 0 AND t.next_occurrence_date IS NOT NULL
          AND t.reminded_date IS DISTINCT FROM t.next_occurrence_date
          AND t.next_occurrence_date - t.remind_days_before <= $1
          AND ($2::date IS NULL OR (t.next_occurrence_date - t.remind_days_before, t.id) > ($2::date, $3::uuid))
        ORDER BY t.next_occurrence_date - t.remind_days_before, t.id
        LIMIT $4`;

/** A template a scheduler tick may have to handle, with its user's zone (what "today" is for it). */
export interface DueCandidate {
  id: string;
  userId: string;
  /** The next occurrence date (due ones), or the date its reminder is due (reminders). */
  date: CalendarDate;
  timezone: string | null;
}

/**
 * Active templates whose next date is on or before `latest` (the latest today anywhere), after
 * the keyset position `after`, in (date, id) order: one range of `recurring_templates_due`.
 */
export async function dueCandidates(
  manager: EntityManager,
  latest: CalendarDate,
  after: { date: CalendarDate; id: string } | undefined,
  limit: number,
): Promise<DueCandidate[]> {
  const rows: Array<{ id: string; user_id: string; date: string; timezone: string | null }> =
    await manager.query(DUE_CANDIDATES_SQL, [latest, after?.date ?? null, after?.id ?? null, limit]);
  return rows.map((r) => ({ id: r.id, userId: r.user_id, date: r.date, timezone: r.timezone }));
}

/** Active templates whose next occurrence still owes its reminder, due on or before `latest` (`recurring_templates_reminders`). */
export async function reminderCandidates(
  manager: EntityManager,
  latest: CalendarDate,
  after: { date: CalendarDate; id: string } | undefined,
  limit: number,
): Promise<DueCandidate[]> {
  const rows: Array<{ id: string; user_id: string; date: string; timezone: string | null }> =
    await manager.query(REMINDER_CANDIDATES_SQL, [latest, after?.date ?? null, after?.id ?? null, limit]);
  return rows.map((r) => ({ id: r.id, userId: r.user_id, date: r.date, timezone: r.timezone }));
}

/**
 * Marks the reminder of the template's next occurrence as sent, if no one has: the template as it
 * stands then when this call did it, else undefined (so the reminder goes out once).
 */
export async function markReminded(
  manager: EntityManager,
  id: string,
  occurrenceDate: CalendarDate,
): Promise<RecurringTemplate | undefined> {
  const rows = await changedRows<{ id: string }>(
    manager,
    `UPDATE recurring_templates SET reminded_date = next_occurrence_date
      WHERE id = $1 AND is_active AND next_occurrence_date = $2::date
        AND reminded_date IS DISTINCT FROM next_occurrence_date
      RETURNING id`,
    [id, occurrenceDate],
  );
  if (!rows.length) return undefined;
  return (await manager.findOneBy(RecurringTemplate, { id })) ?? undefined;
}

export type OccurrenceStatus = 'pending' | 'booked' | 'skipped' | 'failed';

export interface OccurrenceRecord {
  id: string;
  templateId: string;
  userId: string;
  date: CalendarDate;
  index: number;
  status: OccurrenceStatus;
  transactionId: string | null;
  failure: string | null;
  createdAt: Date;
  updatedAt: Date;
}

interface OccurrenceRow {
  id: string;
  template_id: string;
  user_id: string;
  occurrence_date: string;
  occurrence_index: number;
  status: OccurrenceStatus;
  transaction_id: string | null;
  failure: string | null;
  created_at: Date;
  updated_at: Date;
}

const OCCURRENCE_COLUMNS = `id, template_id, user_id, to_char(occurrence_date, 'YYYY-MM-DD') AS occurrence_date,
  occurrence_index, status, transaction_id, failure, created_at, updated_at`;

function occurrenceOf(row: OccurrenceRow): OccurrenceRecord {
  return {
    id: row.id,
    templateId: row.template_id,
    userId: row.user_id,
    date: row.occurrence_date,
    index: row.occurrence_index,
    status: row.status,
    transactionId: row.transaction_id,
    failure: row.failure,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** The record of one occurrence, locked for this transaction when asked. */
export async function findOccurrence(
  manager: EntityManager,
  templateId: string,
  date: CalendarDate,
  options: { lock?: boolean } = {},
): Promise<OccurrenceRecord | undefined> {
  const rows: OccurrenceRow[] = await manager.query(
    `SELECT ${OCCURRENCE_COLUMNS} FROM recurring_occurrences
      WHERE template_id = $1 AND occurrence_date = $2::date ${options.lock ? 'FOR UPDATE' : ''}`,
    [templateId, date],
  );
  return rows[0] && occurrenceOf(rows[0]);
}

/**
 * Records an occurrence unless one is recorded for that template and date already (the unique
 * constraint decides, also between replicas): the new record, or undefined.
 */
export async function insertOccurrence(
  manager: EntityManager,
  occurrence: Pick<
    OccurrenceRecord,
    'templateId' | 'userId' | 'date' | 'index' | 'status' | 'transactionId' | 'failure'
  >,
  now: Date,
): Promise<OccurrenceRecord | undefined> {
  const rows: OccurrenceRow[] = await manager.query(
    `INSERT INTO recurring_occurrences
       (id, template_id, user_id, occurrence_date, occurrence_index, status, transaction_id, failure, created_at, updated_at)
     VALUES ($1, $2, $3, $4::date, $5, $6, $7, $8, $9, $9)
     ON CONFLICT (template_id, occurrence_date) DO NOTHING
     RETURNING ${OCCURRENCE_COLUMNS}`,
    [
      newId(),
      occurrence.templateId,
      occurrence.userId,
      occurrence.date,
      occurrence.index,
      occurrence.status,
      occurrence.transactionId,
      occurrence.failure,
      now,
    ],
  );
  return rows[0] && occurrenceOf(rows[0]);
}

export async function updateOccurrence(
  manager: EntityManager,
  id: string,
  change: Pick<OccurrenceRecord, 'status' | 'transactionId' | 'failure'>,
  now: Date,
): Promise<OccurrenceRecord> {
  const rows = await changedRows<OccurrenceRow>(
    manager,
    `UPDATE recurring_occurrences SET status = $2, transaction_id = $3, failure = $4, updated_at = $5
      WHERE id = $1 RETURNING ${OCCURRENCE_COLUMNS}`,
    [id, change.status, change.transactionId, change.failure, now],
  );
  return occurrenceOf(rows[0]);
}

/** The template's occurrence records dated from `from` to `to`, by date. */
export async function occurrencesBetween(
  manager: EntityManager,
  templateId: string,
  from: CalendarDate,
  to: CalendarDate,
): Promise<OccurrenceRecord[]> {
  const rows: OccurrenceRow[] = await manager.query(
    `SELECT ${OCCURRENCE_COLUMNS} FROM recurring_occurrences
      WHERE template_id = $1 AND occurrence_date BETWEEN $2::date AND $3::date ORDER BY occurrence_date`,
    [templateId, from, to],
  );
  return rows.map(occurrenceOf);
}

/** A waiting occurrence with what its template would book. */
export interface WaitingOccurrence extends OccurrenceRecord {
  template: RecurringTemplate;
}

/** The user's occurrences awaiting approval (or that failed to book), oldest first; limit + 1 rows. */
export async function listWaitingOccurrences(
  manager: EntityManager,
  userId: string,
  after: { d: CalendarDate; id: string } | undefined,
  limit: number,
): Promise<WaitingOccurrence[]> {
  const rows: OccurrenceRow[] = await manager.query(
    `SELECT ${OCCURRENCE_COLUMNS} FROM recurring_occurrences
      WHERE user_id = $1 AND status IN ('pending','failed')
        AND ($2::date IS NULL OR (occurrence_date, id) > ($2::date, $3::uuid))
      ORDER BY occurrence_date, id LIMIT $4`,
    [userId, after?.d ?? null, after?.id ?? null, limit + 1],
  );
  if (!rows.length) return [];
  const templates = await manager
    .createQueryBuilder(RecurringTemplate, 't')
    .where('t.id IN (:...ids)', { ids: [...new Set(rows.map((r) => r.template_id))] })
    .getMany();
  const byId = new Map(templates.map((t) => [t.id, t]));
  return rows.map((row) => ({ ...occurrenceOf(row), template: byId.get(row.template_id)! }));
}

/**
 * A category deleted with `reassign_to`: its templates move to the new category where their type
 * fits it (a deletion without one leaves them uncategorised through the foreign key, as it leaves
 * transactions). Before the category row goes.
 */
export async function moveTemplatesToCategory(
  manager: EntityManager,
  userId: string,
  fromCategoryId: string,
  toCategoryId: string | null,
): Promise<void> {
  if (toCategoryId === null || toCategoryId === fromCategoryId) return;
  await manager.query(
    `UPDATE recurring_templates t SET category_id = c.id, version = t.version + 1
       FROM categories c
      WHERE t.user_id = $1 AND t.category_id = $2 AND c.id = $3 AND c.user_id = $1
        AND (c.kind = 'both' OR c.kind = t.transaction_type)`,
    [userId, fromCategoryId, toCategoryId],
  );
}

/** auth.user.deleted: the user's templates and their occurrence records (never their transactions: those go with the ledger's purge). */
export async function deleteRecurringOf(manager: EntityManager, userId: string): Promise<void> {
  await manager.query(`DELETE FROM recurring_occurrences WHERE user_id = $1`, [userId]);
  await manager.query(`DELETE FROM recurring_templates WHERE user_id = $1`, [userId]);
}
