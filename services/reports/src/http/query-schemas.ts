import {
  DATE_DOMAIN,
  HttpProblem,
  badRequest,
  calendarDateSchema,
  granularities,
  type Granularity,
} from '@finance/shared';
import { z } from 'zod';
import { UNCATEGORISED } from '../domain/analytics';
import { rangeIssue, type DateRange, type RangeIssue } from '../domain/calendar';

export const rangeQuery = {
  from: calendarDateSchema.optional().meta({
    description: `First day (inclusive), ${DATE_DOMAIN.min}..${DATE_DOMAIN.max}. Default: the 1st of to's month, or of the current month in your timezone`,
    example: '2026-01-01',
  }),
  to: calendarDateSchema.optional().meta({
    description: `Last day (inclusive), ${DATE_DOMAIN.min}..${DATE_DOMAIN.max}. Default: the last day of from's month, or of the current month in your timezone`,
    example: '2026-01-31',
  }),
};

export const granularityParam = z
  .enum(granularities)
  .meta({ description: 'Period length; weeks start on Monday' });

export const accountIdParam = z.uuid().meta({ description: 'One of your accounts (404 otherwise)' });

/** A category id, or `uncategorized` (the ledger's spelling) for uncategorised money. */
export const categoryIdParam = z
  .union([z.uuid(), z.literal('uncategorized')])
  .meta({ description: 'One of your categories (404 otherwise), or `uncategorized`' });

/** The roll-up / read-model key a category filter means: the nil UUID for `uncategorized`. */
export function categoryKeyOf(categoryId: string): string {
  return categoryId === 'uncategorized' ? UNCATEGORISED : categoryId;
}

function rangeProblem(issue: RangeIssue, range: DateRange, granularity?: Granularity): HttpProblem {
  switch (issue.kind) {
    case 'reversed':
      return badRequest('The range is empty: from is after to', [
        { field: 'query.from', message: 'Must not be after to' },
      ]);
    case 'too-long':
      return badRequest(`The range is ${issue.days} days; at most ${issue.max} (5 years) are answered`, [
        { field: 'query.to', message: `The range may span at most 5 years (${issue.max} days)` },
      ]);
    case 'too-many-periods': {
      const message = `${issue.periods} periods by ${granularity} is more than ${issue.max}`;
      return badRequest(
        `From ${range.from} to ${range.to} by ${granularity} is ${issue.periods} periods; at most ${issue.max} are answered at once: choose a coarser granularity or a shorter range`,
        [
          { field: 'query.granularity', message: `${message}: choose a coarser one` },
          { field: 'query.from', message: `${message}: shorten the range` },
          { field: 'query.to', message: `${message}: shorten the range` },
        ],
      );
    }
  }
}

/**
 * Checks the range a client sent, before anything is read or built: reversed, longer than five
 * years, or (for a series) more than MAX_PERIODS periods is a 400 naming the parameters. A range
 * with an end missing is completed within one month (completeRange), which is always valid.
 */
export function checkRequestedRange(
  query: { from?: string; to?: string },
  granularity?: Granularity,
): { from?: string; to?: string } {
  if (query.from !== undefined && query.to !== undefined) {
    const range = { from: query.from, to: query.to };
    const issue = rangeIssue(range, granularity);
    if (issue) throw rangeProblem(issue, range, granularity);
  }
  return { from: query.from, to: query.to };
}
