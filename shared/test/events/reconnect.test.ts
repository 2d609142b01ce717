import { randomUUID } from 'node:crypto';
import {
  Broker,
  BrokerUnavailableError,
  EventConsumer,
  OutboxRelay,
  publishEvent,
  type FinanceEvent,
} from '@finance/shared';
import {
  closeConnectionFromServer,
  deleteTestQueues,
  startTestBroker,
  testAmqpUrl,
  testLogger,
  uniqueName,
  waitFor,
  waitForCount,
} from '@finance/shared/testing';
import { countOf, openTestStore, transactionCreated, type TestStore } from './fixture';

jest.setTimeout(60_000);

let store: TestStore;
let publisherBroker: Broker;
let consumerBroker: Broker;
const service = uniqueName('reconnect');

beforeAll(async () => {
  store = await openTestStore('events_reconnect');
  publisherBroker = await startTestBroker('reconnect-pub');
  consumerBroker = await startTestBroker('reconnect-sub');
});

afterAll(async () => {
  await deleteTestQueues(consumerBroker, service, 1);
  await publisherBroker.stop();
  await consumerBroker.stop();
  await store.close();
});

async function publishMany(userId: string, count: number): Promise<void> {
  for (let start = 0; start < count; start += 50) {
    await store.dataSource.transaction(async (manager) => {
      for (let index = start; index < start + 50; index++)
        await publishEvent(manager, transactionCreated(userId));
    });
  }
}

it('loses nothing and applies nothing twice when the broker closes both connections mid-flight', async () => {
  const consumer = new EventConsumer({
    broker: consumerBroker,
    dataSource: store.dataSource,
    logger: testLogger(),
    service,
    prefetch: 10,
    retryDelaysMs: [50],
  }).on('ledger.transaction.created', async (event: FinanceEvent<'ledger.transaction.created'>, manager) => {
    await manager.query(`INSERT INTO effects (event_id, user_id, aggregate_id) VALUES ($1, $2, $3)`, [
      event.id,
      event.userId,
      event.aggregateId,
    ]);
  });
  const relay = new OutboxRelay({
    dataSource: store.dataSource,
    broker: publisherBroker,
    logger: testLogger(),
    batchSize: 20,
  });
  await consumer.start();
  await relay.start();
  const userId = randomUUID();
  const effects = () =>
    countOf(store.dataSource, `SELECT count(*) FROM effects WHERE user_id = $1`, [userId]);
  const disconnections = { publisher: 0, consumer: 0 };
  publisherBroker.on('disconnected', () => disconnections.publisher++);
  consumerBroker.on('disconnected', () => disconnections.consumer++);
  try {
    await publishMany(userId, 250);
    await waitFor(async () => (await effects()) > 0, { description: 'first events applied' });
    await Promise.all([
      closeConnectionFromServer(consumerBroker.connectionName),
      closeConnectionFromServer(publisherBroker.connectionName),
    ]);
    // Committed while the connections are down or coming back: the outbox holds them.
    await publishMany(userId, 250);
    await waitForCount(store.dataSource, `SELECT count(*) FROM effects WHERE user_id = $1`, 500, {
      params: [userId],
      timeoutMs: 40_000,
    });
    await waitFor(
      async () =>
        (await countOf(store.dataSource, `SELECT count(*) FROM outbox WHERE sent_at IS NULL`)) === 0,
      {
        description: 'outbox drained',
      },
    );
    await expect(
      countOf(store.dataSource, `SELECT count(DISTINCT event_id) FROM effects WHERE user_id = $1`, [userId]),
    ).resolves.toBe(500);
    await expect(effects()).resolves.toBe(500);
    expect(disconnections).toEqual({ publisher: 1, consumer: 1 });
    expect(publisherBroker.isConnected && consumerBroker.isConnected).toBe(true);
  } finally {
    await relay.stop();
    await consumer.stop();
  }
});

it('without a reachable broker: reports not connected, refuses to publish, and stops promptly', async () => {
  const broker = new Broker({
    url: 'amqp://guest:guest@127.0.0.1:1',
    logger: testLogger(),
    connectionName: uniqueName('unreachable'),
    minReconnectDelayMs: 10_000,
  });
  await broker.start({ waitForConnection: false });
  expect(broker.isConnected).toBe(false);
  await expect(broker.publish('ledger.transaction.created', {})).rejects.toBeInstanceOf(
    BrokerUnavailableError,
  );
  const stopping = Date.now();
  await broker.stop();
  // The 10 s back-off wait is interrupted, not sat out.
  expect(Date.now() - stopping).toBeLessThan(5_000);
});

it('declares queues and subscriptions registered while the connection is still being set up', async () => {
  // A service starts without waiting for the broker and registers its queues right after; wherever
  // that lands in the connection's set-up, the queue must exist once the broker says connected.
  // Each delay lands the second registration at a different point of that set-up.
  const missing: number[] = [];
  for (let delayMs = 0; delayMs <= 12; delayMs++) {
    const first = uniqueName('setup_first');
    const second = uniqueName('setup_second');
    const broker = new Broker({ url: testAmqpUrl(), logger: testLogger(), connectionName: first });
    await broker.start({ waitForConnection: false });
    try {
      await broker.addTopology(async (channel) => {
        await channel.assertQueue(first, { autoDelete: true });
      });
      await broker.consume({ queue: first, prefetch: 1, onMessage: () => undefined });
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      await broker.addTopology(async (channel) => {
        await channel.assertQueue(second, { autoDelete: true });
      });
      await broker.whenConnected();
      const exists = await consumerBroker.withChannel((channel) =>
        channel.checkQueue(second).then(
          () => true,
          () => false,
        ),
      );
      if (!exists) missing.push(delayMs);
      await consumerBroker.withChannel((channel) => channel.deleteQueue(second)).catch(() => undefined);
    } finally {
      await broker.stop();
    }
  }
  expect(missing).toEqual([]);
});
