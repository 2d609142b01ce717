import { MoneyError, badRequest, toMinorUnits } from '@finance/shared';

/** The largest amount a bigint column holds, in minor units: no amount or sum the service keeps exceeds it. */
export const MAX_MINOR_UNITS = 9_223_372_036_854_775_807n;

/**
 * A decimal amount from a request in minor units of `currency`: more decimals than the currency
 * has, or more than a bigint column holds (4-decimal currencies with 15 integer digits), is a 400
 * naming `field`, never a failed INSERT.
 */
export function minorUnitsOf(amount: string, currency: string, field: string): bigint {
  let minor: bigint;
  try {
    minor = toMinorUnits(amount, currency);
  } catch (error) {
    if (error instanceof MoneyError) throw badRequest(error.message, [{ field, message: error.message }]);
    throw error;
  }
  const magnitude = minor < 0n ? -minor : minor;
  if (magnitude > MAX_MINOR_UNITS)
    throw badRequest('The amount is too large', [{ field, message: `Too large for ${currency}` }]);
  return minor;
}
