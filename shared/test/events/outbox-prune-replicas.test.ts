import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { Broker, OutboxRelay, createDataSource, createLogger, publishEvent } from '@finance/shared';
import { startTestBroker } from '@finance/shared/testing';
import { countOf, openTestStore, transactionCreated, type TestStore } from './fixture';

jest.setTimeout(60_000);

/**
 * Outbox pruning is no scheduled job: every replica's relay prunes at start and hourly, so rounds
 * of several replicas overlap. Each prune is one DELETE; rows two replicas race for are deleted
 * by one of them, the other's statement finds them gone.
 */
const REPLICAS = 4;
let store: TestStore;
let broker: Broker;
const pools: DataSource[] = [];

beforeAll(async () => {
  store = await openTestStore('events_outbox_prune');
  broker = await startTestBroker('outbox_prune');
  for (let i = 0; i < REPLICAS; i++) {
    const pool = createDataSource({ url: store.url, entities: [], migrations: [], poolSize: 2 });
    pools.push(await pool.initialize());
  }
});

afterAll(async () => {
  await Promise.all(pools.map((pool) => pool.destroy()));
  await broker.stop();
  await store.close();
});

it('replicas pruning at once delete each expired row once, keep the rest, and none fails', async () => {
  const userId = randomUUID();
  const publish = (count: number) =>
    store.dataSource.transaction(async (manager) => {
      const ids: string[] = [];
      for (let i = 0; i < count; i++) ids.push((await publishEvent(manager, transactionCreated(userId))).id);
      return ids;
    });
  const expired = await publish(300);
  const recent = await publish(20);
  await publish(10); // never sent
  // No relay runs here: the rows are marked sent by hand, eight days ago (retention: seven) or now.
  await store.dataSource.query(
    `UPDATE outbox SET sent_at = now() - interval '8 days' WHERE event_id = ANY($1)`,
    [expired],
  );
  await store.dataSource.query(`UPDATE outbox SET sent_at = now() WHERE event_id = ANY($1)`, [recent]);
  const others = await countOf(
    store.dataSource,
    `SELECT count(*) FROM outbox WHERE envelope->>'userId' <> $1`,
    [userId],
  );

  const warnings: string[] = [];
  const logger = createLogger('outbox-prune', 'warn', {
    write: (line: string) => void warnings.push(line),
  });
  const relays = pools.map((dataSource) => new OutboxRelay({ dataSource, broker, logger }));
  const deleted = await Promise.all(relays.map((relay) => relay.prune()));

  expect(warnings).toEqual([]);
  // Disjoint counts that add up to the expired rows: each deleted by exactly one replica.
  expect(deleted.reduce((sum, n) => sum + n, 0)).toBe(expired.length);
  await expect(
    countOf(store.dataSource, `SELECT count(*) FROM outbox WHERE envelope->>'userId' = $1`, [userId]),
  ).resolves.toBe(30);
  await expect(countOf(store.dataSource, `SELECT count(*) FROM outbox`)).resolves.toBe(others + 30);
});
