import {
  MAX_PERIODS,
  compareDates,
  scheduleJob,
  type ScheduledJob,
  type ServiceContext,
} from '@finance/shared';
import { dueCandidates, reminderCandidates, type DueCandidate } from '../data/recurring';
import { latestTodayAnywhere, todayFor } from '../domain/recurring-dates';
import type { LedgerConfig } from '../config';
import { remindOfNext, stepTemplate, type StepOutcome } from '../use-cases/recurring';

/** What one round of the scheduler did. */
export interface RecurringRound {
  booked: number;
  pending: number;
  failed: number;
  reminded: number;
  /** Templates whose step threw (logged; tried again next round). */
  errors: number;
}

export type RecurringContext = Pick<ServiceContext, 'dataSource' | 'clock' | 'readYourWrites' | 'logger'>;

const PAGE = 500;

/** Walks one index range page by page in (date, id) order; `visit` runs for a page's candidates `concurrency` at a time. */
async function eachCandidate(
  page: (after: { date: string; id: string } | undefined) => Promise<DueCandidate[]>,
  concurrency: number,
  visit: (candidate: DueCandidate) => Promise<void>,
): Promise<void> {
  let after: { date: string; id: string } | undefined;
  for (;;) {
    const candidates = await page(after);
    for (let i = 0; i < candidates.length; i += concurrency)
      await Promise.all(candidates.slice(i, i + concurrency).map(visit));
    if (candidates.length < PAGE) return;
    const last = candidates[candidates.length - 1];
    after = { date: last.date, id: last.id };
  }
}

/**
 * One round: every occurrence due by today in its user's zone is handled, those missed while the
 * ledger was down included (a template steps through its due dates until its next one is ahead;
 * at most MAX_PERIODS a round, the rest next round), then the reminders due today are sent. Safe
 * to run on several replicas at once: templates are claimed with SKIP LOCKED and each occurrence
 * is unique per template and date. Only the index ranges of due templates are read, so a round
 * with nothing due costs the same whatever the number of templates.
 */
export async function runRecurringRound(
  context: RecurringContext,
  now: Date,
  options: { concurrency?: number } = {},
): Promise<RecurringRound> {
  const concurrency = options.concurrency ?? 4;
  const { manager } = context.dataSource;
  const latest = latestTodayAnywhere(now);
  const round: RecurringRound = { booked: 0, pending: 0, failed: 0, reminded: 0, errors: 0 };
  const count: Record<StepOutcome, () => void> = {
    booked: () => round.booked++,
    pending: () => round.pending++,
    failed: () => round.failed++,
    'already-recorded': () => undefined,
    'nothing-due': () => undefined,
  };

  await eachCandidate(
    (after) => dueCandidates(manager, latest, after, PAGE),
    concurrency,
    async (candidate) => {
      if (compareDates(candidate.date, todayFor(now, candidate.timezone ?? 'UTC')) > 0) return;
      try {
        for (let step = 0; step < MAX_PERIODS; step++) {
          const { outcome, moreDue } = await stepTemplate(context, candidate.userId, candidate.id);
          count[outcome]();
          if (!moreDue) break;
        }
      } catch (error) {
        round.errors++;
        context.logger.warn({ err: error, recurringId: candidate.id }, 'recurring occurrence not handled');
      }
    },
  );

  await eachCandidate(
    (after) => reminderCandidates(manager, latest, after, PAGE),
    concurrency,
    async (candidate) => {
      const today = todayFor(now, candidate.timezone ?? 'UTC');
      if (compareDates(candidate.date, today) > 0) return;
      try {
        if (await remindOfNext(context, candidate.id, today)) round.reminded++;
      } catch (error) {
        round.errors++;
        context.logger.warn({ err: error, recurringId: candidate.id }, 'recurring reminder not sent');
      }
    },
  );
  return round;
}

/** What the ledger's `setup` hands tests and tools: the scheduled job, and a round run directly (as another replica would, without the job's lock). */
export interface RecurringParts {
  recurringScheduler: ScheduledJob;
  runRecurringRound: (now: Date) => Promise<RecurringRound>;
}

/** The scheduler: `RECURRING_SCHEDULE` (every 5 minutes by default), one replica at a time (scheduleJob's lock). */
export function scheduleRecurring(context: RecurringContext & { config: LedgerConfig }): ScheduledJob {
  return scheduleJob(context, {
    name: 'recurring-scheduler',
    schedule: context.config.RECURRING_SCHEDULE,
    run: (now) => runRecurringRound(context, now, { concurrency: context.config.RECURRING_CONCURRENCY }),
  });
}
