import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import {
  Broker,
  EVENTS_EXCHANGE,
  InvalidEventError,
  OUTBOX_CHANNEL,
  OutboxRelay,
  publishEvent,
  publishEvents,
  runWithContext,
  type FinanceEvent,
  type NewEvent,
} from '@finance/shared';
import { startTestBroker, testLogger, uniqueName, waitFor } from '@finance/shared/testing';
import { countOf, openTestStore, transactionCreated, type TestStore } from './fixture';

jest.setTimeout(60_000);

let store: TestStore;
let broker: Broker;
const queues: string[] = [];

beforeAll(async () => {
  store = await openTestStore('events_outbox');
  broker = await startTestBroker('outbox');
});

afterAll(async () => {
  await broker.withChannel(async (channel) => {
    for (const queue of queues) await channel.deleteQueue(queue);
  });
  await broker.stop();
  await store.close();
});

/** A plain queue bound to one event type that nobody consumes, so the test can count what reached it. */
async function tapQueue(routingKey: string): Promise<string> {
  const queue = uniqueName('tap');
  queues.push(queue);
  await broker.withChannel(async (channel) => {
    await channel.assertQueue(queue, { durable: false, autoDelete: false });
    await channel.bindQueue(queue, EVENTS_EXCHANGE, routingKey);
  });
  return queue;
}

/** Everything in the tap queue published for this user (other test files publish the same types). */
async function drainTap(queue: string, userId: string): Promise<FinanceEvent[]> {
  return broker.withChannel(async (channel) => {
    const events: FinanceEvent[] = [];
    for (;;) {
      const message = await channel.get(queue, { noAck: true });
      if (!message) return events;
      const event = JSON.parse(message.content.toString()) as FinanceEvent;
      if (event.userId === userId) events.push(event);
    }
  });
}

const pendingCount = () => countOf(store.dataSource, `SELECT count(*) FROM outbox WHERE sent_at IS NULL`);

function accountCreated(userId: string, accountId: string): NewEvent<'ledger.account.created'> {
  return {
    type: 'ledger.account.created',
    userId,
    aggregateId: accountId,
    aggregateVersion: 1,
    payload: { name: 'Wallet', type: 'cash', currency: 'EUR', openingBalance: '0.00', archived: false },
  };
}

describe('publishEvent', () => {
  it('rejects an event that breaks its contract, rolling the business change back with it', async () => {
    const accountId = randomUUID();
    const invalid = accountCreated(randomUUID(), accountId);
    (invalid.payload as { currency: string }).currency = 'euro';
    await expect(
      store.dataSource.transaction(async (manager) => {
        await manager.query(`INSERT INTO accounts (id, name) VALUES ($1, 'Wallet')`, [accountId]);
        await publishEvent(manager, invalid);
      }),
    ).rejects.toThrow(InvalidEventError);
    await expect(
      countOf(store.dataSource, `SELECT count(*) FROM accounts WHERE id = $1`, [accountId]),
    ).resolves.toBe(0);
    await expect(
      countOf(store.dataSource, `SELECT count(*) FROM outbox WHERE envelope->>'aggregateId' = $1`, [
        accountId,
      ]),
    ).resolves.toBe(0);
  });

  it('refuses to run outside a transaction', async () => {
    await expect(
      publishEvent(store.dataSource.manager, accountCreated(randomUUID(), randomUUID())),
    ).rejects.toThrow(/transaction/);
  });

  it('fills id, version, occurredAt and takes the correlation id from the work context (the request id)', async () => {
    const event = await runWithContext({ requestId: 'req-42', correlationId: 'req-42' }, () =>
      store.dataSource.transaction((manager) => publishEvent(manager, transactionCreated(randomUUID()))),
    );
    expect(event.correlationId).toBe('req-42');
    expect(event.version).toBe(1);
    expect(Number.isNaN(Date.parse(event.occurredAt))).toBe(false);
    const [row]: { envelope: FinanceEvent }[] = await store.dataSource.query(
      `SELECT envelope FROM outbox WHERE event_id = $1`,
      [event.id],
    );
    expect(row.envelope).toEqual(event);
  });

  it('uses the event id as correlation id when no work context is active', async () => {
    const event = await store.dataSource.transaction((manager) =>
      publishEvent(manager, transactionCreated(randomUUID())),
    );
    expect(event.correlationId).toBe(event.id);
  });
});

