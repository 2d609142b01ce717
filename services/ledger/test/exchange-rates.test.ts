import { newId } from '@finance/shared';
import { fetchLatestRates } from '../src/use-cases/exchange-rates';
import { fxContextOf } from '../src/use-cases/fx-conversions';
import { FakeFrankfurter } from './fx-frankfurter-server';
import { LedgerHarness, fieldsOf, type TestUser } from './support';

describe('currencies and exchange rates (a real local Frankfurter server)', () => {
  let h: LedgerHarness;
  let fake: FakeFrankfurter;
  let admin: TestUser;

  const account = async (user: TestUser, currency: string, name = currency) =>
    (await h.call('POST', '/accounts', user, { body: { name, type: 'checking', currency } })).body;
  const post = (user: TestUser, body: Record<string, unknown>) =>
    h.call('POST', '/transactions', user, { body: { transaction_type: 'expense', ...body } });
  const storedRates = async (quote: string) =>
    (
      await h.dataSource.query(
        `SELECT date::text AS date, rate::text AS rate, source FROM exchange_rates WHERE base = 'EUR' AND quote = $1 ORDER BY date`,
        [quote],
      )
    ).map((r: { date: string; rate: string }) => `${r.date} ${r.rate}`);

  beforeAll(async () => {
    fake = await new FakeFrankfurter().start();
    fake
      .setDay('2026-01-02', { USD: '1.0321', JPY: '162.12', BHD: '0.38919' }) // a Friday
      .setDay('2026-01-05', { USD: '1.0400', JPY: '163.5', BHD: '0.392' });
    h = await LedgerHarness.start('fx', {
      env: {
        FX_PROVIDER_URL: fake.url,
        FX_PROVIDER_RETRIES: '1',
        FX_PROVIDER_BACKOFF_MS: '1',
        FX_PROVIDER_TIMEOUT_MS: '2000',
        FX_FETCH_ON_START: 'false', // each test decides what the provider has been asked
      },
    });
    const id = newId();
    admin = { id, token: h.issuer.token(id, { role: 'admin' }) };
  });
  afterAll(async () => {
    await h?.stop();
    await fake?.stop();
  });
  beforeEach(() => {
    fake.mode = 'ok';
    fake.requests.length = 0;
  });

  it('lists ISO 4217 currencies with their digits, whether rates exist, and withdrawn ones marked', async () => {
    const user = await h.user();
    const res = await h.call('GET', '/currencies', user);
    expect(res.status).toBe(200);
    const byCode = new Map(res.body.data.map((c: { code: string }) => [c.code, c]));
    expect(byCode.get('JPY')).toMatchObject({ name: 'Yen', minor_unit_digits: 0, historic: false });
    expect(byCode.get('BHD')).toMatchObject({ minor_unit_digits: 3 });
    expect(byCode.get('SLL')).toMatchObject({ historic: true });
    expect(byCode.has('XAU')).toBe(false);
    const sll = await h.call('POST', '/accounts', user, {
      body: { name: 'Old', type: 'cash', currency: 'SLL' },
    });
    expect(sll.status).toBe(400);
    expect(fieldsOf(sll.body)).toEqual(['body.currency']);
  });

  it("converts a Sunday's yen at Friday's rate fetched on demand, exact and half-even, and says which rate and date", async () => {
    const user = await h.user({ baseCurrency: 'EUR' });
    const yen = await account(user, 'JPY');
    const res = await post(user, { account_id: yen.id, amount: '1000', date: '2026-01-04' });
    expect(res.status).toBe(201);
    // 1000 / 162.12 = 6.16827… EUR
    expect(res.body).toMatchObject({
      amount: '1000',
      currency: 'JPY',
      base_amount: '6.17',
      base_currency: 'EUR',
      fx_rate: '0.006168270417',
      fx_rate_date: '2026-01-02',
    });
    expect(fake.requests).toEqual(['/2025-12-25..2026-01-04?base=EUR']);
    expect(await storedRates('JPY')).toEqual(['2026-01-02 162.12']);
    const [event] = await h.outbox({ aggregateId: res.body.id });
    expect(event.payload).toMatchObject({
      amount: '1000',
      currency: 'JPY',
      baseAmount: '6.17',
      baseCurrency: 'EUR',
    });

    const listed = await h.call('GET', '/currencies', user);
    expect(listed.body.data.find((c: { code: string }) => c.code === 'JPY').rates_available).toBe(true);
  });

  it('fetches on demand inside an Idempotency-Key request too: the retry replays the same answer', async () => {
    const user = await h.user({ baseCurrency: 'USD' });
    fake.setDay('2025-11-28', { USD: '1.0500', JPY: '160.00' });
    const yen = await account(user, 'JPY');
    const body = { account_id: yen.id, amount: '2100', date: '2025-11-30', transaction_type: 'expense' };
    const headers = { 'Idempotency-Key': `fx-${user.id}` };
    const first = await h.call('POST', '/transactions', user, { body, headers });
    expect(first.status).toBe(201);
    // 2100 JPY × 1.05 / 160 = 13.78125 USD → 13.78
    expect(first.body).toMatchObject({ base_amount: '13.78', fx_rate_date: '2025-11-28' });
    const again = await h.call('POST', '/transactions', user, { body, headers });
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body.id).toBe(first.body.id);
    expect((await h.rowsOf(user.id)).transactions).toBe(1);
  });

  it('computes cross rates through the provider base exactly, rounding once (USD → JPY via EUR)', async () => {
    const user = await h.user({ baseCurrency: 'JPY' });
    const dollars = await account(user, 'USD');
    const res = await post(user, { account_id: dollars.id, amount: '10.01', date: '2026-01-02' });
    expect(res.status).toBe(201);
    // 10.01 × 162.12 / 1.0321 = 1572.3488… → 1572 JPY
    expect(res.body).toMatchObject({ base_amount: '1572', base_currency: 'JPY', fx_rate_date: '2026-01-02' });
    const dinars = await account(user, 'BHD');
    // 1.005 BHD × 162.12 / 0.38919 = 418.6…: JPY has no minor units
    const bhd = await post(user, { account_id: dinars.id, amount: '1.005', date: '2026-01-03' });
    expect(bhd.body).toMatchObject({ base_amount: '419', fx_rate_date: '2026-01-02' });
  });

  it('with the provider down, uses the latest stored rate before the date (and says its date); with none, a 422 naming the pair and date', async () => {
    fake.mode = 'down';
    const user = await h.user({ baseCurrency: 'EUR' });
    const yen = await account(user, 'JPY');
    const res = await post(user, { account_id: yen.id, amount: '1000', date: '2026-02-20' });
    expect(res.status).toBe(201);
    // Monday's rate never arrived (it was not asked for while the provider was up): Friday's is the latest stored.
    expect(res.body).toMatchObject({ fx_rate_date: '2026-01-02', base_amount: '6.17' });
    expect(fake.requests.length).toBeGreaterThan(0); // it asked first

    const other = await h.user({ baseCurrency: 'CHF' });
    const euros = await account(other, 'EUR');
    const before = await h.outboxCount(other.id);
    const refused = await post(other, { account_id: euros.id, amount: '5', date: '2026-01-03' });
    expect(refused.status).toBe(422);
    expect(refused.body.detail).toContain('no EUR→CHF rate on or before 2026-01-03');
    expect(refused.body.errors).toEqual([
      { field: 'body.currency', message: 'no EUR→CHF rate on or before 2026-01-03' },
    ]);
    expect(await h.outboxCount(other.id)).toBe(before);
    expect((await h.rowsOf(other.id)).transactions).toBe(0);
  });

  it('remembers the past days the provider answered for across a restart (fx_provider_days), so it is not asked again', async () => {
    // A Tuesday the provider has nothing for (a holiday, say): Friday's rate is all there is.
    fake.setDay('2025-10-03', { JPY: '170.00' });
    const user = await h.user({ baseCurrency: 'EUR' });
    const yen = await account(user, 'JPY');
    const book = () => post(user, { account_id: yen.id, amount: '1700', date: '2025-10-07' });
    expect((await book()).body).toMatchObject({ base_amount: '10.00', fx_rate_date: '2025-10-03' });
    expect(fake.requests).toEqual(['/2025-09-27..2025-10-07?base=EUR']);
    const days = await h.dataSource.query(
      `SELECT count(*)::int AS n FROM fx_provider_days WHERE base = 'EUR' AND date BETWEEN '2025-09-27' AND '2025-10-07'`,
    );
    expect(days[0].n).toBe(11);

    // A restart: the process forgets what it asked and what was answered; the database does not.
    const { exchangeRates } = fxContextOf({ dataSource: h.dataSource, clock: () => new Date() });
    const forget = () => {
      exchangeRates.answered.clear();
      exchangeRates.attempted.clear();
    };
    forget();
    expect((await book()).body).toMatchObject({ base_amount: '10.00', fx_rate_date: '2025-10-03' });
    expect(fake.requests).toHaveLength(1);

    // Without the record it would have asked again (the record is what spares the provider).
    await h.dataSource.query(`DELETE FROM fx_provider_days WHERE date = '2025-10-07'`);
    forget();
    expect((await book()).status).toBe(201);
    expect(fake.requests).toEqual(['/2025-09-27..2025-10-07?base=EUR', '/2025-09-27..2025-10-07?base=EUR']);
    fake.days.delete('2025-10-03');
  });

  it('rejects zero, negative-looking and 100× jumps from the provider (logged, never stored), storing the rest', async () => {
    fake.setDay('2026-01-06', { USD: '0', JPY: '16350', BHD: '0.3925' });
    const outcome = await fetchLatestRates(
      fxContextOf({ dataSource: h.dataSource, clock: () => new Date() }),
    );
    expect(outcome).toEqual({ stored: 1, rejected: 2 });
    expect(await storedRates('JPY')).not.toContain('2026-01-06 16350');
    expect(await storedRates('BHD')).toContain('2026-01-06 0.3925');
    fake.days.delete('2026-01-06');
  });

  it('converts a transfer between currencies: both amounts, and each account moves by its own', async () => {
    const user = await h.user({ baseCurrency: 'EUR' });
    const euros = await account(user, 'EUR');
    const yen = await account(user, 'JPY');
    const res = await post(user, {
      transaction_type: 'transfer',
      account_id: euros.id,
      to_account_id: yen.id,
      amount: '10.00',
      date: '2026-01-02',
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      amount: '10.00',
      currency: 'EUR',
      base_amount: '10.00',
      to_amount: '1621',
      to_currency: 'JPY',
    });
    const [event] = await h.outbox({ aggregateId: res.body.id });
    expect(event.payload).toMatchObject({ toAmount: '1621', toCurrency: 'JPY' });
    expect((await h.call('GET', `/accounts/${yen.id}`, user)).body.balance).toBe('1621');
    expect((await h.call('GET', `/accounts/${euros.id}`, user)).body.balance).toBe('-10.00');
  });

  it('shows every account balance in the base currency at the date, with the total and what could not be converted', async () => {
    const user = await h.user({ baseCurrency: 'EUR' });
    const open = async (currency: string, opening: string) =>
      (
        await h.call('POST', '/accounts', user, {
          body: { name: currency, type: 'savings', currency, opening_balance: opening },
        })
      ).body;
    await open('EUR', '100.00');
    await open('JPY', '16212');
    await open('USD', '10.32');
    await open('NOK', '50.00'); // the provider has no NOK
    const res = await h.call('GET', '/accounts/balances?date=2026-01-04', user);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      base_currency: 'EUR',
      date: '2026-01-04',
      total: '210.00',
      complete: false,
    });
    expect(
      res.body.accounts.map((a: Record<string, unknown>) => [
        a.currency,
        a.balance,
        a.base_balance,
        a.fx_rate_date,
      ]),
    ).toEqual([
      ['EUR', '100.00', '100.00', null],
      ['JPY', '16212', '100.00', '2026-01-02'], // 16212 / 162.12
      ['USD', '10.32', '10.00', '2026-01-02'], // 10.32 / 1.0321 = 9.999…
      ['NOK', '50.00', null, null],
    ]);
    expect(res.body.accounts[3].problem).toBe('no NOK→EUR rate on or before 2026-01-04');
  });

  it('converts a transaction or a plain amount (POST /transactions/convert)', async () => {
    const user = await h.user({ baseCurrency: 'EUR' });
    const dollars = await account(user, 'USD');
    const t = (await post(user, { account_id: dollars.id, amount: '100', date: '2026-01-05' })).body;
    expect(t.base_amount).toBe('96.15'); // 100 / 1.04
    const inBase = await h.call('POST', '/transactions/convert', user, { body: { transaction_id: t.id } });
    expect(inBase.body).toMatchObject({ converted_amount: '96.15', to: 'EUR', rate_date: '2026-01-05' });
    const inYen = await h.call('POST', '/transactions/convert', user, {
      body: { transaction_id: t.id, to: 'JPY' },
    });
    expect(inYen.body).toMatchObject({ converted_amount: '15721', to: 'JPY', rate_date: '2026-01-05' }); // 100 × 163.5 / 1.04
    const plain = await h.call('POST', '/transactions/convert', user, {
      body: { amount: '0.01', from: 'USD', to: 'JPY', date: '2026-01-04' },
    });
    expect(plain.body).toMatchObject({ amount: '0.01', converted_amount: '2', rate_date: '2026-01-02' });
    const missing = await h.call('POST', '/transactions/convert', user, { body: { from: 'USD', to: 'JPY' } });
    expect(missing.status).toBe(400);
    expect(fieldsOf(missing.body)).toEqual(['body.amount']);
    const notYours = await h.call('POST', '/transactions/convert', await h.user(), {
      body: { transaction_id: t.id },
    });
    expect(notYours.status).toBe(404);
  });

  it('lets admins enter rates by hand and import the ECB file; users may not', async () => {
    const user = await h.user({ baseCurrency: 'EUR' });
    const body = { rates: [{ base: 'EUR', quote: 'CHF', date: '2026-01-02', rate: '0.9312' }] };
    expect((await h.call('PUT', '/exchange-rates', user, { body })).status).toBe(403);
    expect((await h.call('PUT', '/exchange-rates', admin, { body })).body).toEqual({ stored: 1 });
    const zero = await h.call('PUT', '/exchange-rates', admin, {
      body: { rates: [{ base: 'EUR', quote: 'CHF', date: '2026-01-02', rate: '0' }] },
    });
    expect(zero.status).toBe(400);
    expect(fieldsOf(zero.body)).toEqual(['body.rates[0].rate']);

    const csv =
      'Date,USD,JPY,CHF,CYP,\n' +
      '2025-12-31,1.0389,161.80,0.9296,N/A,\n' +
      '2025-12-30,1.0401,162.40,N/A,N/A,\n';
    const imported = await h.call('POST', '/exchange-rates/import', admin, {
      body: csv,
      headers: { 'content-type': 'text/csv' },
    });
    expect(imported.status).toBe(200);
    expect(imported.body).toEqual({ days: 2, stored: 5, rejected: 0 }); // CYP is no ISO code any more
    expect(await storedRates('CHF')).toEqual(['2025-12-31 0.9296', '2026-01-02 0.9312']);
    // The same under /import/ (the gateway's upload-sized bodies): a re-import replaces, day by day.
    const again = await h.call('POST', '/import/exchange-rates', admin, {
      body: csv,
      headers: { 'content-type': 'text/csv' },
    });
    expect(again.body).toEqual({ days: 2, stored: 5, rejected: 0 });
    const empty = await h.call('POST', '/exchange-rates/import', admin);
    expect(empty.status).toBe(400);
    expect(fieldsOf(empty.body)).toEqual(['body']);
    const json = await h.call('POST', '/exchange-rates/import', admin, { body: { rates: [] } });
    expect(json.status).toBe(400);
    const wrongQuery = await h.call('POST', '/exchange-rates/import?bogus=1', admin);
    expect(fieldsOf(wrongQuery.body)).toEqual(['query.bogus']);
    const broken = await h.call('POST', '/exchange-rates/import', admin, {
      body: 'Date,USD\n2025-12-31,abc\n',
      headers: { 'content-type': 'text/csv' },
    });
    expect(broken.status).toBe(400);
    expect(broken.body.detail).toMatch(/Line 2, USD/);
    expect(
      (
        await h.call('POST', '/exchange-rates/import', user, {
          body: csv,
          headers: { 'content-type': 'text/csv' },
        })
      ).status,
    ).toBe(403);

    const rates = await h.call('GET', '/exchange-rates?base=EUR&date=2026-01-03', user);
    expect(rates.body.data.map((r: { quote: string; rate: string }) => `${r.quote} ${r.rate}`)).toEqual([
      'BHD 0.38919',
      'CHF 0.9312',
      'JPY 162.12',
      'USD 1.0321',
    ]);
  });
});
