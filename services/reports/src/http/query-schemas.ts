import { badRequest } from '@finance/shared';
import { z } from 'zod';
import {
  addDays,
  addMonths,
  daysBetween,
  granularities,
  isCalendarDate,
  localDate,
} from '../domain/calendar';

export const calendarDateParam = z
  .string()
  .refine(isCalendarDate, { message: 'Must be a calendar date YYYY-MM-DD' })
  .meta({ example: '2026-01-31' });

export const rangeQuery = {
  from: calendarDateParam.optional().meta({
    description:
      "First day (inclusive). Default: the 1st of to's month, or of the current month in your timezone",
  }),
  to: calendarDateParam.optional().meta({
    description:
      "Last day (inclusive). Default: the last day of from's month, or of the current month in your timezone",
  }),
};

export const granularityParam = z
  .enum(granularities)
  .meta({ description: 'Period length; weeks start on Monday' });

/** Longest range analytics answer (five years, leap days included). */
export const MAX_RANGE_DAYS = 5 * 366;

/**
 * Applies the documented defaults and checks the range: a missing end completes the month of
 * the other one; with neither, the range is the current month in the user's timezone.
 */
export function resolveRange(
  query: { from?: string; to?: string },
  now: Date,
  timezone: string,
): { from: string; to: string } {
  const anchor = query.from ?? query.to ?? localDate(now, timezone);
  const monthStart = `${anchor.slice(0, 7)}-01`;
  const from = query.from ?? monthStart;
  const to = query.to ?? addDays(addMonths(monthStart, 1), -1);
  if (from > to)
    throw badRequest('The range is empty', [{ field: 'query.from', message: 'Must not be after to' }]);
  if (daysBetween(from, to) >= MAX_RANGE_DAYS) {
    throw badRequest('The range is too long', [
      { field: 'query.to', message: 'The range may span at most 5 years' },
    ]);
  }
  return { from, to };
}
