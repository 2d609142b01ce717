import { randomUUID } from 'node:crypto';
import {
  acceptAggregateVersion,
  Broker,
  currentContext,
  EventConsumer,
  EVENTS_EXCHANGE,
  listDeadLetters,
  OutboxRelay,
  publishEvent,
  replayDeadLetters,
  type EventType,
  type FinanceEvent,
} from '@finance/shared';
import {
  deleteTestQueues,
  queueDepth,
  startTestBroker,
  testLogger,
  uniqueName,
  waitFor,
  waitForCount,
  waitForInbox,
} from '@finance/shared/testing';
import { countOf, openTestStore, transactionCreated, type TestStore } from './fixture';

const RETRY_DELAYS_MS = [20, 50, 100];

jest.setTimeout(60_000);

let store: TestStore;
let broker: Broker;
let relay: OutboxRelay;
const services: string[] = [];

beforeAll(async () => {
  store = await openTestStore('events_consumer');
  broker = await startTestBroker('consumer');
  relay = new OutboxRelay({ dataSource: store.dataSource, broker, logger: testLogger() });
  await relay.start();
});

afterAll(async () => {
  await relay.stop();
  for (const service of services) await deleteTestQueues(broker, service, RETRY_DELAYS_MS.length);
  await broker.stop();
  await store.close();
});

/** A consumer with a unique service name (its own queues and inbox rows), fast retries. */
function newConsumer(label: string, options: { maxAttempts?: number } = {}): EventConsumer {
  const service = uniqueName(label);
  services.push(service);
  return new EventConsumer({
    broker,
    dataSource: store.dataSource,
    logger: testLogger(),
    service,
    prefetch: 20,
    maxAttempts: options.maxAttempts ?? 3,
    retryDelaysMs: RETRY_DELAYS_MS,
  });
}

/** The test effect: one row per application (no unique key, so a double application would show). */
async function recordEffect(event: FinanceEvent, manager: import('typeorm').EntityManager): Promise<void> {
  await manager.query(
    `INSERT INTO effects (event_id, user_id, aggregate_id, correlation_id) VALUES ($1, $2, $3, $4)`,
    [event.id, event.userId, event.aggregateId, currentContext().correlationId ?? null],
  );
}

const effectsOf = (userId: string) =>
  countOf(store.dataSource, `SELECT count(*) FROM effects WHERE user_id = $1`, [userId]);

async function publishMany(userId: string, count: number, perTransaction = 100): Promise<FinanceEvent[]> {
  const events: FinanceEvent[] = [];
  for (let start = 0; start < count; start += perTransaction) {
    await store.dataSource.transaction(async (manager) => {
      for (let index = start; index < Math.min(count, start + perTransaction); index++)
        events.push(await publishEvent(manager, transactionCreated(userId)));
    });
  }
  return events;
}

it('applies 1,000 events exactly once although every one is delivered twice', async () => {
  const consumer = newConsumer('dedup').on('ledger.transaction.created', recordEffect);
  await consumer.start();
  try {
    const userId = randomUUID();
    const events = await publishMany(userId, 1_000);
    // The duplicates: every event published once more, as a relay retry after a lost ack would.
    await Promise.all(events.map((event) => broker.publish(event.type, event)));
    await waitFor(() => consumer.stats.duplicates >= 1_000, {
      timeoutMs: 45_000,
      description: '1,000 duplicates skipped',
    });
    await expect(effectsOf(userId)).resolves.toBe(1_000);
    await expect(
      countOf(store.dataSource, `SELECT count(DISTINCT event_id) FROM effects WHERE user_id = $1`, [userId]),
    ).resolves.toBe(1_000);
  } finally {
    await consumer.stop();
  }
});

it('runs handlers with the event correlation id in the work context (so logs carry it)', async () => {
  const consumer = newConsumer('correlation').on('ledger.transaction.created', recordEffect);
  await consumer.start();
  try {
    const event = await store.dataSource.transaction((manager) =>
      publishEvent(manager, { ...transactionCreated(randomUUID()), correlationId: 'req-correlated' }),
    );
    await waitForInbox(store.dataSource, consumer.queues.work.replace(/\.events$/, ''), event.id);
    const [row]: { correlation_id: string }[] = await store.dataSource.query(
      `SELECT correlation_id FROM effects WHERE event_id = $1`,
      [event.id],
    );
    expect(row.correlation_id).toBe('req-correlated');
  } finally {
    await consumer.stop();
  }
});

