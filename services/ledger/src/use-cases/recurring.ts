import type { EntityManager } from 'typeorm';
import {
  compareDates,
  formatMinorUnits,
  lockUserForWrite,
  publishEvent,
  type CalendarDate,
  type CreationCursor,
} from '@finance/shared';
import { RuleViolation, missing } from '../domain/problems';
import {
  patchedTemplate,
  replacementTemplate,
  rescheduledOccurrence,
  ruleOf,
  type RecurringField,
  type TemplateDraft,
  type TemplatePatch,
  type TemplateReplacement,
  type TemplateState,
} from '../domain/recurring';
import {
  firstScheduledOccurrence,
  indexOfOccurrence,
  occurrenceAt,
  occurrencesFrom,
  recurrenceRuleProblems,
  reminderDate,
  todayFor,
  type Occurrence,
} from '../domain/recurring-dates';
import type { TransactionDraft } from '../domain/transactions';
import type { Transaction } from '../data/entities';
import {
  claimTemplate,
  deleteTemplate as deleteTemplateRow,
  findOccurrence,
  findTemplate,
  insertOccurrence,
  insertTemplate,
  listTemplates,
  listWaitingOccurrences,
  markReminded,
  occurrencesBetween,
  saveTemplate,
  updateOccurrence,
  type OccurrenceRecord,
  type TemplateValues,
  type WaitingOccurrence,
} from '../data/recurring';
import { RecurringTemplate } from '../data/recurring-entities';
import { withUserSettings, type LedgerContext, type SettingsOf } from './context';
import { withRates } from './exchange-rates';
import { fxContextOf } from './fx-conversions';
import { recordTransaction, resolveDraft } from './transactions';
import type { VersionCheck } from './version-check';

/** A stored template as a client sees it: what PUT and PATCH start from. */
export function templateStateOf(t: RecurringTemplate): TemplateState {
  return {
    accountId: t.accountId,
    toAccountId: t.toAccountId,
    categoryId: t.categoryId,
    type: t.type,
    amount: formatMinorUnits(t.amountMinor, t.currency),
    currency: t.currency,
    description: t.description,
    notes: t.notes,
    payee: t.payee,
    tags: t.tags,
    frequency: t.frequency,
    interval: t.interval,
    startDate: t.startDate,
    endDate: t.endDate,
    maxOccurrences: t.maxOccurrences,
    autoCreate: t.autoCreate,
    remindDaysBefore: t.remindDaysBefore,
    isActive: t.isActive,
  };
}

function checkRule(draft: TemplateDraft): void {
  const problems = recurrenceRuleProblems(ruleOf(draft));
  if (problems.length)
    throw new RuleViolation<RecurringField>('invalid', 'The request body is invalid', problems);
}

/**
 * The template's values, checked exactly as a transaction on its start date would be (accounts and
 * category are the user's, the type and category fit, the amount fits the currency, no archived
 * account), plus where its series stands.
 */
async function templateValues(
  context: LedgerContext,
  manager: EntityManager,
  userId: string,
  settingsOf: SettingsOf,
  draft: TemplateDraft,
  mayFetchRates: boolean,
  next: (today: CalendarDate) => Occurrence | undefined,
): Promise<TemplateValues> {
  checkRule(draft);
  const user = await lockUserForWrite(manager, userId);
  const values = await resolveDraft(
    context,
    manager,
    userId,
    settingsOf,
    { ...draft.transaction, date: draft.startDate },
    mayFetchRates,
  );
  const upcoming = next(todayFor(context.clock(), settingsOf(user).timezone));
  return {
    accountId: values.accountId,
    toAccountId: values.toAccountId,
    categoryId: values.categoryId,
    type: values.type,
    amountMinor: values.amountMinor,
    currency: values.currency,
    description: values.description,
    notes: values.notes,
    payee: values.payee,
    tags: values.tags,
    frequency: draft.frequency,
    interval: draft.interval,
    startDate: draft.startDate,
    endDate: draft.endDate,
    maxOccurrences: draft.maxOccurrences,
    autoCreate: draft.autoCreate,
    remindDaysBefore: draft.remindDaysBefore,
    isActive: draft.isActive,
    nextOccurrenceIndex: upcoming?.index ?? null,
    nextOccurrenceDate: upcoming?.date ?? null,
  };
}

