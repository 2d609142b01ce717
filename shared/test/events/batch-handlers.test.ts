import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import {
  Broker,
  declareServiceQueues,
  EventConsumer,
  listDeadLetters,
  publishEvents,
  type FinanceEvent,
  type NewEvent,
} from '@finance/shared';
import {
  deleteTestQueues,
  queueDepth,
  startTestBroker,
  testLogger,
  uniqueName,
  waitFor,
} from '@finance/shared/testing';
import { countOf, openTestStore, transactionCreated, type TestStore } from './fixture';

const RETRY_DELAYS_MS = [20, 50, 100];
const TYPES = ['ledger.transaction.created', 'ledger.transaction.updated'] as const;

// Hundreds of events on a shared 2-core machine: generous bounds, every wait on a condition.
jest.setTimeout(180_000);

let store: TestStore;
let broker: Broker;
const services: string[] = [];

beforeAll(async () => {
  store = await openTestStore('events_batch_handlers');
  broker = await startTestBroker('batch-handlers');
});

afterAll(async () => {
  for (const service of services) await deleteTestQueues(broker, service, RETRY_DELAYS_MS.length);
  await broker.stop();
  await store.close();
});

async function declaredService(label: string): Promise<string> {
  const service = uniqueName(label);
  services.push(service);
  await broker.withChannel((channel) => declareServiceQueues(channel, service, [...TYPES], RETRY_DELAYS_MS));
  return service;
}

function consumerOf(service: string, maxAttempts = 3): EventConsumer {
  return new EventConsumer({
    broker,
    dataSource: store.dataSource,
    logger: testLogger(),
    service,
    batchSize: 250,
    maxAttempts,
    retryDelaysMs: RETRY_DELAYS_MS,
  });
}

async function recordEffects(events: readonly FinanceEvent[], manager: EntityManager): Promise<void> {
  await manager.query(
    `INSERT INTO effects (event_id, user_id, aggregate_id) SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[])`,
    [events.map((e) => e.id), events.map((e) => e.userId), events.map((e) => e.aggregateId)],
  );
}

/** Publishes the events in ONE transaction (as an import does) and waits until all are queued. */
async function publishAll(service: string, events: NewEvent[]): Promise<FinanceEvent[]> {
  const published = await store.dataSource.transaction((manager) => publishEvents(manager, events));
  // No relay in this file: the broker gets them straight, in order.
  await broker.publishBatch(
    published.map((event) => ({ routingKey: event.type, envelope: event, options: { messageId: event.id } })),
  );
  await waitFor(async () => (await queueDepth(broker, `${service}.events`)) >= events.length, {
    timeoutMs: 60_000,
    description: `${events.length} events queued`,
  });
  return published;
}

const updated = (userId: string): NewEvent<'ledger.transaction.updated'> => ({
  ...transactionCreated(userId),
  type: 'ledger.transaction.updated',
});
const effectsOf = (userId: string) =>
  countOf(store.dataSource, `SELECT count(*) FROM effects WHERE user_id = $1`, [userId]);

it('calls a batch handler once per consecutive run of its type, in delivery order with one-event handlers', async () => {
  const service = await declaredService('runs');
  const userId = randomUUID();
  // 60 created, 1 updated, 60 created, 5 updated, 60 created.
  const shape = [60, 1, 60, 5, 60];
  const events = shape.flatMap((count, block) =>
    Array.from({ length: count }, () => (block % 2 === 0 ? transactionCreated(userId) : updated(userId))),
  );
  const published = await publishAll(service, events);
  const log: Array<{ kind: 'run' | 'one'; ids: string[] }> = [];
  // The events exchange is shared with every test file running at once: this queue also gets their
  // transaction events, so the log keeps this test's user only.
  const consumer = consumerOf(service)
    .onBatch('ledger.transaction.created', async (run, manager) => {
      const ours = run.filter((e) => e.userId === userId);
      if (ours.length > 0) log.push({ kind: 'run', ids: ours.map((e) => e.id) });
      await recordEffects(run, manager);
    })
    .on('ledger.transaction.updated', async (event, manager) => {
      if (event.userId === userId) log.push({ kind: 'one', ids: [event.id] });
      await recordEffects([event], manager);
    });
  await consumer.start();
  try {
    await waitFor(async () => (await effectsOf(userId)) >= published.length, {
      timeoutMs: 60_000,
      description: 'all applied',
    });
    await expect(effectsOf(userId)).resolves.toBe(published.length);
    // Delivery order kept across runs and one-event handlers.
    expect(log.flatMap((entry) => entry.ids)).toEqual(published.map((e) => e.id));
    const typeOf = new Map(published.map((e) => [e.id, e.type]));
    for (const entry of log.filter((e) => e.kind === 'run'))
      expect(entry.ids.every((id) => typeOf.get(id) === 'ledger.transaction.created')).toBe(true);
    // Runs, not one call per event: the 180 created events came in far fewer calls.
    expect(log.filter((e) => e.kind === 'run').length).toBeLessThan(60);
    expect(log.filter((e) => e.kind === 'one')).toHaveLength(6);
  } finally {
    await consumer.stop();
  }
});

