import { randomUUID } from 'node:crypto';
import { Broker, EventConsumer, OutboxRelay, publishEvent } from '@finance/shared';
import {
  deleteTestQueues,
  startTestBroker,
  testLogger,
  uniqueName,
  waitForInbox,
} from '@finance/shared/testing';
import { openTestStore, transactionCreated, type TestStore } from './fixture';

jest.setTimeout(60_000);

let store: TestStore;
let broker: Broker;
const service = uniqueName('latency');

beforeAll(async () => {
  store = await openTestStore('events_latency');
  broker = await startTestBroker('latency');
});

afterAll(async () => {
  await deleteTestQueues(broker, service, 1);
  await broker.stop();
  await store.close();
});

// The fast path (NOTIFY at commit → relay → confirm → consumer → inbox commit) must not wait for
// the 1 s poll: if it did, the median would be hundreds of milliseconds.
it('applies an event within milliseconds of its commit (LISTEN/NOTIFY fast path, not the poll)', async () => {
  const handledAt = new Map<string, number>();
  const consumer = new EventConsumer({
    broker,
    dataSource: store.dataSource,
    logger: testLogger(),
    service,
    retryDelaysMs: [50],
  }).on('ledger.transaction.created', async (event) => {
    handledAt.set(event.id, performance.now());
  });
  const relay = new OutboxRelay({
    dataSource: store.dataSource,
    broker,
    logger: testLogger(),
    pollIntervalMs: 5_000,
  });
  await consumer.start();
  await relay.start();
  try {
    const samples: number[] = [];
    for (let index = 0; index < 30; index++) {
      const event = await store.dataSource.transaction((manager) =>
        publishEvent(manager, transactionCreated(randomUUID())),
      );
      const committedAt = performance.now();
      await waitForInbox(store.dataSource, service, event.id, 10_000);
      samples.push((handledAt.get(event.id) ?? Infinity) - committedAt);
    }
    samples.sort((a, b) => a - b);
    const median = samples[Math.floor(samples.length / 2)];
    if (process.env.SHOW_LATENCY)
      console.log(`commit→handler median ${median.toFixed(1)} ms, max ${samples.at(-1)?.toFixed(1)} ms`);
    expect(median).toBeLessThan(250);
  } finally {
    await relay.stop();
    await consumer.stop();
  }
});
