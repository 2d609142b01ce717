import { FrankfurterClient, FxProviderError } from '../src/data/fx-provider';
import { FakeFrankfurter } from './fx-frankfurter-server';

describe('Frankfurter client (against a real local HTTP server)', () => {
  let fake: FakeFrankfurter;
  let client: FrankfurterClient;

  beforeAll(async () => {
    fake = await new FakeFrankfurter().start();
    client = new FrankfurterClient({ baseUrl: `${fake.url}/`, timeoutMs: 300, retries: 2, backoffMs: 1 });
  });
  afterAll(() => fake.stop());
  beforeEach(() => {
    fake.days.clear();
    fake.mode = 'ok';
    fake.failNext = 0;
    fake.requests.length = 0;
    fake
      .setDay('2026-01-02', { USD: '1.0321', JPY: '162.12', BHD: '0.38919' })
      .setDay('2026-01-05', { USD: '1.0400', JPY: '163.5' });
  });

  it('reads /latest, /{date} and /{start}..{end} with base and symbols, rates as the exact decimal text', async () => {
    expect(await client.latest('EUR')).toEqual({
      base: 'EUR',
      date: '2026-01-05',
      rates: { USD: '1.0400', JPY: '163.5' },
    });
    // A Sunday gives the Friday before.
    expect(await client.onDate('2026-01-04', 'EUR', ['JPY'])).toEqual({
      base: 'EUR',
      date: '2026-01-02',
      rates: { JPY: '162.12' },
    });
    expect(await client.range('2026-01-01', '2026-01-31', 'EUR')).toEqual([
      { base: 'EUR', date: '2026-01-02', rates: { USD: '1.0321', JPY: '162.12', BHD: '0.38919' } },
      { base: 'EUR', date: '2026-01-05', rates: { USD: '1.0400', JPY: '163.5' } },
    ]);
    expect(fake.requests).toEqual([
      '/latest?base=EUR',
      '/2026-01-04?base=EUR&symbols=JPY',
      '/2026-01-01..2026-01-31?base=EUR',
    ]);
  });

  it('retries a 5xx with back-off and then answers', async () => {
    fake.failNext = 2;
    expect((await client.latest('EUR')).date).toBe('2026-01-05');
    expect(fake.requests).toHaveLength(3);
  });

  it('gives up after the retries when the provider is down or does not answer in time', async () => {
    fake.mode = 'down';
    await expect(client.latest('EUR')).rejects.toMatchObject({ kind: 'unreachable' });
    expect(fake.requests).toHaveLength(3);
    fake.mode = 'hang';
    const error = await client.latest('EUR').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FxProviderError);
    expect(error).toMatchObject({ kind: 'unreachable', message: expect.stringContaining('ECONNABORTED') });
  });

  it('refuses garbage and answers of another shape, and does not retry a 4xx', async () => {
    fake.mode = 'garbage';
    await expect(client.latest('EUR')).rejects.toMatchObject({
      kind: 'malformed',
      message: expect.stringContaining('not JSON'),
    });
    fake.mode = 'wrong-shape';
    await expect(client.latest('EUR')).rejects.toMatchObject({ kind: 'malformed' });
    fake.mode = 'ok';
    fake.requests.length = 0;
    await expect(client.onDate('1990-01-01', 'EUR')).rejects.toMatchObject({ kind: 'refused' });
    expect(fake.requests).toHaveLength(1);
  });

  it('refuses a number written in exponent form or a negative one (never read through a float)', async () => {
    fake.setDay('2026-01-06', { USD: '1e3' });
    await expect(client.latest('EUR')).rejects.toMatchObject({
      kind: 'malformed',
      message: expect.stringContaining('rates.USD'),
    });
    fake.setDay('2026-01-06', { USD: '-1.2' });
    await expect(client.latest('EUR')).rejects.toMatchObject({ kind: 'malformed' });
  });
});
