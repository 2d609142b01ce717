import { MoneyError, toMinorUnits } from '@finance/shared';
import { RuleViolation } from './problems';

/** The largest amount a PostgreSQL bigint column holds, in minor units. */
const MAX_MINOR_UNITS = 9_223_372_036_854_775_807n;

/**
 * A decimal amount as the minor units it is stored in; more decimals than the currency has
 * (JPY "1.5") or more than a bigint holds is an invalid `field`.
 */
export function storableMinorUnits<Field extends string>(
  amount: string,
  currency: string,
  field: Field,
): bigint {
  let minor: bigint;
  try {
    minor = toMinorUnits(amount, currency);
  } catch (error) {
    if (error instanceof MoneyError)
      throw new RuleViolation('invalid', `Invalid amount: ${error.message}`, [
        { field, message: error.message },
      ]);
    throw error;
  }
  // 15 integer digits fit every currency's shape check, but with 4 minor digits (CLF) they pass
  // PostgreSQL's bigint: refuse here rather than fail the INSERT with a 500.
  if (minor > MAX_MINOR_UNITS || minor < -MAX_MINOR_UNITS)
    throw new RuleViolation('invalid', 'Invalid amount: too large', [
      { field, message: `Too large for ${currency}` },
    ]);
  return minor;
}
