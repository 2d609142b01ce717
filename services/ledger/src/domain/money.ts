import { MoneyError, toStorableMinorUnits } from '@finance/shared';
import { RuleViolation } from './problems';

/**
 * A decimal amount as the minor units it is stored in; more decimals than the currency has
 * (JPY "1.5") or more than a bigint holds is an invalid `field`.
 */
export function storableMinorUnits<Field extends string>(
  amount: string,
  currency: string,
  field: Field,
): bigint {
  try {
    return toStorableMinorUnits(amount, currency);
  } catch (error) {
    if (error instanceof MoneyError)
      throw new RuleViolation('invalid', `Invalid amount: ${error.message}`, [
        { field, message: error.message },
      ]);
    throw error;
  }
}
