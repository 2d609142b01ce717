import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import {
  Broker,
  createDataSource,
  declareServiceQueues,
  EventConsumer,
  EVENTS_EXCHANGE,
  listDeadLetters,
  OutboxRelay,
  publishEvent,
  publishEvents,
  type FinanceEvent,
} from '@finance/shared';
import {
  closeConnectionFromServer,
  deleteTestQueues,
  queueDepth,
  startTestBroker,
  testLogger,
  uniqueName,
  waitFor,
} from '@finance/shared/testing';
import { countOf, openTestStore, transactionCreated, type TestStore } from './fixture';

const RETRY_DELAYS_MS = [20, 50, 100];

// Bursts of thousands on a shared 2-core machine: generous bounds, every wait on a condition.
jest.setTimeout(240_000);

let store: TestStore;
let broker: Broker;
let relay: OutboxRelay;
const services: string[] = [];
const taps: string[] = [];

beforeAll(async () => {
  store = await openTestStore('events_batching');
  broker = await startTestBroker('batching');
  relay = new OutboxRelay({ dataSource: store.dataSource, broker, logger: testLogger(), batchSize: 500 });
  await relay.start();
});

afterAll(async () => {
  await relay.stop();
  for (const service of services) await deleteTestQueues(broker, service, RETRY_DELAYS_MS.length);
  await broker.withChannel(async (channel) => {
    for (const queue of taps) await channel.deleteQueue(queue);
  });
  await broker.stop();
  await store.close();
});

/** A service name whose queues exist (bound to transaction events) before anything is published to them. */
async function declaredService(label: string): Promise<string> {
  const service = uniqueName(label);
  services.push(service);
  await broker.withChannel((channel) =>
    declareServiceQueues(channel, service, ['ledger.transaction.created'], RETRY_DELAYS_MS),
  );
  return service;
}

function consumerOf(
  service: string,
  options: { maxAttempts?: number; broker?: Broker; batchSize?: number } = {},
): EventConsumer {
  return new EventConsumer({
    broker: options.broker ?? broker,
    dataSource: store.dataSource,
    logger: testLogger(),
    service,
    batchSize: options.batchSize ?? 250,
    maxAttempts: options.maxAttempts ?? 3,
    retryDelaysMs: RETRY_DELAYS_MS,
  });
}

/** The test effect: one row per application (no unique key, so a double application would show). */
async function recordEffect(event: FinanceEvent, manager: EntityManager): Promise<void> {
  await manager.query(`INSERT INTO effects (event_id, user_id, aggregate_id) VALUES ($1, $2, $3)`, [
    event.id,
    event.userId,
    event.aggregateId,
  ]);
}

/** Appends `count` transaction events of one user in ONE transaction, as an import does. */
async function appendBurst(userId: string, count: number, description = (_n: number) => 'coffee') {
  return store.dataSource.transaction((manager) =>
    publishEvents(
      manager,
      Array.from({ length: count }, (_, n) => transactionCreated(userId, { description: description(n) })),
    ),
  );
}

const effectsOf = (userId: string) =>
  countOf(store.dataSource, `SELECT count(*) FROM effects WHERE user_id = $1`, [userId]);
const distinctEffectsOf = (userId: string) =>
  countOf(store.dataSource, `SELECT count(DISTINCT event_id) FROM effects WHERE user_id = $1`, [userId]);
// Other test files publish the same event types on the same exchange: count only this test's events.
const inboxOf = (service: string, events: FinanceEvent[]) =>
  countOf(store.dataSource, `SELECT count(*) FROM inbox WHERE consumer = $1 AND event_id = ANY($2::uuid[])`, [
    service,
    events.map((event) => event.id),
  ]);
/** inbox.received_at is now() of the transaction that recorded it: distinct values = transactions. */
const transactionsOf = (service: string, events: FinanceEvent[]) =>
  countOf(
    store.dataSource,
    `SELECT count(DISTINCT received_at) FROM inbox WHERE consumer = $1 AND event_id = ANY($2::uuid[])`,
    [service, events.map((event) => event.id)],
  );
const queued = async (service: string) => queueDepth(broker, `${service}.events`);

/** A plain queue bound to one event type that nobody consumes, so the test can count what reached it. */
async function tapQueue(routingKey: string, on: Broker = broker): Promise<string> {
  const queue = uniqueName('tap');
  taps.push(queue);
  await on.withChannel(async (channel) => {
    await channel.assertQueue(queue, { durable: false, autoDelete: false });
    await channel.bindQueue(queue, EVENTS_EXCHANGE, routingKey);
  });
  return queue;
}

/** Event ids of this user's messages in the tap (other files publish the same types), duplicates kept. */
async function drainTap(queue: string, userId: string): Promise<string[]> {
  return broker.withChannel(async (channel) => {
    const ids: string[] = [];
    for (;;) {
      const message = await channel.get(queue, { noAck: true });
      if (!message) return ids;
      const event = JSON.parse(message.content.toString()) as FinanceEvent;
      if (event.userId === userId) ids.push(event.id);
    }
  });
}

