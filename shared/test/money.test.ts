import {
  CURRENCY_MINOR_DIGITS,
  allocateProportionally,
  MoneyError,
  convertMinorUnitsAt,
  currencyCode,
  currencyInfo,
  isActiveCurrency,
  isCurrency,
  listCurrencies,
  minorDigits,
  rateRatio,
  toStorableMinorUnits,
  convertMinorUnits,
  divideHalfEven,
  formatMinorUnits,
  percentOf,
  positiveAmount,
  toMinorUnits,
} from '../src/money';

describe('money', () => {
  it("parses decimal strings into minor units by the currency's digits", () => {
    expect(toMinorUnits('12.34', 'USD')).toBe(1234n);
    expect(toMinorUnits('12.3', 'USD')).toBe(1230n);
    expect(toMinorUnits('1200', 'JPY')).toBe(1200n);
    expect(toMinorUnits('1.234', 'BHD')).toBe(1234n);
    expect(toMinorUnits('-0.05', 'EUR')).toBe(-5n);
    expect(toMinorUnits('1.00', 'USD')).toBe(100n);
  });

  it('rejects more decimals than the currency has', () => {
    expect(() => toMinorUnits('1.5', 'JPY')).toThrow('JPY amounts have no decimal places');
    expect(() => toMinorUnits('1.2345', 'BHD')).toThrow('at most 3');
    expect(() => toMinorUnits('1.001', 'USD')).toThrow('at most 2');
    expect(() => toMinorUnits('abc', 'USD')).toThrow('not a decimal');
    expect(() => toMinorUnits('1', 'XXY')).toThrow('Unknown currency');
  });

  it('formats minor units back to decimal strings', () => {
    expect(formatMinorUnits(1234n, 'USD')).toBe('12.34');
    expect(formatMinorUnits(-5n, 'USD')).toBe('-0.05');
    expect(formatMinorUnits(0n, 'USD')).toBe('0.00');
    expect(formatMinorUnits(1200n, 'JPY')).toBe('1200');
    expect(formatMinorUnits('1234', 'BHD')).toBe('1.234');
  });

  it('sums 0.1 + 0.2 exactly, ten thousand times', () => {
    let total = 0n;
    for (let i = 0; i < 10_000; i++) total += toMinorUnits('0.1', 'USD') + toMinorUnits('0.2', 'USD');
    expect(formatMinorUnits(total, 'USD')).toBe('3000.00');
  });

  it('rounds half to even', () => {
    expect(divideHalfEven(5n, 2n)).toBe(2n);
    expect(divideHalfEven(7n, 2n)).toBe(4n);
    expect(divideHalfEven(-5n, 2n)).toBe(-2n);
    expect(divideHalfEven(-7n, 2n)).toBe(-4n);
    expect(divideHalfEven(10n, 3n)).toBe(3n);
    expect(divideHalfEven(11n, 3n)).toBe(4n);
  });

  it('converts between currencies with the rate, rounding once', () => {
    expect(convertMinorUnits(1000n, 'JPY', 'USD', '0.0067')).toBe(670n);
    expect(convertMinorUnits(1n, 'USD', 'JPY', '150.5')).toBe(2n); // 1.505 JPY → 2 (half-even of 1.505 is 2)
    expect(convertMinorUnits(1000n, 'USD', 'BHD', '0.376')).toBe(3760n);
  });

  it('computes exact percentages', () => {
    expect(percentOf(1n, 3n)).toBe('33.33');
    expect(percentOf(2n, 3n)).toBe('66.67');
    expect(percentOf(0n, 0n)).toBe('0.00');
  });

  it('accepts amounts as strings or numbers without float arithmetic', () => {
    expect(positiveAmount.parse('12.34')).toBe('12.34');
    expect(positiveAmount.parse(0.1)).toBe('0.1');
    expect(positiveAmount.safeParse('0').success).toBe(false);
    expect(positiveAmount.safeParse('-1').success).toBe(false);
    expect(positiveAmount.safeParse(1e-7).success).toBe(false);
    expect(positiveAmount.safeParse('1,5').success).toBe(false);
  });
});

describe('storable amounts', () => {
  it('refuses what a bigint column cannot hold, in every currency', () => {
    expect(() => toStorableMinorUnits('999999999999999.9999', 'CLF')).toThrow('Too large for CLF');
    expect(() => toStorableMinorUnits('-999999999999999.9999', 'CLF')).toThrow(MoneyError);
    expect(toStorableMinorUnits('922337203685477.5807', 'CLF')).toBe(9_223_372_036_854_775_807n);
    expect(toStorableMinorUnits('999999999999999.99', 'USD')).toBe(99_999_999_999_999_999n);
  });
});