/** Creates a template; its series starts at the first date on or after today, or at start_date with `backfill`. */
export function createTemplate(
  context: LedgerContext,
  userId: string,
  draft: TemplateDraft,
  backfill: boolean,
): Promise<RecurringTemplate> {
  return withRates(fxContextOf(context), (mayFetchRates) =>
    withUserSettings(context, userId, (settingsOf) =>
      context.dataSource.transaction(async (manager) => {
        const values = await templateValues(
          context,
          manager,
          userId,
          settingsOf,
          draft,
          mayFetchRates,
          (today) => firstScheduledOccurrence(ruleOf(draft), today, backfill),
        );
        return insertTemplate(manager, userId, values, context.clock());
      }),
    ),
  );
}

export async function getTemplate(
  context: LedgerContext,
  userId: string,
  id: string,
): Promise<RecurringTemplate> {
  const template = await findTemplate(context.dataSource.manager, userId, id);
  if (!template) throw missing('Recurring template');
  return template;
}

export function listTemplatesPage(
  context: LedgerContext,
  userId: string,
  options: { isActive?: boolean; after?: CreationCursor; limit: number },
): Promise<RecurringTemplate[]> {
  return listTemplates(context.dataSource.manager, userId, options);
}

/** Locks the user and the template, checks its version, applies `change` (undefined: nothing to change). */
function changeTemplate(
  context: LedgerContext,
  userId: string,
  id: string,
  check: VersionCheck,
  change: (current: TemplateState) => TemplateDraft | undefined,
): Promise<RecurringTemplate> {
  return withRates(fxContextOf(context), (mayFetchRates) =>
    withUserSettings(context, userId, (settingsOf) =>
      context.dataSource.transaction(async (manager) => {
        await lockUserForWrite(manager, userId);
        const current = await findTemplate(manager, userId, id, { lock: true });
        if (!current) throw missing('Recurring template');
        check(current.version);
        const draft = change(templateStateOf(current));
        if (!draft) return current;
        const values = await templateValues(
          context,
          manager,
          userId,
          settingsOf,
          draft,
          mayFetchRates,
          (today) =>
            rescheduledOccurrence(ruleOf(draft), {
              today,
              currentNext: current.nextOccurrenceDate,
              restart: !current.isActive || current.nextOccurrenceDate === null,
            }),
        );
        return saveTemplate(manager, current, values, context.clock());
      }),
    ),
  );
}

export function replaceTemplate(
  context: LedgerContext,
  userId: string,
  id: string,
  draft: TemplateReplacement,
  check: VersionCheck,
): Promise<RecurringTemplate> {
  return changeTemplate(context, userId, id, check, (current) => replacementTemplate(current, draft));
}

export function patchTemplate(
  context: LedgerContext,
  userId: string,
  id: string,
  patch: TemplatePatch,
  check: VersionCheck,
): Promise<RecurringTemplate> {
  return changeTemplate(context, userId, id, check, (current) => patchedTemplate(current, patch));
}

/** DELETE: deactivates (history kept); `hard` removes the template and its occurrence records, never the transactions it booked. */
export async function deleteTemplate(
  context: LedgerContext,
  userId: string,
  id: string,
  hard: boolean,
  check: VersionCheck,
): Promise<void> {
  await context.dataSource.transaction(async (manager) => {
    await lockUserForWrite(manager, userId);
    const template = await findTemplate(manager, userId, id, { lock: true });
    if (!template) throw missing('Recurring template');
    check(template.version);
    if (hard) await deleteTemplateRow(manager, template);
    else if (template.isActive) await saveTemplate(manager, template, { isActive: false }, context.clock());
  });
}

/** One date of a preview, with what is already decided for it (skipped ahead, booked early). */
export interface PreviewedOccurrence extends Occurrence {
  status: 'scheduled' | OccurrenceRecord['status'];
  transactionId: string | null;
}

/** The next `count` dates of the series (none for an inactive or ended one). */
export async function previewOccurrences(
  context: LedgerContext,
  userId: string,
  id: string,
  count: number,
): Promise<PreviewedOccurrence[]> {
  const { manager } = context.dataSource;
  const template = await getTemplate(context, userId, id);
  if (!template.isActive || template.nextOccurrenceIndex === null) return [];
  const dates = occurrencesFrom(ruleOf(template), template.nextOccurrenceIndex, count);
  if (!dates.length) return [];
  const recorded = new Map(
    (await occurrencesBetween(manager, template.id, dates[0].date, dates[dates.length - 1].date)).map((o) => [
      o.date,
      o,
    ]),
  );
  return dates.map((o) => ({
    ...o,
    status: recorded.get(o.date)?.status ?? 'scheduled',
    transactionId: recorded.get(o.date)?.transactionId ?? null,
  }));
}