it('applies a burst of 5,000 events exactly once, hundreds per transaction, and skips all 5,000 again as duplicates', async () => {
  const service = await declaredService('burst');
  const userId = randomUUID();
  const events = await appendBurst(userId, 5_000);
  // All in the queue before the consumer starts: it receives them as fast as the broker can send.
  await waitFor(async () => (await queued(service)) >= 5_000, {
    timeoutMs: 60_000,
    description: '5,000 events in the queue',
  });
  const consumer = consumerOf(service).on('ledger.transaction.created', recordEffect);
  await consumer.start();
  try {
    await waitFor(async () => (await effectsOf(userId)) >= 5_000, {
      timeoutMs: 90_000,
      description: '5,000 applied',
    });
    await expect(effectsOf(userId)).resolves.toBe(5_000);
    await expect(distinctEffectsOf(userId)).resolves.toBe(5_000);
    await expect(inboxOf(service, events)).resolves.toBe(5_000);
    // Batches, not a transaction per event (250 a batch: at least 20 transactions, far fewer than 5,000).
    const transactions = await transactionsOf(service, events);
    expect(transactions).toBeGreaterThanOrEqual(20);
    expect(transactions).toBeLessThan(250);

    // Every one delivered once more (a relay retry after a lost confirm): nothing applied twice.
    const duplicates = consumer.stats.duplicates;
    const results = await broker.publishBatch(
      events.map((event) => ({ routingKey: event.type, envelope: event, options: { messageId: event.id } })),
    );
    expect(results.every((result) => result.status === 'fulfilled')).toBe(true);
    await waitFor(() => consumer.stats.duplicates >= duplicates + 5_000, {
      timeoutMs: 60_000,
      description: '5,000 duplicates skipped',
    });
    await expect(effectsOf(userId)).resolves.toBe(5_000);
    await expect(inboxOf(service, events)).resolves.toBe(5_000);
    await waitFor(async () => (await queued(service)) === 0, {
      timeoutMs: 60_000,
      description: 'every delivery acked',
    });
  } finally {
    await consumer.stop();
  }
});

it('rolls back a poison event alone inside its batch: it is retried and dead-lettered, the rest of the batch commits, and its published event never leaves', async () => {
  const service = await declaredService('poison');
  const tap = await tapQueue('ledger.account.created');
  const userId = randomUUID();
  const events = await appendBurst(userId, 300, (n) => (n === 150 ? 'poison' : 'coffee'));
  const poison = events[150];
  await waitFor(async () => (await queued(service)) >= 300, {
    timeoutMs: 60_000,
    description: '300 events in the queue',
  });
  let poisonCalls = 0;
  const consumer = consumerOf(service, { maxAttempts: 2 }).on(
    'ledger.transaction.created',
    async (event: FinanceEvent<'ledger.transaction.created'>, manager) => {
      await recordEffect(event, manager);
      // An event the handler publishes: it must leave only with an effect that committed.
      await publishEvent(manager, {
        type: 'ledger.account.created',
        userId: event.userId,
        aggregateId: event.aggregateId,
        aggregateVersion: 1,
        payload: { name: 'Derived', type: 'cash', currency: 'EUR', openingBalance: '0.00', archived: false },
      });
      // Other files' events reach this queue too (one shared exchange): only this user's poison fails.
      if (event.userId === userId && event.payload.description === 'poison') {
        poisonCalls++;
        throw new Error('cannot apply this one');
      }
    },
  );
  await consumer.start();
  try {
    await waitFor(async () => consumer.stats.deadLettered === 1 && (await effectsOf(userId)) === 299, {
      timeoutMs: 60_000,
      description: 'the poison dead-lettered, the 299 others applied',
    });
    await expect(effectsOf(userId)).resolves.toBe(299);
    await expect(distinctEffectsOf(userId)).resolves.toBe(299);
    // Its handler ran once per delivery (the batch's rerun with savepoints leaves it out).
    expect(poisonCalls).toBe(2);
    expect(consumer.stats.retried).toBe(1);
    // The 299 committed in batches: the first delivery of the poison shared its batch with them.
    expect(await transactionsOf(service, events)).toBeLessThanOrEqual(4);
    await expect(
      countOf(store.dataSource, `SELECT count(*) FROM inbox WHERE consumer = $1 AND event_id = $2`, [
        service,
        poison.id,
      ]),
    ).resolves.toBe(0);
    const [letter] = await listDeadLetters(broker, service);
    expect(letter).toMatchObject({ eventId: poison.id, attempts: 2, lastError: 'cannot apply this one' });

    // The derived events: 299 in the outbox and on the broker, none of the poison's savepoint.
    await waitFor(
      async () =>
        (await countOf(
          store.dataSource,
          `SELECT count(*) FROM outbox WHERE type = 'ledger.account.created' AND envelope->>'userId' = $1 AND sent_at IS NOT NULL`,
          [userId],
        )) === 299,
      { timeoutMs: 60_000, description: '299 derived events sent' },
    );
    await expect(
      countOf(
        store.dataSource,
        `SELECT count(*) FROM outbox WHERE type = 'ledger.account.created' AND envelope->>'aggregateId' = $1`,
        [poison.aggregateId],
      ),
    ).resolves.toBe(0);
    const derived = await drainTap(tap, userId);
    expect(derived).toHaveLength(299);
    expect(new Set(derived).size).toBe(299);
  } finally {
    await consumer.stop();
  }
});

