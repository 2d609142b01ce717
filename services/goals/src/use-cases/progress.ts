import { addDays, badRequest, compareDates, localDate, type CalendarDate } from '@finance/shared';
import type { DataSource } from 'typeorm';
import { PACE_WINDOW_DAYS, progressOf, type Progress } from '../domain/progress';
import {
  progressSeries,
  seriesRange,
  seriesRangeIssue,
  type SeriesGranularity,
  type SeriesPoint,
  type SeriesRange,
} from '../domain/progress-series';
import { firstContributionDate, paceFigures, seriesSums } from '../data/contribution-store';
import type { GoalRecord } from '../data/goal-store';

/** Reads what a goal's progress is computed from, and computes it (domain/progress.ts). */

/** When the goal's history begins: the earlier of the day it was created (in the user's zone) and its first contribution. */
function startOf(goal: GoalRecord, timezone: string, firstDate: CalendarDate | null): CalendarDate {
  const created = localDate(goal.createdAt, timezone);
  return firstDate !== null && compareDates(firstDate, created) < 0 ? firstDate : created;
}

export async function progressOfGoal(
  db: DataSource,
  goal: GoalRecord,
  context: { timezone: string; now: Date },
): Promise<{ today: CalendarDate; progress: Progress }> {
  const today = localDate(context.now, context.timezone);
  const figures = await paceFigures(db, goal.id, {
    from: addDays(today, -(PACE_WINDOW_DAYS - 1)),
    to: today,
  });
  return {
    today,
    progress: progressOf({
      target: goal.targetMinor,
      current: goal.currentMinor,
      deadline: goal.deadline,
      today,
      start: startOf(goal, context.timezone, figures.firstDate),
      savedInWindow: figures.saved,
    }),
  };
}

/**
 * The cumulative amount over time. A reversed range is a 400 naming `query.to`; one of more than
 * MAX_PERIODS periods a 400 naming `query.from`, answered before anything is built.
 */
export async function progressSeriesOfGoal(
  db: DataSource,
  goal: GoalRecord,
  request: {
    granularity: SeriesGranularity;
    from?: CalendarDate;
    to?: CalendarDate;
    timezone: string;
    now: Date;
  },
): Promise<{ range: SeriesRange; points: SeriesPoint[] }> {
  const today = localDate(request.now, request.timezone);
  const firstDate = await firstContributionDate(db, goal.id);
  const range = seriesRange(
    request,
    { start: startOf(goal, request.timezone, firstDate), today },
    request.granularity,
  );
  const issue = seriesRangeIssue(range, request.granularity);
  if (issue?.kind === 'reversed')
    throw request.to === undefined
      ? badRequest('from is after today', [
          { field: 'query.from', message: `Must be on or before ${range.to}` },
        ])
      : badRequest('to is before from', [
          { field: 'query.to', message: `Must be on or after ${range.from}` },
        ]);
  if (issue?.kind === 'too-many-periods')
    throw badRequest(
      `The range holds ${issue.periods} ${request.granularity}s; at most ${issue.max} are answered`,
      [
        {
          field: 'query.from',
          message: `At most ${issue.max} periods: choose a later from or a larger granularity`,
        },
      ],
    );
  const sums = await seriesSums(db, goal.id, range, request.granularity);
  return { range, points: progressSeries(range, request.granularity, sums.before, sums.byPeriod) };
}
