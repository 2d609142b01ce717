import {
  convertWith,
  crossQuote,
  formatRate,
  implausibleRate,
  isFinalQuote,
  quoteFromRow,
} from '../src/domain/fx';
import { EcbFileProblem, parseEcbRates } from '../src/domain/fx-ecb-csv';

describe('exchange-rate rules', () => {
  it('turns a stored pair into a quote either way, exactly', () => {
    const row = { base: 'EUR', quote: 'JPY', date: '2026-01-02', rate: '162.12', source: 'frankfurter' };
    const eurToJpy = quoteFromRow('EUR', 'JPY', row);
    const jpyToEur = quoteFromRow('JPY', 'EUR', row);
    expect(convertWith(eurToJpy, 100n)).toBe(162n); // 1.00 EUR → 162.12 → 162 JPY
    expect(convertWith(jpyToEur, 16212n)).toBe(10000n); // the inverse is exact: 16212 JPY = 100.00 EUR
    expect(jpyToEur.ratio).toEqual({ numerator: 25n, denominator: 4053n }); // 100/16212 reduced
  });

  it('crosses through a common base as a fraction and rounds once (JPY ↔ USD ↔ BHD)', () => {
    const usdToJpy = crossQuote('USD', 'JPY', '1.0321', '162.12', '2026-01-02');
    expect(convertWith(usdToJpy, 1001n)).toBe(1572n);
    const jpyToBhd = crossQuote('JPY', 'BHD', '162.12', '0.38919', '2026-01-02');
    // 100000 JPY × 0.38919 / 162.12 = 240.0629… BHD → 240.063
    expect(convertWith(jpyToBhd, 100000n)).toBe(240063n);
    // The tie: 1 JPY at exactly 0.005 USD → 0.00 (even); 3 JPY → 0.015 → 0.02.
    const tie = crossQuote('JPY', 'USD', '200', '1', '2026-01-02');
    expect(convertWith(tie, 1n)).toBe(0n);
    expect(convertWith(tie, 3n)).toBe(2n);
    expect(convertWith(tie, -3n)).toBe(-2n);
  });

  it('shows a rate to 12 decimals, half-even, without trailing zeros', () => {
    expect(formatRate({ numerator: 1n, denominator: 3n })).toBe('0.333333333333');
    expect(formatRate({ numerator: 2n, denominator: 3n })).toBe('0.666666666667');
    expect(formatRate({ numerator: 16212n, denominator: 100n })).toBe('162.12');
    expect(formatRate({ numerator: 5n, denominator: 1n })).toBe('5');
  });

  it('refuses zero, negative and 100× jumps against the previous rate', () => {
    expect(implausibleRate('0', undefined)).toMatch(/not a positive/);
    expect(implausibleRate('-1', undefined)).toMatch(/not a positive/);
    expect(implausibleRate('162.12', undefined)).toBeUndefined();
    expect(implausibleRate('16212.01', '162.12')).toMatch(/100×/);
    expect(implausibleRate('1.6211', '162.12')).toMatch(/100×/);
    expect(implausibleRate('16212', '162.12')).toBeUndefined(); // exactly 100×: still taken
    expect(implausibleRate('170', '162.12')).toBeUndefined();
  });

  it("takes Friday's rate as final for the weekend, not for Monday", () => {
    expect(isFinalQuote('2026-01-02', '2026-01-02')).toBe(true);
    expect(isFinalQuote('2026-01-02', '2026-01-03')).toBe(true); // Saturday
    expect(isFinalQuote('2026-01-02', '2026-01-04')).toBe(true); // Sunday
    expect(isFinalQuote('2026-01-02', '2026-01-05')).toBe(false); // Monday
  });

  it("reads the ECB's reference-rate file (trailing commas, N/A) and names the line of a problem", () => {
    const days = parseEcbRates(
      'Date,USD,JPY,CYP,\n2026-01-02,1.0321,162.12,N/A,\n2025-12-31,1.0389,161.80,,\n',
    );
    expect(days).toEqual([
      { base: 'EUR', date: '2026-01-02', rates: { USD: '1.0321', JPY: '162.12' } },
      { base: 'EUR', date: '2025-12-31', rates: { USD: '1.0389', JPY: '161.80' } },
    ]);
    expect(() => parseEcbRates('When,USD\n')).toThrow(EcbFileProblem);
    expect(() => parseEcbRates('Date,USD\n2026-13-01,1\n')).toThrow('Line 2: "2026-13-01" is not a date');
    expect(() => parseEcbRates('Date,USD\n2026-01-02,1e3\n')).toThrow('Line 2, USD: "1e3" is not a rate');
    expect(() => parseEcbRates('Date,USD\n')).toThrow('no rates');
  });
});