it('changes nothing when events committed but never acked are delivered again, also when the connection dies mid-burst', async () => {
  const service = await declaredService('redelivery');
  const userId = randomUUID();
  const consumerBroker = await startTestBroker('batching-redelivery');
  const consumer = consumerOf(service, { broker: consumerBroker }).on(
    'ledger.transaction.created',
    recordEffect,
  );
  try {
    // A crash between commit and ack leaves exactly this: effects and inbox rows committed, the
    // deliveries still in the queue. `apply` commits as a delivery does, without the broker.
    const applied = await appendBurst(userId, 500);
    await waitFor(async () => (await queued(service)) >= 500, {
      timeoutMs: 60_000,
      description: '500 events in the queue',
    });
    for (const event of applied) await expect(consumer.apply(event)).resolves.toBe(true);
    await consumer.start();
    await waitFor(() => consumer.stats.duplicates >= 500, {
      timeoutMs: 60_000,
      description: '500 redeliveries skipped',
    });
    await expect(effectsOf(userId)).resolves.toBe(500);

    // A real one: the broker drops the consumer's connection while batches are in flight; what
    // was committed and not acked comes again on the new connection and is skipped.
    const burst = await appendBurst(userId, 3_000);
    await waitFor(async () => (await effectsOf(userId)) > 500, {
      timeoutMs: 60_000,
      description: 'the burst under way',
    });
    await closeConnectionFromServer(consumerBroker.connectionName);
    await waitFor(async () => (await effectsOf(userId)) >= 3_500, {
      timeoutMs: 60_000,
      description: 'the whole burst applied',
    });
    await waitFor(async () => (await queued(service)) === 0, {
      timeoutMs: 30_000,
      description: 'every delivery acked',
    });
    await expect(effectsOf(userId)).resolves.toBe(3_500);
    await expect(distinctEffectsOf(userId)).resolves.toBe(3_500);
    await expect(inboxOf(service, [...applied, ...burst])).resolves.toBe(3_500);
  } finally {
    await consumer.stop();
    await consumerBroker.stop();
  }
});

it('publishes a transaction of 1,200 events exactly once: one relay batch handed over at commit, the rest claimed', async () => {
  const tap = await tapQueue('ledger.transaction.created');
  const userId = randomUUID();
  const events = await appendBurst(userId, 1_200);
  await waitFor(
    async () =>
      (await countOf(
        store.dataSource,
        `SELECT count(*) FROM outbox WHERE envelope->>'userId' = $1 AND sent_at IS NULL`,
        [userId],
      )) === 0,
    { timeoutMs: 60_000, description: 'all 1,200 sent' },
  );
  const received = await drainTap(tap, userId);
  expect(received).toHaveLength(1_200);
  expect(new Set(received)).toEqual(new Set(events.map((event) => event.id)));
});

it('with two relays racing on one outbox, publishes every row of a 5,000-event transaction exactly once', async () => {
  // An outbox of its own: this file's relay must not take part.
  const other = await openTestStore('events_batching_relays');
  const secondBroker = await startTestBroker('batching-relay-2');
  const writer = createDataSource({ url: other.url, entities: [], migrations: [], poolSize: 2 });
  await writer.initialize();
  const tap = await tapQueue('ledger.transaction.created');
  const relays = [
    new OutboxRelay({ dataSource: other.dataSource, broker, logger: testLogger(), batchSize: 500 }),
    new OutboxRelay({ dataSource: writer, broker: secondBroker, logger: testLogger(), batchSize: 500 }),
  ];
  try {
    await Promise.all(relays.map((r) => r.start()));
    const userId = randomUUID();
    // Written by a process without a relay: every row is claimed, by either relay.
    const appender = createDataSource({ url: other.url, entities: [], migrations: [], poolSize: 1 });
    await appender.initialize();
    const events = await appender.transaction((manager) =>
      publishEvents(
        manager,
        Array.from({ length: 5_000 }, () => transactionCreated(userId)),
      ),
    );
    await appender.destroy();
    await waitFor(
      async () =>
        (await countOf(other.dataSource, `SELECT count(*) FROM outbox WHERE sent_at IS NULL`)) === 0,
      { timeoutMs: 120_000, description: 'outbox drained' },
    );
    // Rows are marked sent only after the broker's confirm: everything published is in the tap now.
    const received = await drainTap(tap, userId);
    expect(received).toHaveLength(5_000);
    expect(new Set(received)).toEqual(new Set(events.map((event) => event.id)));
    expect(relays[0].publishedCount + relays[1].publishedCount).toBe(5_000);
  } finally {
    await Promise.all(relays.map((r) => r.stop()));
    await secondBroker.stop();
    await writer.destroy();
    await other.close();
  }
});
