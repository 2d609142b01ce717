import { parseDecimal } from '@finance/shared';

/** Percent shares have at most this many decimals (12.3456 %). */
export const PERCENT_DECIMALS = 4;
const PERCENT_SCALE = 10n ** BigInt(PERCENT_DECIMALS);
const WHOLE = 100n * PERCENT_SCALE;

/** A percent share in units of 1/10,000 of a percent ("12.5" → 125000n); undefined when unusable. */
export function percentUnits(share: string): bigint | undefined {
  let parsed: { value: bigint; scale: bigint };
  try {
    parsed = parseDecimal(share);
  } catch {
    return undefined;
  }
  if (parsed.value <= 0n || PERCENT_SCALE % parsed.scale !== 0n) return undefined;
  return parsed.value * (PERCENT_SCALE / parsed.scale);
}

/** Whether shares (each > 0, ≤ 4 decimals) sum to exactly 100 %. */
export function sharesMakeWhole(shares: readonly string[]): boolean {
  let sum = 0n;
  for (const s of shares) {
    const units = percentUnits(s);
    if (units === undefined) return false;
    sum += units;
  }
  return sum === WHOLE;
}

/**
 * Splits `totalMinor` by percentages that make 100 % exactly, by largest remainder: each part gets
 * the floor of its exact share in minor units, then the units left over go one each to the parts
 * with the largest remainders (ties: the earlier part). The parts always sum to the total.
 */
export function splitByPercentages(totalMinor: bigint, shares: readonly string[]): bigint[] {
  const units = shares.map((s) => {
    const u = percentUnits(s);
    if (u === undefined) throw new RangeError(`Not a percent share: ${s}`);
    return u;
  });
  if (units.reduce((a, b) => a + b, 0n) !== WHOLE) throw new RangeError('Shares must make 100 %');
  const parts = units.map((u) => (totalMinor * u) / WHOLE);
  const remainders = units.map((u, index) => ({ index, remainder: (totalMinor * u) % WHOLE }));
  let left = totalMinor - parts.reduce((a, b) => a + b, 0n);
  remainders.sort((a, b) =>
    a.remainder === b.remainder ? a.index - b.index : a.remainder > b.remainder ? -1 : 1,
  );
  for (const { index } of remainders) {
    if (left === 0n) break;
    parts[index] += 1n;
    left -= 1n;
  }
  return parts;
}

/**
 * Fixed amounts first, what is left in a last part: undefined when the fixed amounts exceed the
 * total (the split does not fit this transaction); no last part when they use it all.
 */
export function splitByAmounts(totalMinor: bigint, amountsMinor: readonly bigint[]): bigint[] | undefined {
  const fixed = amountsMinor.reduce((a, b) => a + b, 0n);
  if (fixed > totalMinor) return undefined;
  return fixed === totalMinor ? [...amountsMinor] : [...amountsMinor, totalMinor - fixed];
}