describe('OutboxRelay', () => {
  it('publishes nothing for a rolled-back transaction, and a committed one right after', async () => {
    const tap = await tapQueue('ledger.account.created');
    const relay = new OutboxRelay({ dataSource: store.dataSource, broker, logger: testLogger() });
    await relay.start();
    const userId = randomUUID();
    try {
      await expect(
        store.dataSource.transaction(async (manager) => {
          await publishEvent(manager, accountCreated(userId, randomUUID()));
          throw new Error('business rule failed');
        }),
      ).rejects.toThrow('business rule failed');
      const committed = await store.dataSource.transaction((manager) =>
        publishEvent(manager, accountCreated(userId, randomUUID())),
      );
      await waitFor(async () => (await pendingCount()) === 0, { description: 'outbox drained' });
      const received = await drainTap(tap, userId);
      expect(received.map((event) => event.id)).toEqual([committed.id]);
      await expect(
        countOf(store.dataSource, `SELECT count(*) FROM outbox WHERE envelope->>'userId' = $1`, [userId]),
      ).resolves.toBe(1);
    } finally {
      await relay.stop();
    }
  });

  it('with two relays on one outbox, publishes each event exactly once, in order per relay batch', async () => {
    const tap = await tapQueue('ledger.transaction.created');
    const userId = randomUUID();
    const total = 300;
    const ids: string[] = [];
    for (let batch = 0; batch < total / 10; batch++) {
      await store.dataSource.transaction(async (manager) => {
        for (let index = 0; index < 10; index++)
          ids.push((await publishEvent(manager, transactionCreated(userId))).id);
      });
    }
    const secondBroker = await startTestBroker('outbox-2');
    const relays = [
      new OutboxRelay({ dataSource: store.dataSource, broker, logger: testLogger(), batchSize: 10 }),
      new OutboxRelay({
        dataSource: store.dataSource,
        broker: secondBroker,
        logger: testLogger(),
        batchSize: 10,
      }),
    ];
    try {
      await Promise.all(relays.map((relay) => relay.start()));
      await waitFor(async () => (await pendingCount()) === 0, { description: 'outbox drained' });
      // Rows are marked sent only after the broker's confirm, so everything published is in the queue now.
      const received = await drainTap(tap, userId);
      expect(received).toHaveLength(total);
      expect(new Set(received.map((event) => event.id))).toEqual(new Set(ids));
      expect(relays[0].publishedCount + relays[1].publishedCount).toBe(total);
    } finally {
      await Promise.all(relays.map((relay) => relay.stop()));
      await secondBroker.stop();
    }
  });

  it('keeps events while the broker is away and publishes them when it is back', async () => {
    const tap = await tapQueue('ledger.account.created');
    const lonelyBroker = new Broker({
      url: 'amqp://guest:guest@127.0.0.1:1',
      logger: testLogger(),
      connectionName: uniqueName('nowhere'),
    });
    const relay = new OutboxRelay({
      dataSource: store.dataSource,
      broker: lonelyBroker,
      logger: testLogger(),
    });
    await relay.start();
    const userId = randomUUID();
    const event = await store.dataSource.transaction((manager) =>
      publishEvent(manager, accountCreated(userId, randomUUID())),
    );
    relay.wake();
    await relay.stop();
    await expect(
      countOf(store.dataSource, `SELECT count(*) FROM outbox WHERE event_id = $1 AND sent_at IS NULL`, [
        event.id,
      ]),
    ).resolves.toBe(1);

    const relayWithBroker = new OutboxRelay({ dataSource: store.dataSource, broker, logger: testLogger() });
    await relayWithBroker.start();
    try {
      await waitFor(async () => (await pendingCount()) === 0, { description: 'outbox drained' });
      expect((await drainTap(tap, userId)).map((received) => received.id)).toEqual([event.id]);
    } finally {
      await relayWithBroker.stop();
    }
  });

  it('leaves rows leased by a relay that died alone until the lease ends, then publishes them once', async () => {
    const tap = await tapQueue('ledger.account.created');
    const userId = randomUUID();
    const event = await store.dataSource.transaction((manager) =>
      publishEvent(manager, accountCreated(userId, randomUUID())),
    );
    // What a relay's claim leaves behind when its process dies before the broker confirmed.
    const [[{ lease_ends_at: leaseEndsAt }]]: [Array<{ lease_ends_at: Date }>, number] =
      await store.dataSource.query(
        `UPDATE outbox SET next_attempt_at = now() + interval '1500 milliseconds' WHERE event_id = $1
         RETURNING next_attempt_at AS lease_ends_at`,
        [event.id],
      );
    const relay = new OutboxRelay({
      dataSource: store.dataSource,
      broker,
      logger: testLogger(),
      pollIntervalMs: 100,
    });
    await relay.start();
    try {
      await waitFor(
        async () =>
          (await countOf(
            store.dataSource,
            `SELECT count(*) FROM outbox WHERE event_id = $1 AND sent_at IS NOT NULL`,
            [event.id],
          )) === 1,
        { description: 'the row published after its lease', timeoutMs: 10_000 },
      );
      expect((await drainTap(tap, userId)).map((received) => received.id)).toEqual([event.id]);
      // Polled every 100 ms all along, it still waited for the lease: marked sent only after it ended.
      const [row]: Array<{ waited: boolean }> = await store.dataSource.query(
        `SELECT sent_at >= $2::timestamptz AS waited FROM outbox WHERE event_id = $1`,
        [event.id, leaseEndsAt],
      );
      expect(row.waited).toBe(true);
    } finally {
      await relay.stop();
    }
  });

  it('hands a committed event to the relay in this process at once: no NOTIFY, no claim', async () => {
    const tap = await tapQueue('ledger.account.created');
    const listener = new Client({ connectionString: store.url });
    await listener.connect();
    const notifications: string[] = [];
    listener.on('notification', (message) => notifications.push(message.channel));
    await listener.query(`LISTEN ${OUTBOX_CHANNEL}`);
    // Its poll is too slow to matter and nothing wakes it: only the commit hand-over can publish.
    const relay = new OutboxRelay({
      dataSource: store.dataSource,
      broker,
      logger: testLogger(),
      pollIntervalMs: 600_000,
    });
    await relay.start();
    try {
      const userId = randomUUID();
      const event = await store.dataSource.transaction((manager) =>
        publishEvent(manager, accountCreated(userId, randomUUID())),
      );
      await waitFor(async () => (await pendingCount()) === 0, { description: 'the event marked sent' });
      expect((await drainTap(tap, userId)).map((received) => received.id)).toEqual([event.id]);
      // A round trip on the listener's connection delivers any notification sent before it.
      await listener.query('SELECT 1');
      expect(notifications).toEqual([]);
    } finally {
      await relay.stop();
      await listener.end();
    }
  });

  it('publishes what a transaction kept after rolling a savepoint back, and nothing of the savepoint', async () => {
    const tap = await tapQueue('ledger.account.created');
    const relay = new OutboxRelay({ dataSource: store.dataSource, broker, logger: testLogger() });
    await relay.start();
    try {
      const userId = randomUUID();
      const kept = await store.dataSource.transaction(async (manager) => {
        const outer = await publishEvent(manager, accountCreated(userId, randomUUID()));
        await manager
          .transaction(async (inner) => {
            await publishEvent(inner, accountCreated(userId, randomUUID()));
            throw new Error('roll the savepoint back');
          })
          .catch(() => undefined);
        return outer;
      });
      await waitFor(async () => (await pendingCount()) === 0, { description: 'outbox drained' });
      expect((await drainTap(tap, userId)).map((received) => received.id)).toEqual([kept.id]);
    } finally {
      await relay.stop();
    }
  });

  it('prunes sent rows older than the retention, and only those', async () => {
    const event = await store.dataSource.transaction((manager) =>
      publishEvent(manager, transactionCreated(randomUUID())),
    );
    await store.dataSource.query(
      `UPDATE outbox SET sent_at = now() - interval '8 days' WHERE event_id = $1`,
      [event.id],
    );
    const before = await countOf(store.dataSource, `SELECT count(*) FROM outbox`);
    const relay = new OutboxRelay({ dataSource: store.dataSource, broker, logger: testLogger() });
    await expect(relay.prune()).resolves.toBe(1);
    await expect(countOf(store.dataSource, `SELECT count(*) FROM outbox`)).resolves.toBe(before - 1);
  });
});