describe('currencies from ISO 4217 (currency-codes)', () => {
  it('knows current currencies with their minor-unit digits and names', () => {
    expect(minorDigits('JPY')).toBe(0);
    expect(minorDigits('USD')).toBe(2);
    expect(minorDigits('BHD')).toBe(3);
    expect(minorDigits('CLF')).toBe(4);
    expect(currencyInfo('EUR')).toEqual({ code: 'EUR', name: 'Euro', minorDigits: 2, historic: false });
    expect(isActiveCurrency('CHF')).toBe(true);
  });

  it('leaves out the codes ISO lists without minor units (metals, testing, no currency)', () => {
    for (const code of ['XAU', 'XAG', 'XTS', 'XXX', 'XDR', 'XBA']) expect(isCurrency(code)).toBe(false);
    for (const code of ['XAF', 'XOF', 'XPF', 'XCD']) expect(isActiveCurrency(code)).toBe(true);
  });

  it('reads stored historic codes but refuses them for anything new', () => {
    expect(isCurrency('SLL')).toBe(true);
    expect(isActiveCurrency('SLL')).toBe(false);
    expect(formatMinorUnits(1234n, 'SLL')).toBe('12.34');
    const historic = currencyCode.safeParse('sll');
    expect(historic.success).toBe(false);
    expect(historic.error?.issues[0].message).toBe(
      'SLL is a withdrawn currency and is not accepted for anything new',
    );
    expect(currencyCode.safeParse('QQQ').error?.issues[0].message).toBe('Unknown ISO 4217 currency code');
    expect(currencyCode.parse('jpy')).toBe('JPY');
  });

  it('lists every currency once, sorted, with CURRENCY_MINOR_DIGITS agreeing', () => {
    const all = listCurrencies();
    expect(all.length).toBeGreaterThan(150);
    expect(all.map((c) => c.code)).toEqual([...new Set(all.map((c) => c.code))].sort());
    for (const c of all) expect(CURRENCY_MINOR_DIGITS[c.code]).toBe(c.minorDigits);
  });
});

describe('exact conversion at a ratio', () => {
  it('rounds half-even once, at the end, to the target minor units', () => {
    // 1 JPY at 1/200 USD = 0.005 USD → 0 (tie to even); 3 JPY → 0.015 → 0.02.
    expect(convertMinorUnitsAt(1n, 'JPY', 'USD', { numerator: 1n, denominator: 200n })).toBe(0n);
    expect(convertMinorUnitsAt(3n, 'JPY', 'USD', { numerator: 1n, denominator: 200n })).toBe(2n);
    // USD → BHD: 10.00 USD at 0.376 = 3.760 BHD.
    expect(convertMinorUnits(1000n, 'USD', 'BHD', '0.376')).toBe(3760n);
    // A cross rate kept as a fraction: 1/3 is not a finite decimal, the result still is exact.
    expect(convertMinorUnitsAt(100n, 'USD', 'EUR', { numerator: 1n, denominator: 3n })).toBe(33n);
    expect(convertMinorUnitsAt(-150n, 'USD', 'JPY', { numerator: 1n, denominator: 1n })).toBe(-2n);
  });

  it('refuses zero and negative rates', () => {
    expect(() => rateRatio('0')).toThrow(MoneyError);
    expect(() => rateRatio('-1.2')).toThrow(MoneyError);
    expect(() => convertMinorUnitsAt(1n, 'USD', 'EUR', { numerator: 0n, denominator: 1n })).toThrow(
      MoneyError,
    );
  });
});

describe('allocateProportionally (largest remainder)', () => {
  it('splits exactly, the leftover units to the largest remainders', () => {
    // 10.00 over 1:1:1 → 3.34, 3.33, 3.33 (the tie goes to the first part)
    expect(allocateProportionally(1000n, [1n, 1n, 1n])).toEqual([334n, 333n, 333n]);
    // 73.60 EUR base of a 80.00 USD receipt split 62.10 + 17.90
    const parts = allocateProportionally(7360n, [6210n, 1790n]);
    expect(parts).toEqual([5713n, 1647n]);
    expect(parts[0] + parts[1]).toBe(7360n);
    expect(allocateProportionally(5n, [1n, 2n, 2n])).toEqual([1n, 2n, 2n]);
    expect(allocateProportionally(2n, [1n, 1n, 1n])).toEqual([1n, 1n, 0n]);
  });

  it('keeps the sign and zero weights get nothing', () => {
    expect(allocateProportionally(-1000n, [1n, 1n, 1n])).toEqual([-334n, -333n, -333n]);
    expect(allocateProportionally(7n, [0n, 3n, 4n])).toEqual([0n, 3n, 4n]);
    expect(allocateProportionally(0n, [0n, 0n])).toEqual([0n, 0n]);
  });

  it('always sums to the total', () => {
    for (let total = 0n; total < 300n; total += 7n) {
      const weights = [13n, 1n, 999n, 250n, 0n, 4n];
      const parts = allocateProportionally(total, weights);
      expect(parts.reduce((a, p) => a + p, 0n)).toBe(total);
    }
  });

  it('refuses weights it cannot allocate over', () => {
    expect(() => allocateProportionally(1n, [0n, 0n])).toThrow(MoneyError);
    expect(() => allocateProportionally(1n, [-1n, 2n])).toThrow(MoneyError);
  });
});