it('isolates a poison event inside a run: the rerun applies the run one at a time, the rest commits', async () => {
  const service = await declaredService('poison-run');
  const userId = randomUUID();
  const published = await publishAll(
    service,
    Array.from({ length: 200 }, (_, n) =>
      transactionCreated(userId, { description: n === 120 ? 'poison' : 'coffee' }),
    ),
  );
  const poison = published[120];
  const consumer = consumerOf(service, 2).onBatch('ledger.transaction.created', async (run, manager) => {
    await recordEffects(run, manager);
    // Other files' events reach this queue too (one shared exchange): only this user's poison fails.
    if (run.some((e) => e.userId === userId && e.payload.description === 'poison'))
      throw new Error('cannot apply this one');
  });
  await consumer.start();
  try {
    await waitFor(async () => consumer.stats.deadLettered === 1 && (await effectsOf(userId)) === 199, {
      timeoutMs: 60_000,
      description: 'the poison dead-lettered, the 199 others applied',
    });
    await expect(
      countOf(store.dataSource, `SELECT count(DISTINCT event_id) FROM effects WHERE user_id = $1`, [userId]),
    ).resolves.toBe(199);
    await expect(
      countOf(store.dataSource, `SELECT count(*) FROM effects WHERE event_id = $1`, [poison.id]),
    ).resolves.toBe(0);
    await expect(
      countOf(store.dataSource, `SELECT count(*) FROM inbox WHERE consumer = $1 AND event_id = $2`, [
        service,
        poison.id,
      ]),
    ).resolves.toBe(0);
    const [letter] = await listDeadLetters(broker, service);
    expect(letter).toMatchObject({ eventId: poison.id, attempts: 2, lastError: 'cannot apply this one' });
  } finally {
    await consumer.stop();
  }
});

it('applies runs exactly once when committed events are delivered again', async () => {
  const service = await declaredService('redelivery-run');
  const userId = randomUUID();
  const published = await publishAll(
    service,
    Array.from({ length: 150 }, () => transactionCreated(userId)),
  );
  const consumer = consumerOf(service).onBatch('ledger.transaction.created', recordEffects);
  // Committed but never acked (a crash before the ack): `apply` commits as a delivery does.
  for (const event of published.slice(0, 100)) await expect(consumer.apply(event)).resolves.toBe(true);
  await expect(consumer.apply(published[0])).resolves.toBe(false);
  await consumer.start();
  try {
    await waitFor(async () => (await effectsOf(userId)) >= 150 && consumer.stats.duplicates >= 100, {
      timeoutMs: 60_000,
      description: '100 redeliveries skipped, 50 applied',
    });
    // And all of them once more.
    await broker.publishBatch(
      published.map((event) => ({
        routingKey: event.type,
        envelope: event,
        options: { messageId: event.id },
      })),
    );
    await waitFor(() => consumer.stats.duplicates >= 250, {
      timeoutMs: 60_000,
      description: '150 more skipped',
    });
    await expect(effectsOf(userId)).resolves.toBe(150);
    await expect(
      countOf(store.dataSource, `SELECT count(DISTINCT event_id) FROM effects WHERE user_id = $1`, [userId]),
    ).resolves.toBe(150);
  } finally {
    await consumer.stop();
  }
});