export function listDuePage(
  context: LedgerContext,
  userId: string,
  after: { d: CalendarDate; id: string } | undefined,
  limit: number,
): Promise<WaitingOccurrence[]> {
  return listWaitingOccurrences(context.dataSource.manager, userId, after, limit);
}

// ── booking occurrences ───────────────────────────────────────────────────────

/** What an occurrence books: the template's transaction on that date (an approval may change the amount). */
function occurrenceDraft(template: RecurringTemplate, date: CalendarDate, amount?: string): TransactionDraft {
  return {
    accountId: template.accountId,
    toAccountId: template.toAccountId,
    categoryId: template.categoryId,
    type: template.type,
    amount: amount ?? formatMinorUnits(template.amountMinor, template.currency),
    currency: template.currency,
    description: template.description,
    notes: template.notes,
    payee: template.payee,
    tags: template.tags,
    date,
  };
}

/** Books one occurrence: the transaction and its `ledger.transaction.created`, then `ledger.recurring.generated`. */
async function bookOccurrence(
  context: LedgerContext,
  manager: EntityManager,
  settingsOf: SettingsOf,
  mayFetchRates: boolean,
  template: RecurringTemplate,
  date: CalendarDate,
  amount?: string,
): Promise<Transaction> {
  const transaction = await recordTransaction(
    context,
    manager,
    template.userId,
    settingsOf,
    occurrenceDraft(template, date, amount),
    mayFetchRates,
  );
  await publishEvent(manager, {
    type: 'ledger.recurring.generated',
    userId: template.userId,
    aggregateId: template.id,
    aggregateVersion: template.version,
    payload: {
      recurringId: template.id,
      transactionId: transaction.id,
      date,
      amount: formatMinorUnits(transaction.amountMinor, transaction.currency),
      currency: transaction.currency,
    },
  });
  return transaction;
}

/** Moves a locked template past the occurrence at `index` (to null once the series has ended). */
async function advancePast(
  manager: EntityManager,
  template: RecurringTemplate,
  index: number,
  now: Date,
): Promise<void> {
  const nextIndex = index + 1;
  const nextDate = occurrenceAt(ruleOf(template), nextIndex);
  await saveTemplate(
    manager,
    template,
    { nextOccurrenceIndex: nextDate === undefined ? null : nextIndex, nextOccurrenceDate: nextDate ?? null },
    now,
  );
}

/** What one step of the scheduler did with a template. */
export type StepOutcome = 'booked' | 'pending' | 'failed' | 'already-recorded' | 'nothing-due';

/**
 * Handles the template's next occurrence if it is due (on or before today in the user's zone), in
 * one DB transaction: the user share-locked first (the order a deletion takes), then the template
 * claimed with SKIP LOCKED (another replica or a request has it: nothing to do now), the occurrence
 * recorded (unique per template and date: one already recorded is only stepped over), the
 * transaction booked with its events (auto_create) or left awaiting approval, and the template
 * moved on. A booking the rules refuse (an archived account) is recorded as failed, listed as due,
 * and the series goes on.
 */
