import { z } from 'zod';
import { HttpProblem, MoneyError, badRequest, toMinorUnits } from '@finance/shared';
import { isCalendarDate } from '../domain/dates';

export const idParams = z.object({ id: z.uuid().meta({ description: 'Resource id' }) });

/** A calendar date: YYYY-MM-DD, or an ISO 8601 date-time whose date part is taken as written (seed-V1 clients). */
export const calendarDateInput = z
  .string()
  .transform((value, ctx) => {
    const date = value.trim().slice(0, 10);
    const rest = value.trim().slice(10);
    if (!isCalendarDate(date) || (rest !== '' && !/^T\d{2}:\d{2}/.test(rest))) {
      ctx.addIssue({ code: 'custom', message: 'Must be a calendar date like 2024-05-31' });
      return z.NEVER;
    }
    return date;
  })
  .meta({ description: 'Calendar date (YYYY-MM-DD)', example: '2024-05-31' });

export const queryDate = z
  .string()
  .refine(isCalendarDate, { message: 'Must be a calendar date like 2024-05-31' })
  .meta({ description: 'Calendar date (YYYY-MM-DD)', example: '2024-05-31' });

/** The largest amount a bigint column holds, in minor units. */
const MAX_MINOR_UNITS = 9_223_372_036_854_775_807n;

/** A decimal amount in a currency's minor units; too many decimals is a 400 naming the field. */
export function minorUnitsOf(amount: string, currency: string, field: string): bigint {
  try {
    const minor = toMinorUnits(amount, currency);
    // 15 integer digits fit every currency's shape check, but with 4 minor digits (CLF) they pass
    // PostgreSQL's bigint: refuse here rather than fail the INSERT with a 500.
    if (minor > MAX_MINOR_UNITS || minor < -MAX_MINOR_UNITS) {
      throw badRequest('Invalid amount: too large', [{ field, message: `Too large for ${currency}` }]);
    }
    return minor;
  } catch (error) {
    if (error instanceof MoneyError)
      throw badRequest(`Invalid amount: ${error.message}`, [{ field, message: error.message }]);
    throw error;
  }
}

/** A 404 for an id the caller sent in a field: the same answer whether it is missing or someone else's. */
export function notFoundIn(what: string, field: string): HttpProblem {
  return new HttpProblem(404, `${what} not found`, {
    errors: [{ field, message: `No such ${what.toLowerCase()}` }],
  });
}

export const timestamps = {
  created_at: z
    .string()
    .meta({ description: 'When it was created (ISO 8601)', example: '2024-05-31T12:00:00.000Z' }),
  updated_at: z
    .string()
    .meta({ description: 'When it last changed (ISO 8601)', example: '2024-05-31T12:00:00.000Z' }),
  version: z.number().int().meta({ description: 'Row version; also the ETag, for If-Match', example: 1 }),
};
