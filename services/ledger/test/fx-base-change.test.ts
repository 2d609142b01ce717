import { newId } from '@finance/shared';
import { recomputeBaseAmounts, recomputeNextBatch } from '../src/use-cases/fx-base-change';
import { fxContextOf } from '../src/use-cases/fx-conversions';
import { LedgerHarness, userEvent, type TestUser } from './support';

describe('changing the base currency (auth.user.updated)', () => {
  let h: LedgerHarness;
  let admin: TestUser;
  const fx = () => fxContextOf({ dataSource: h.dataSource, clock: () => new Date() });

  beforeAll(async () => {
    // No provider: the rates are the ones an admin entered.
    h = await LedgerHarness.start('fx_base_change', { env: { FX_BASE_CHANGE_SCHEDULE: 'off' } });
    const id = newId();
    admin = { id, token: h.issuer.token(id, { role: 'admin' }) };
    const rates = [
      { base: 'EUR', quote: 'USD', date: '2026-01-02', rate: '1.0321' },
      { base: 'EUR', quote: 'JPY', date: '2026-01-02', rate: '162.12' },
    ];
    expect((await h.call('PUT', '/exchange-rates', admin, { body: { rates } })).status).toBe(200);
  });
  afterAll(() => h?.stop());

  it('recomputes every transaction at the rate of its own date in batches, publishes updates, shows progress and resumes', async () => {
    const user = await h.user({ baseCurrency: 'USD' });
    const account = async (currency: string) =>
      (await h.call('POST', '/accounts', user, { body: { name: currency, type: 'checking', currency } }))
        .body;
    const [usd, eur, jpy] = [await account('USD'), await account('EUR'), await account('JPY')];
    const post = async (accountId: string, amount: string, date: string) => {
      const res = await h.call('POST', '/transactions', user, {
        body: { account_id: accountId, amount, date, transaction_type: 'expense' },
      });
      expect(res.status).toBe(201);
      return res.body;
    };
    const dollars = await post(usd.id, '10.00', '2026-01-02');
    const euros = await post(eur.id, '5.00', '2026-01-04');
    const yen = await post(jpy.id, '1000', '2026-01-03');
    const old = await post(usd.id, '1.00', '2020-01-01'); // no rate that far back
    expect(euros).toMatchObject({ base_amount: '5.16', base_currency: 'USD', fx_rate_date: '2026-01-02' });
    expect((await h.call('GET', '/currencies/base-change', user)).status).toBe(404);

    expect(await h.apply(userEvent('auth.user.updated', user.id, 2, { baseCurrency: 'JPY' }))).toBe(true);
    const started = await h.call('GET', '/currencies/base-change', user);
    expect(started.body).toMatchObject({
      base_currency: 'JPY',
      status: 'running',
      total: 4,
      done: 0,
      failed: 0,
    });

    // One batch of two, then the rest as a new round would after a restart: the progress is stored.
    expect(await recomputeNextBatch(fx(), 2)).toBe(true);
    expect((await h.call('GET', '/currencies/base-change', user)).body).toMatchObject({
      status: 'running',
      done: 2,
    });
    await recomputeBaseAmounts(fx());
    const finished = await h.call('GET', '/currencies/base-change', user);
    expect(finished.body).toMatchObject({
      status: 'done',
      total: 4,
      done: 3,
      failed: 1,
      last_problem: 'no USD→JPY rate on or before 2020-01-01',
    });

    const get = async (t: { id: string }) => (await h.call('GET', `/transactions/${t.id}`, user)).body;
    // 10.00 USD × 162.12 / 1.0321 = 1570.78… → 1571 JPY
    expect(await get(dollars)).toMatchObject({
      base_amount: '1571',
      base_currency: 'JPY',
      fx_rate_date: '2026-01-02',
      version: 2,
    });
    // 5.00 EUR × 162.12 = 810.6 → 811
    expect(await get(euros)).toMatchObject({ base_amount: '811', base_currency: 'JPY', fx_rate: '162.12' });
    expect(await get(yen)).toMatchObject({
      base_amount: '1000',
      base_currency: 'JPY',
      fx_rate: null,
      fx_rate_date: null,
    });
    // Never converted at an invented rate: it keeps what it was recorded as.
    expect(await get(old)).toMatchObject({ base_amount: '1.00', base_currency: 'USD', version: 1 });

    const updates = await h.outbox({ type: 'ledger.transaction.updated', userId: user.id });
    expect(updates.map((e) => [e.aggregateId, e.payload.baseAmount, e.payload.baseCurrency]).sort()).toEqual(
      [
        [dollars.id, '1571', 'JPY'],
        [euros.id, '811', 'JPY'],
        [yen.id, '1000', 'JPY'],
      ].sort(),
    );
    // Nothing left to do: another round does nothing.
    expect(await recomputeNextBatch(fx())).toBe(false);
  });

  it('runs a finished change again when a rate arrives that can convert what it left behind', async () => {
    const user = await h.user({ baseCurrency: 'USD' });
    const left = await h.call('POST', '/transactions', user, {
      body: { amount: '20.00', date: '2018-03-01', transaction_type: 'expense' },
    });
    expect(left.status).toBe(201);
    expect(await h.apply(userEvent('auth.user.updated', user.id, 2, { baseCurrency: 'JPY' }))).toBe(true);
    await recomputeBaseAmounts(fx());
    const status = async () => (await h.call('GET', '/currencies/base-change', user)).body;
    expect(await status()).toMatchObject({ status: 'done', done: 0, failed: 1 });

    const put = async (rates: Array<{ base: string; quote: string; date: string; rate: string }>) =>
      expect((await h.call('PUT', '/exchange-rates', admin, { body: { rates } })).status).toBe(200);
    // A rate that cannot help (another pair; the right pair but after the transaction) reopens nothing.
    await put([{ base: 'EUR', quote: 'GBP', date: '2018-02-01', rate: '0.8812' }]);
    await put([{ base: 'EUR', quote: 'JPY', date: '2018-03-05', rate: '130.00' }]);
    expect(await status()).toMatchObject({ status: 'done', failed: 1 });

    // Both legs of the cross rate on or before its date: it runs again and converts it.
    await put([
      { base: 'EUR', quote: 'USD', date: '2018-02-28', rate: '1.2200' },
      { base: 'EUR', quote: 'JPY', date: '2018-02-28', rate: '130.50' },
    ]);
    expect(await status()).toMatchObject({
      status: 'running',
      base_currency: 'JPY',
      total: 1,
      done: 0,
      failed: 0,
    });
    await recomputeBaseAmounts(fx());
    expect(await status()).toMatchObject({ status: 'done', done: 1, failed: 0 });
    // 20.00 USD × 130.50 / 1.22 = 2139.34… → 2139 JPY
    expect((await h.call('GET', `/transactions/${left.body.id}`, user)).body).toMatchObject({
      base_amount: '2139',
      base_currency: 'JPY',
      fx_rate_date: '2018-02-28',
      version: 2,
    });
    // The same rates again change nothing, so nothing runs again.
    await put([{ base: 'EUR', quote: 'USD', date: '2018-02-28', rate: '1.2200' }]);
    expect(await status()).toMatchObject({ status: 'done', done: 1 });
  });

  it('starts nothing when an update leaves the base currency as it is', async () => {
    const user = await h.user({ baseCurrency: 'USD' });
    await h.call('POST', '/transactions', user, { body: { amount: '3', transaction_type: 'expense' } });
    expect(
      await h.apply(
        userEvent('auth.user.updated', user.id, 2, { baseCurrency: 'USD', timezone: 'Europe/Paris' }),
      ),
    ).toBe(true);
    expect((await h.call('GET', '/currencies/base-change', user)).status).toBe(404);
  });
});