export function stepTemplate(
  context: LedgerContext,
  userId: string,
  templateId: string,
): Promise<{ outcome: StepOutcome; moreDue: boolean }> {
  return withRates(fxContextOf(context), (mayFetchRates) =>
    withUserSettings(context, userId, (settingsOf) =>
      context.dataSource.transaction(async (manager) => {
        const nothing = { outcome: 'nothing-due' as const, moreDue: false };
        const user = await lockUserForWrite(manager, userId);
        const template = await claimTemplate(manager, userId, templateId);
        const now = context.clock();
        const today = todayFor(now, settingsOf(user).timezone);
        if (
          !template?.isActive ||
          template.nextOccurrenceDate === null ||
          template.nextOccurrenceIndex === null
        )
          return nothing;
        const date = template.nextOccurrenceDate;
        const index = template.nextOccurrenceIndex;
        if (compareDates(date, today) > 0) return nothing;
        const occurrence = await insertOccurrence(
          manager,
          {
            templateId: template.id,
            userId,
            date,
            index,
            status: template.autoCreate ? 'booked' : 'pending',
            transactionId: null,
            failure: null,
          },
          now,
        );
        let outcome: StepOutcome = template.autoCreate ? 'booked' : 'pending';
        if (!occurrence) outcome = 'already-recorded';
        else if (template.autoCreate) {
          try {
            const transaction = await bookOccurrence(
              context,
              manager,
              settingsOf,
              mayFetchRates,
              template,
              date,
            );
            await updateOccurrence(
              manager,
              occurrence.id,
              { status: 'booked', transactionId: transaction.id, failure: null },
              now,
            );
          } catch (error) {
            // Refused by the rules before anything was written (the transaction is intact).
            if (!(error instanceof RuleViolation)) throw error;
            await updateOccurrence(
              manager,
              occurrence.id,
              { status: 'failed', transactionId: null, failure: error.detail },
              now,
            );
            outcome = 'failed';
          }
        }
        await advancePast(manager, template, index, now);
        const next = template.nextOccurrenceDate;
        return { outcome, moreDue: next !== null && compareDates(next, today) <= 0 };
      }),
    ),
  );
}

/** The answer of a manual booking: the transaction, and the occurrence it is recorded as. */
export interface BookedOccurrence {
  transaction: Transaction;
  occurrence: OccurrenceRecord;
}

function alreadyBooked(occurrence: OccurrenceRecord): RuleViolation<RecurringField> {
  return new RuleViolation<RecurringField>(
    'conflict',
    occurrence.transactionId
      ? `The occurrence on ${occurrence.date} is already booked as transaction ${occurrence.transactionId}`
      : `The occurrence on ${occurrence.date} was already booked (its transaction has since been deleted)`,
    [{ field: 'occurrenceDate', message: 'Already booked' }],
  );
}

/**
 * Books one occurrence now, in one DB transaction with its record and events: the user and the
 * template locked (waiting for a scheduler that holds it), then the record claimed or taken over.
 * `pick` chooses the date from the locked template and refuses what it must.
 */
function bookManually(
  context: LedgerContext,
  userId: string,
  id: string,
  pick: (
    template: RecurringTemplate,
    recorded: (date: CalendarDate) => Promise<OccurrenceRecord | undefined>,
  ) => Promise<{
    date: CalendarDate;
    index: number;
    amount?: string;
  }>,
): Promise<BookedOccurrence> {
  return withRates(fxContextOf(context), (mayFetchRates) =>
    withUserSettings(context, userId, (settingsOf) =>
      context.dataSource.transaction(async (manager) => {
        await lockUserForWrite(manager, userId);
        const template = await findTemplate(manager, userId, id, { lock: true });
        if (!template) throw missing('Recurring template');
        const { date, index, amount } = await pick(template, (d) =>
          findOccurrence(manager, template.id, d, { lock: true }),
        );
        const now = context.clock();
        const existing = await findOccurrence(manager, template.id, date, { lock: true });
        if (existing?.status === 'booked') throw alreadyBooked(existing);
        const transaction = await bookOccurrence(
          context,
          manager,
          settingsOf,
          mayFetchRates,
          template,
          date,
          amount,
        );
        const change = { status: 'booked' as const, transactionId: transaction.id, failure: null };
        const occurrence = existing
          ? await updateOccurrence(manager, existing.id, change, now)
          : (await insertOccurrence(
              manager,
              { templateId: template.id, userId, date, index, ...change },
              now,
            ))!;
        if (template.nextOccurrenceIndex === index) await advancePast(manager, template, index, now);
        return { transaction, occurrence };
      }),
    ),
  );
}

function seriesIndex(template: RecurringTemplate, date: CalendarDate): number {
  const index = indexOfOccurrence(ruleOf(template), date);
  if (index === undefined)
    throw new RuleViolation<RecurringField>('unprocessable', `The series has no occurrence on ${date}`, [
      { field: 'occurrenceDate', message: 'Not a date of this series' },
    ]);
  return index;
}

/**
 * POST /recurring/{id}/process: books the next occurrence now (or the one on `date`), whether or
 * not it is due. An inactive template or an ended series: 409; a date already booked: 409 naming
 * its transaction.
 */
