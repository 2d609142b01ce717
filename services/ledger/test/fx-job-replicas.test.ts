import { createDataSource, parseConfig } from '@finance/shared';
import { waitFor } from '@finance/shared/testing';
import type { DataSource } from 'typeorm';
import { ledgerConfigSchema } from '../src/config';
import { ledgerEntities } from '../src/data/entities';
import { recurringEntities } from '../src/data/recurring-entities';
import { startExchangeRates } from '../src/jobs/exchange-rates';
import { FakeFrankfurter } from './fx-frankfurter-server';
import { LedgerHarness } from './support';

/**
 * The daily exchange-rate job with many replicas: each replica is the job as the ledger starts it
 * (startExchangeRates) on a pool of its own on the one database, all asked to run at once.
 */
describe('the exchange-rate job on many replicas', () => {
  const REPLICAS = 4;
  let h: LedgerHarness;
  let fake: FakeFrankfurter;
  const pools: DataSource[] = [];
  let replicas: Array<ReturnType<typeof startExchangeRates>>;

  const storedRates = async () =>
    (await h.dataSource.query(
      `SELECT quote, date::text AS date, rate::text AS rate FROM exchange_rates WHERE base = 'EUR' ORDER BY quote, date`,
    )) as Array<{ quote: string; date: string; rate: string }>;

  beforeAll(async () => {
    fake = await new FakeFrankfurter().start();
    fake.setDay('2026-03-06', { USD: '1.0850', JPY: '161.20' });
    const env = {
      FX_PROVIDER_URL: fake.url,
      FX_PROVIDER_RETRIES: '0',
      FX_FETCH_ON_START: 'false',
      FX_RATES_SCHEDULE: 'off',
      FX_BASE_CHANGE_SCHEDULE: 'off',
    };
    h = await LedgerHarness.start('fx_replicas', { env });
    const config = parseConfig(ledgerConfigSchema, { ...env, DATABASE_URL: h.service.config.DATABASE_URL });
    replicas = [];
    for (let i = 0; i < REPLICAS; i++) {
      const dataSource = createDataSource({
        url: config.DATABASE_URL,
        entities: [...ledgerEntities, ...recurringEntities],
        migrations: [],
        poolSize: 2,
      });
      pools.push(await dataSource.initialize());
      replicas.push(
        startExchangeRates({ config, logger: h.service.logger, dataSource, clock: () => new Date() }),
      );
    }
  });
  afterAll(async () => {
    for (const replica of replicas ?? [])
      await Promise.all([replica.job.close(), replica.baseChangeJob.close()]);
    await Promise.all(pools.map((pool) => pool.destroy()));
    await h?.stop();
    await fake?.stop();
  });

  it('asked at once, one replica asks the provider and stores the day; the others skip; a later round changes nothing', async () => {
    let answer!: () => void;
    fake.gate = new Promise<void>((resolve) => (answer = resolve));
    let settled = 0;
    const rounds = replicas.map((replica) => replica.job.runNow().finally(() => settled++));
    // One holds the job's lock while the provider is slow to answer; every other one has given up.
    await waitFor(() => fake.requests.length === 1 && settled === REPLICAS - 1, {
      description: 'one replica asking the provider, the others skipped',
    });
    answer();
    fake.gate = undefined;
    const ran = await Promise.all(rounds);
    expect(ran.filter(Boolean)).toHaveLength(1);
    expect(fake.requests).toEqual(['/latest?base=EUR']);
    const day = [
      { quote: 'JPY', date: '2026-03-06', rate: '161.20' },
      { quote: 'USD', date: '2026-03-06', rate: '1.0850' },
    ];
    expect(await storedRates()).toEqual(day);

    // The lock keeps rounds apart, it does not make a day's round unique: the next replica to
    // run asks again, and storing the same day is an upsert, never a second row.
    expect(await replicas[REPLICAS - 1].job.runNow()).toBe(true);
    expect(fake.requests).toHaveLength(2);
    expect(await storedRates()).toEqual(day);
  });
});