it('dead-letters a poison event after N attempts while the others flow, and a replay after the fix applies it once', async () => {
  const userId = randomUUID();
  const poisonAggregate = randomUUID();
  let fixed = false;
  let poisonAttempts = 0;
  const consumer = newConsumer('poison', { maxAttempts: 3 }).on(
    'ledger.transaction.created',
    async (event, manager) => {
      if (event.aggregateId === poisonAggregate && !fixed) {
        poisonAttempts++;
        throw new Error('cannot apply this one');
      }
      await recordEffect(event, manager);
    },
  );
  await consumer.start();
  const service = consumer.queues.work.replace(/\.events$/, '');
  try {
    const poison = await store.dataSource.transaction((manager) =>
      publishEvent(manager, transactionCreated(userId, { aggregateId: poisonAggregate })),
    );
    await publishMany(userId, 20, 5);
    await waitForCount(store.dataSource, `SELECT count(*) FROM effects WHERE user_id = $1`, 20, {
      params: [userId],
    });
    await waitFor(async () => (await queueDepth(broker, consumer.queues.deadLetter)) === 1, {
      description: 'poison dead-lettered',
    });
    expect(poisonAttempts).toBe(3);

    const [letter] = await listDeadLetters(broker, service);
    expect(letter).toMatchObject({
      eventId: poison.id,
      type: 'ledger.transaction.created',
      routingKey: 'ledger.transaction.created',
      reason: 'handler failed',
      lastError: 'cannot apply this one',
      attempts: 3,
    });
    expect(Number.isNaN(Date.parse(letter.firstFailedAt ?? ''))).toBe(false);
    // Listing does not remove it.
    await expect(queueDepth(broker, consumer.queues.deadLetter)).resolves.toBe(1);

    fixed = true;
    const replayed = await replayDeadLetters(broker, service, { eventId: poison.id });
    expect(replayed.map((entry) => entry.eventId)).toEqual([poison.id]);
    await waitForInbox(store.dataSource, service, poison.id);
    await expect(
      countOf(store.dataSource, `SELECT count(*) FROM effects WHERE event_id = $1`, [poison.id]),
    ).resolves.toBe(1);
    await expect(effectsOf(userId)).resolves.toBe(21);
    await expect(queueDepth(broker, consumer.queues.deadLetter)).resolves.toBe(0);
  } finally {
    await consumer.stop();
  }
});

it('dead-letters bad JSON and a broken contract with the reason, and keeps consuming', async () => {
  const consumer = newConsumer('invalid').on('ledger.transaction.created', recordEffect);
  await consumer.start();
  const service = consumer.queues.work.replace(/\.events$/, '');
  try {
    // Sent straight to this consumer's queue so that other test files' consumers never see them.
    await broker.sendToQueue(consumer.queues.work, Buffer.from('{not json'), { messageId: 'bad-json' });
    const wrongSchema = {
      ...transactionCreated(randomUUID()),
      id: randomUUID(),
      version: 1,
      occurredAt: new Date().toISOString(),
      correlationId: 'c',
    };
    (wrongSchema.payload as { amount: unknown }).amount = 12.34;
    await broker.sendToQueue(consumer.queues.work, Buffer.from(JSON.stringify(wrongSchema)));

    const good = await store.dataSource.transaction((manager) =>
      publishEvent(manager, transactionCreated(randomUUID())),
    );
    await waitForInbox(store.dataSource, service, good.id);
    await waitFor(async () => (await queueDepth(broker, consumer.queues.deadLetter)) === 2, {
      description: 'two dead letters',
    });
    const letters = await listDeadLetters(broker, service);
    const reasons = letters.map((letter) => letter.reason ?? '');
    expect(reasons.some((reason) => reason.startsWith('invalid JSON'))).toBe(true);
    expect(
      reasons.some((reason) => /invalid ledger\.transaction\.created payload[\s\S]*amount/.test(reason)),
    ).toBe(true);
    expect(letters.find((letter) => letter.reason?.startsWith('invalid JSON'))?.body).toBe('{not json');
  } finally {
    await consumer.stop();
  }
});

it('ignores an event older than the aggregate version the read model holds', async () => {
  const consumer = newConsumer('ordering').on(
    ['ledger.transaction.created', 'ledger.transaction.updated'],
    async (event, manager) => {
      if (!(await acceptAggregateVersion(manager, event))) return;
      await manager.query(
        `INSERT INTO transaction_view (id, user_id, description, version) VALUES ($1, $2, $3, $4)
       ON CONFLICT (id) DO UPDATE SET description = EXCLUDED.description, version = EXCLUDED.version`,
        [event.aggregateId, event.userId, event.payload.description, event.aggregateVersion],
      );
    },
  );
  await consumer.start();
  const service = consumer.queues.work.replace(/\.events$/, '');
  try {
    const userId = randomUUID();
    const aggregateId = randomUUID();
    const newer = await store.dataSource.transaction((manager) =>
      publishEvent(manager, {
        ...transactionCreated(userId, { aggregateId, aggregateVersion: 2, description: 'v2' }),
        type: 'ledger.transaction.updated',
      }),
    );
    await waitForInbox(store.dataSource, service, newer.id);
    const older = await store.dataSource.transaction((manager) =>
      publishEvent(
        manager,
        transactionCreated(userId, { aggregateId, aggregateVersion: 1, description: 'v1' }),
      ),
    );
    await waitForInbox(store.dataSource, service, older.id);
    const rows: { description: string; version: number }[] = await store.dataSource.query(
      `SELECT description, version FROM transaction_view WHERE id = $1`,
      [aggregateId],
    );
    expect(rows).toEqual([{ description: 'v2', version: 2 }]);
  } finally {
    await consumer.stop();
  }
});