export function processTemplate(
  context: LedgerContext,
  userId: string,
  id: string,
  date: CalendarDate | undefined,
): Promise<BookedOccurrence> {
  return bookManually(context, userId, id, async (template) => {
    if (!template.isActive)
      throw new RuleViolation<RecurringField>(
        'conflict',
        'The recurring template is inactive; reactivate it (PATCH {"is_active": true}) first',
      );
    if (date !== undefined) return { date, index: seriesIndex(template, date) };
    if (template.nextOccurrenceDate === null || template.nextOccurrenceIndex === null)
      throw new RuleViolation<RecurringField>('conflict', 'The series has ended: it has no next occurrence');
    return { date: template.nextOccurrenceDate, index: template.nextOccurrenceIndex };
  });
}

/** Approves an occurrence awaiting approval (or one that failed to book), optionally with another amount. */
export function approveOccurrence(
  context: LedgerContext,
  userId: string,
  id: string,
  date: CalendarDate,
  amount: string | undefined,
): Promise<BookedOccurrence> {
  return bookManually(context, userId, id, async (_template, recorded) => {
    const occurrence = await recorded(date);
    if (!occurrence)
      throw new RuleViolation<RecurringField>('not_found', `No occurrence on ${date} awaits approval`, [
        { field: 'occurrenceDate', message: 'Nothing awaits approval on this date' },
      ]);
    if (occurrence.status === 'booked') throw alreadyBooked(occurrence);
    if (occurrence.status === 'skipped')
      throw new RuleViolation<RecurringField>('conflict', `The occurrence on ${date} was skipped`, [
        { field: 'occurrenceDate', message: 'Skipped' },
      ]);
    return { date, index: occurrence.index, amount };
  });
}

/**
 * Skips an occurrence: one awaiting approval or that failed, or a date still ahead (recorded now,
 * so the scheduler steps over it). Skipping twice is the same skip; a booked one: 409.
 */
export function skipOccurrence(
  context: LedgerContext,
  userId: string,
  id: string,
  date: CalendarDate,
): Promise<OccurrenceRecord> {
  return context.dataSource.transaction(async (manager) => {
    await lockUserForWrite(manager, userId);
    const template = await findTemplate(manager, userId, id, { lock: true });
    if (!template) throw missing('Recurring template');
    const index = seriesIndex(template, date);
    const now = context.clock();
    const existing = await findOccurrence(manager, template.id, date, { lock: true });
    if (existing?.status === 'booked') throw alreadyBooked(existing);
    if (existing?.status === 'skipped') return existing;
    const change = { status: 'skipped' as const, transactionId: null, failure: null };
    const occurrence = existing
      ? await updateOccurrence(manager, existing.id, change, now)
      : (await insertOccurrence(manager, { templateId: template.id, userId, date, index, ...change }, now))!;
    if (template.nextOccurrenceIndex === index) await advancePast(manager, template, index, now);
    return occurrence;
  });
}

/**
 * Sends the reminder of the template's next occurrence (`ledger.recurring.upcoming`) if it is due
 * today in the user's zone and still ahead, once per occurrence: the conditional update of
 * `reminded_date` decides, also between replicas. True when this call sent it.
 */
export function remindOfNext(
  context: LedgerContext,
  templateId: string,
  today: CalendarDate,
): Promise<boolean> {
  return context.dataSource.transaction(async (manager) => {
    const template = await manager.findOneBy(RecurringTemplate, { id: templateId });
    const next = template?.nextOccurrenceDate;
    if (!template?.isActive || !next || template.remindDaysBefore === 0) return false;
    if (
      compareDates(next, today) <= 0 ||
      compareDates(reminderDate(next, template.remindDaysBefore), today) > 0
    )
      return false;
    const reminded = await markReminded(manager, template.id, next);
    if (!reminded) return false;
    await publishEvent(manager, {
      type: 'ledger.recurring.upcoming',
      userId: template.userId,
      aggregateId: template.id,
      aggregateVersion: template.version,
      payload: {
        recurringId: template.id,
        dueDate: next,
        amount: formatMinorUnits(template.amountMinor, template.currency),
        currency: template.currency,
        type: template.type,
        description: template.description,
      },
    });
    return true;
  });
}
