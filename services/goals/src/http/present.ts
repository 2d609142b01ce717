import { formatMinorUnits, type CalendarDate } from '@finance/shared';
import type { z } from 'zod';
import type { Progress } from '../domain/progress';
import type { SeriesGranularity, SeriesPoint, SeriesRange } from '../domain/progress-series';
import type { ContributionRecord } from '../data/contribution-store';
import type { GoalRecord } from '../data/goal-store';
import type { contributionSchema, goalDetailSchema, goalSchema, progressSeriesSchema } from './schemas';

/** The wire form (snake_case, decimal strings) of what goals keeps. */

export function presentGoal(goal: GoalRecord): z.output<typeof goalSchema> {
  return {
    id: goal.id,
    name: goal.name,
    target_amount: formatMinorUnits(goal.targetMinor, goal.currency),
    current_amount: formatMinorUnits(goal.currentMinor, goal.currency),
    currency: goal.currency,
    deadline: goal.deadline,
    status: goal.status,
    account_id: goal.accountId,
    notes: goal.notes,
    created_at: goal.createdAt.toISOString(),
    updated_at: goal.updatedAt.toISOString(),
    version: goal.version,
  };
}

export function presentGoalDetail(
  goal: GoalRecord,
  today: CalendarDate,
  progress: Progress,
): z.output<typeof goalDetailSchema> {
  const money = (minor: bigint) => formatMinorUnits(minor, goal.currency);
  const outlook = progress.deadline;
  const moneyOrNull = (minor: bigint | null | undefined) =>
    minor === null || minor === undefined ? null : money(minor);
  return {
    ...presentGoal(goal),
    progress: {
      as_of: today,
      percent: progress.percent,
      remaining: money(progress.remaining),
      pace: {
        window_start: progress.pace.windowStart,
        window_days: progress.pace.windowDays,
        saved: money(progress.pace.saved),
        per_week: money(progress.pace.perWeek),
        per_month: money(progress.pace.perMonth),
      },
      projected_completion_date: progress.projectedCompletion,
      days_left: outlook?.daysLeft ?? null,
      deadline_passed: outlook?.passed ?? null,
      months_left: outlook?.monthsLeft ?? null,
      weeks_left: outlook?.weeksLeft ?? null,
      needed_per_month: moneyOrNull(outlook?.neededPerMonth),
      needed_per_week: moneyOrNull(outlook?.neededPerWeek),
      on_track: outlook?.onTrack ?? null,
    },
  };
}

export function presentSeries(
  goal: GoalRecord,
  granularity: SeriesGranularity,
  range: SeriesRange,
  points: SeriesPoint[],
): z.output<typeof progressSeriesSchema> {
  const money = (minor: bigint) => formatMinorUnits(minor, goal.currency);
  const target = money(goal.targetMinor);
  return {
    goal_id: goal.id,
    granularity,
    from: range.from,
    to: range.to,
    currency: goal.currency,
    target_amount: target,
    periods: points.map((point) => ({
      period_start: point.periodStart,
      period_end: point.periodEnd,
      contributed: money(point.contributed),
      cumulative: money(point.cumulative),
      target,
    })),
  };
}

export function presentContribution(
  contribution: ContributionRecord,
  currency: string,
): z.output<typeof contributionSchema> {
  return {
    id: contribution.id,
    goal_id: contribution.goalId,
    kind: contribution.kind,
    transaction_id: contribution.transactionId,
    whole_transaction: contribution.wholeTransaction,
    amount: formatMinorUnits(contribution.amountMinor, currency),
    date: contribution.date,
    note: contribution.note,
    created_at: contribution.createdAt.toISOString(),
  };
}