it('acceptAggregateVersion accepts only newer versions, per aggregate type', async () => {
  const aggregateId = randomUUID();
  const event = (type: EventType, aggregateVersion: number) =>
    ({
      ...transactionCreated(randomUUID(), { aggregateId, aggregateVersion }),
      type,
      id: randomUUID(),
    }) as unknown as FinanceEvent;
  const accept = (e: FinanceEvent) =>
    store.dataSource.transaction((manager) => acceptAggregateVersion(manager, e));
  await expect(accept(event('ledger.transaction.created', 1))).resolves.toBe(true);
  await expect(accept(event('ledger.transaction.updated', 3))).resolves.toBe(true);
  await expect(accept(event('ledger.transaction.updated', 2))).resolves.toBe(false);
  await expect(accept(event('ledger.transaction.deleted', 3))).resolves.toBe(false);
  // Another aggregate type with the same id is tracked separately.
  await expect(accept(event('ledger.account.updated', 1))).resolves.toBe(true);
  const [row]: { version: number }[] = await store.dataSource.query(
    `SELECT version FROM aggregate_versions WHERE aggregate_type = 'ledger.transaction' AND aggregate_id = $1`,
    [aggregateId],
  );
  expect(row.version).toBe(3);
});

it('acks and ignores a valid event of a type it has no handler for', async () => {
  const consumer = newConsumer('unknown').on('ledger.transaction.created', recordEffect);
  await consumer.start();
  try {
    const stray = {
      ...transactionCreated(randomUUID()),
      type: 'ledger.transaction.deleted',
      id: randomUUID(),
      version: 1,
      occurredAt: new Date().toISOString(),
      correlationId: 'c',
    };
    await broker.sendToQueue(consumer.queues.work, Buffer.from(JSON.stringify(stray)));
    await waitFor(() => consumer.stats.ignored === 1, { description: 'stray event ignored' });
    await expect(queueDepth(broker, consumer.queues.deadLetter)).resolves.toBe(0);
    expect(EVENTS_EXCHANGE).toBe('finance.events');
  } finally {
    await consumer.stop();
  }
});

it('stop() waits for the handlers in progress, whose effects commit and are acked', async () => {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let started = false;
  const consumer = newConsumer('drain').on('ledger.transaction.created', async (event, manager) => {
    if (event.userId !== userOfDrain) return;
    started = true;
    await released;
    await recordEffect(event, manager);
  });
  const userOfDrain = randomUUID();
  await consumer.start();
  const event = await store.dataSource.transaction((manager) =>
    publishEvent(manager, transactionCreated(userOfDrain)),
  );
  await waitFor(() => started, { description: 'handler started' });
  let stopped = false;
  const stopping = consumer.stop().then(() => (stopped = true));
  await new Promise((resolve) => setImmediate(resolve));
  expect(stopped).toBe(false);
  release();
  await stopping;
  await expect(
    countOf(store.dataSource, `SELECT count(*) FROM effects WHERE event_id = $1`, [event.id]),
  ).resolves.toBe(1);
  // Acked before the channel closed: it did not go back to the queue (which may hold other test files' events).
  const waiting = await broker.withChannel(async (channel) => {
    const ids: string[] = [];
    // Bounded: other test files keep publishing this type into every queue bound to it.
    for (
      let message = await channel.get(consumer.queues.work), taken = 0;
      message && taken < 5_000;
      message = await channel.get(consumer.queues.work), taken++
    )
      ids.push((JSON.parse(message.content.toString()) as { id: string }).id);
    return ids;
  });
  expect(waiting).not.toContain(event.id);
});

it('prunes inbox entries older than the retention, only its own', async () => {
  const consumer = newConsumer('prune');
  const service = consumer.queues.work.replace(/\.events$/, '');
  await store.dataSource.query(
    `INSERT INTO inbox (consumer, event_id, type, received_at) VALUES
       ($1, $2, 'ledger.transaction.created', now() - interval '31 days'),
       ($1, $3, 'ledger.transaction.created', now()),
       ('someone-else', $2, 'ledger.transaction.created', now() - interval '31 days')`,
    [service, randomUUID(), randomUUID()],
  );
  await expect(consumer.pruneInbox()).resolves.toBe(1);
  await expect(
    countOf(store.dataSource, `SELECT count(*) FROM inbox WHERE consumer IN ($1, 'someone-else')`, [service]),
  ).resolves.toBe(2);
});
