import { compareDates, type CalendarDate } from '@finance/shared';
import { isEmptyPatch, mergePatch, type MergePatch } from './merge-patch';
import {
  firstOccurrenceOnOrAfter,
  type Frequency,
  type Occurrence,
  type RecurrenceRule,
} from './recurring-dates';
import {
  patchedDraft,
  type TransactionDraft,
  type TransactionField,
  type TransactionType,
} from './transactions';

/** The fields a template's rules may name (the transaction's, the series' and an occurrence's date). */
export type RecurringField =
  | TransactionField
  | 'frequency'
  | 'interval'
  | 'startDate'
  | 'endDate'
  | 'maxOccurrences'
  | 'remindDaysBefore'
  | 'occurrenceDate';

/** A stored template as a client sees it (the target of a PATCH). */
export interface TemplateState {
  accountId: string;
  toAccountId: string | null;
  categoryId: string | null;
  type: TransactionType;
  amount: string;
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
}

/** A template as a client describes it: the transaction each occurrence books, and the series. */
export interface TemplateDraft {
  transaction: Omit<TransactionDraft, 'date'>;
  frequency: Frequency;
  interval: number;
  startDate: CalendarDate;
  endDate: CalendarDate | null;
  maxOccurrences: number | null;
  autoCreate: boolean;
  remindDaysBefore: number;
  isActive: boolean;
}

export type TemplatePatch = MergePatch<TemplateState>;

export function ruleOf(t: {
  frequency: Frequency;
  interval: number;
  startDate: CalendarDate;
  endDate: CalendarDate | null;
  maxOccurrences: number | null;
}): RecurrenceRule {
  return {
    frequency: t.frequency,
    interval: t.interval,
    startDate: t.startDate,
    endDate: t.endDate,
    maxOccurrences: t.maxOccurrences,
  };
}

/** A PUT's body: a template draft whose start_date may be left out. */
export type TemplateReplacement = Omit<TemplateDraft, 'startDate'> & { startDate?: CalendarDate };

/**
 * A PUT: every field replaced, but a template without account_id stays on its account and one
 * without start_date keeps its anchor (as a transaction keeps its account and date).
 */
export function replacementTemplate(current: TemplateState, replacement: TemplateReplacement): TemplateDraft {
  return {
    ...replacement,
    startDate: replacement.startDate ?? current.startDate,
    transaction: {
      ...replacement.transaction,
      accountId: replacement.transaction.accountId ?? current.accountId,
    },
  };
}

/**
 * A PATCH (JSON merge onto the stored template), or undefined when it changes nothing. The
 * transaction part follows the transactions' PATCH rules (a type change drops what no longer fits).
 */
export function patchedTemplate(current: TemplateState, patch: TemplatePatch): TemplateDraft | undefined {
  if (isEmptyPatch(patch)) return undefined;
  // A template's occurrences are booked uncleared: it has no status of its own.
  const { date: _date, ...transaction } = patchedDraft(
    { ...current, date: current.startDate, cleared: 'uncleared', splits: null }, // a template is never split
    {
      accountId: patch.accountId,
      toAccountId: patch.toAccountId,
      categoryId: patch.categoryId,
      type: patch.type,
      amount: patch.amount,
      currency: patch.currency,
      description: patch.description,
      notes: patch.notes,
      payee: patch.payee,
      tags: patch.tags,
    },
  ) ?? { ...current, date: current.startDate, cleared: 'uncleared' };
  const merged = mergePatch(current, patch);
  return {
    transaction,
    frequency: merged.frequency,
    interval: merged.interval,
    startDate: merged.startDate,
    endDate: merged.endDate ?? null,
    maxOccurrences: merged.maxOccurrences ?? null,
    autoCreate: merged.autoCreate,
    remindDaysBefore: merged.remindDaysBefore,
    isActive: merged.isActive,
  };
}

/**
 * Where a changed series goes on: its next date under the new rule, never in the past unless the
 * old series was still catching up to it. A series that restarts (reactivated, or it had ended)
 * starts at today: what fell while it was off is not booked. A date already handled is never
 * booked again whatever the rule says: its occurrence record is stepped over.
 */
export function rescheduledOccurrence(
  rule: RecurrenceRule,
  state: { today: CalendarDate; currentNext: CalendarDate | null; restart: boolean },
): Occurrence | undefined {
  const { today, currentNext } = state;
  const from =
    state.restart || currentNext === null || compareDates(currentNext, today) > 0 ? today : currentNext;
  return firstOccurrenceOnOrAfter(rule, from);
}