describe('publishEvents', () => {
  it('writes many events in a few statements, publishes all of them in order, with a relay here or elsewhere', async () => {
    const tap = await tapQueue('ledger.account.created');
    const userId = randomUUID();
    const first = Array.from({ length: 2_500 }, () => accountCreated(userId, randomUUID()));
    // No relay in this process: the rows wait for a NOTIFY-woken relay.
    await store.dataSource.transaction((manager) => publishEvents(manager, first));
    await expect(
      countOf(store.dataSource, `SELECT count(*) FROM outbox WHERE envelope->>'userId' = $1`, [userId]),
    ).resolves.toBe(2_500);
    const relay = new OutboxRelay({ dataSource: store.dataSource, broker, logger: testLogger() });
    await relay.start();
    try {
      // Many: left to the relay's claims; a few: handed to the relay here at commit.
      const many = Array.from({ length: 1_200 }, () => accountCreated(userId, randomUUID()));
      const few = Array.from({ length: 50 }, () => accountCreated(userId, randomUUID()));
      await store.dataSource.transaction((manager) => publishEvents(manager, many));
      await store.dataSource.transaction((manager) => publishEvents(manager, few));
      const second = [...many, ...few];
      await expect(
        store.dataSource.transaction(async (manager) => {
          await publishEvents(manager, [accountCreated(userId, randomUUID())]);
          throw new Error('rolled back');
        }),
      ).rejects.toThrow('rolled back');
      await waitFor(async () => (await pendingCount()) === 0, { description: 'outbox drained' });
      const received = await drainTap(tap, userId);
      expect(received.map((e) => e.aggregateId).sort()).toEqual(
        [...first, ...second].map((e) => e.aggregateId).sort(),
      );
      const stored: Array<{ id: string }> = await store.dataSource.query(
        `SELECT envelope->>'aggregateId' AS id FROM outbox WHERE envelope->>'userId' = $1 ORDER BY position`,
        [userId],
      );
      expect(stored.map((r) => r.id)).toEqual([...first, ...second].map((e) => e.aggregateId));
    } finally {
      await relay.stop();
    }
  });

  it('refuses to run outside a transaction and rejects an event that breaks its contract', async () => {
    await expect(publishEvents(store.dataSource.manager, [])).rejects.toThrow('inside a transaction');
    const broken = { ...accountCreated(randomUUID(), randomUUID()), payload: { name: 1 } } as never;
    await expect(
      store.dataSource.transaction((manager) => publishEvents(manager, [broken])),
    ).rejects.toBeInstanceOf(InvalidEventError);
  });
});
