import { minorDigits, toMinorUnits, formatMinorUnits } from '@finance/shared';

const formatters = new Map<string, Intl.NumberFormat>();

/**
 * An amount as a person reads it in its currency: "€1,234.50", "¥1,500", "BHD 1.250". The decimal
 * string is handed to Intl as a string (formatted exactly, never through a float) after being
 * normalised to the currency's minor digits; an amount that does not fit them is shown as it came,
 * with the code, rather than rounded.
 */
export function formatMoney(amount: string, currency: string): string {
  let exact: string;
  try {
    exact = formatMinorUnits(toMinorUnits(amount, currency), currency);
  } catch {
    return `${amount} ${currency}`;
  }
  let formatter = formatters.get(currency);
  if (!formatter) {
    const digits = minorDigits(currency);
    formatter = new Intl.NumberFormat('en-US', {
      style: 'currency',
      currency,
      minimumFractionDigits: digits,
      maximumFractionDigits: digits,
    });
    formatters.set(currency, formatter);
  }
  // Intl.NumberFormat formats decimal strings exactly (ES2023); the cast is for TypeScript's older lib.
  return formatter.format(exact as unknown as number);
}
