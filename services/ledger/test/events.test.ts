import { randomUUID } from 'node:crypto';
import { EVENTS_EXCHANGE, EventConsumer, OutboxRelay, type Broker } from '@finance/shared';
import {
  deleteTestQueues,
  startTestBroker,
  testLogger,
  uniqueName,
  waitFor,
  waitForInbox,
} from '@finance/shared/testing';
import { DEFAULT_CATEGORIES } from '../src/domain/categories';
import {
  onUserDeleted,
  onUserRegistered,
  onUserUpdated,
  registerAuthHandlers,
} from '../src/events/auth-handlers';
import { LedgerHarness, authEvent } from './support';

const profile = (baseCurrency: string, timezone = 'Europe/Paris') => ({
  email: 'a@example.com',
  username: 'a',
  baseCurrency,
  timezone,
  role: 'user' as const,
});

describe('auth.user.* handlers', () => {
  let h: LedgerHarness;
  beforeAll(async () => {
    h = await LedgerHarness.start('auth_events');
  });
  afterAll(() => h?.stop());

  const categoryNames = async (userId: string) =>
    (await h.dataSource.query(`SELECT name FROM categories WHERE user_id = $1 ORDER BY name`, [userId])).map(
      (r: { name: string }) => r.name,
    );

  it('registered: stores the profile and creates the default categories once, keeping names the user already has', async () => {
    const userId = randomUUID();
    const user = { id: userId, token: h.issuer.token(userId) };
    // The user raced the event and made "groceries" already.
    expect(
      (await h.call('POST', '/categories', user, { body: { name: 'groceries', color: '#123456' } })).status,
    ).toBe(201);
    await h.dataSource.transaction((m) =>
      onUserRegistered(authEvent('auth.user.registered', userId, 1, profile('EUR')), m),
    );
    const names = await categoryNames(userId);
    expect(names).toHaveLength(DEFAULT_CATEGORIES.length);
    expect(names).toContain('groceries');
    expect(names).not.toContain('Groceries');
    expect(await h.outbox({ type: 'ledger.category.created', userId })).toHaveLength(
      DEFAULT_CATEGORIES.length,
    ); // 1 by hand + 15
    const [row] = await h.dataSource.query(
      `SELECT base_currency, timezone FROM user_profiles WHERE user_id = $1`,
      [userId],
    );
    expect(row).toEqual({ base_currency: 'EUR', timezone: 'Europe/Paris' });

    // A redelivered copy (same version) changes nothing.
    await h.dataSource.transaction((m) =>
      onUserRegistered(authEvent('auth.user.registered', userId, 1, profile('EUR')), m),
    );
    expect(await categoryNames(userId)).toEqual(names);

    // New transactions use the base currency from the profile.
    const tx = await h.call('POST', '/transactions', user, {
      body: { amount: '1.5', transaction_type: 'expense' },
    });
    expect(tx.body).toMatchObject({ currency: 'EUR', base_currency: 'EUR' });
  });

  it('updated: applies newer profiles and ignores older ones', async () => {
    const userId = randomUUID();
    await h.dataSource.transaction((m) =>
      onUserRegistered(authEvent('auth.user.registered', userId, 1, profile('USD')), m),
    );
    await h.dataSource.transaction((m) =>
      onUserUpdated(authEvent('auth.user.updated', userId, 3, profile('GBP', 'Europe/London')), m),
    );
    await h.dataSource.transaction((m) =>
      onUserUpdated(authEvent('auth.user.updated', userId, 2, profile('JPY')), m),
    );
    const [row] = await h.dataSource.query(
      `SELECT base_currency, timezone FROM user_profiles WHERE user_id = $1`,
      [userId],
    );
    expect(row).toEqual({ base_currency: 'GBP', timezone: 'Europe/London' });
  });

  it('registered overtaken by a newer update still creates the categories; after a deletion it does nothing', async () => {
    const userId = randomUUID();
    await h.dataSource.transaction((m) =>
      onUserUpdated(authEvent('auth.user.updated', userId, 2, profile('GBP')), m),
    );
    await h.dataSource.transaction((m) =>
      onUserRegistered(authEvent('auth.user.registered', userId, 1, profile('USD')), m),
    );
    expect(await categoryNames(userId)).toHaveLength(DEFAULT_CATEGORIES.length);
    const [row] = await h.dataSource.query(`SELECT base_currency FROM user_profiles WHERE user_id = $1`, [
      userId,
    ]);
    expect(row.base_currency).toBe('GBP');

    const gone = randomUUID();
    await h.dataSource.transaction((m) => onUserDeleted(authEvent('auth.user.deleted', gone, 3, {}), m));
    await h.dataSource.transaction((m) =>
      onUserRegistered(authEvent('auth.user.registered', gone, 1, profile('USD')), m),
    );
    expect(await categoryNames(gone)).toEqual([]);
  });

  it("deleted: removes all of the user's ledger data and nobody else's", async () => {
    const doomed = await h.user();
    const keeper = await h.user();
    for (const user of [doomed, keeper]) {
      const acc = (await h.call('POST', '/accounts', user, { body: { name: 'A', type: 'cash' } })).body;
      const cat = (await h.call('POST', '/categories', user, { body: { name: 'Parent', color: '#000000' } }))
        .body;
      await h.call('POST', '/categories', user, {
        body: { name: 'Child', color: '#000000', parent_id: cat.id },
      });
      await h.call('POST', '/transactions', user, {
        body: { account_id: acc.id, amount: '1', transaction_type: 'expense', category_id: cat.id },
      });
      await h.call('POST', '/transactions', user, {
        body: { amount: '1', transaction_type: 'income' },
        headers: { 'Idempotency-Key': 'k1' },
      });
    }
    const before = await h.outboxCount();
    await h.dataSource.transaction((m) => onUserDeleted(authEvent('auth.user.deleted', doomed.id, 9, {}), m));
    for (const table of ['transactions', 'categories', 'accounts', 'idempotency_keys', 'user_profiles']) {
      const [gone] = await h.dataSource.query(`SELECT count(*)::int AS n FROM ${table} WHERE user_id = $1`, [
        doomed.id,
      ]);
      expect({ table, n: gone.n }).toEqual({ table, n: 0 });
      const [kept] = await h.dataSource.query(`SELECT count(*)::int AS n FROM ${table} WHERE user_id = $1`, [
        keeper.id,
      ]);
      expect(kept.n).toBeGreaterThan(0);
    }
    expect(await h.outboxCount()).toBe(before); // consumers purge on the same auth event
  });
});

describe('through the real broker', () => {
  let h: LedgerHarness;
  let broker: Broker;
  let consumer: EventConsumer;
  let relay: OutboxRelay;
  const service = uniqueName('ledger');
  const probeQueue = uniqueName('ledger_probe');

  beforeAll(async () => {
    h = await LedgerHarness.start('broker');
    broker = await startTestBroker('ledger');
    consumer = registerAuthHandlers(
      new EventConsumer({
        broker,
        dataSource: h.dataSource,
        logger: testLogger(),
        service,
        retryDelaysMs: [200],
      }),
    );
    await consumer.start();
    relay = new OutboxRelay({ dataSource: h.dataSource, broker, logger: testLogger(), pollIntervalMs: 100 });
    await relay.start();
    await broker.withChannel(async (ch) => {
      await ch.assertQueue(probeQueue, { durable: false });
      await ch.bindQueue(probeQueue, EVENTS_EXCHANGE, 'ledger.transaction.created');
    });
  });
  afterAll(async () => {
    await relay?.stop();
    await consumer?.stop();
    if (broker) {
      await broker.withChannel((ch) => ch.deleteQueue(probeQueue)).catch(() => undefined);
      await deleteTestQueues(broker, service, 1).catch(() => undefined);
      await broker.stop();
    }
    await h?.stop();
  });

  it('applies auth.user.registered from RabbitMQ and publishes ledger.transaction.created to it', async () => {
    const userId = randomUUID();
    const event = authEvent('auth.user.registered', userId, 1, profile('CHF'));
    await broker.publish(event.type, event, { messageId: event.id });
    await waitForInbox(h.dataSource, service, event.id);
    const [{ n }] = await h.dataSource.query(`SELECT count(*)::int AS n FROM categories WHERE user_id = $1`, [
      userId,
    ]);
    expect(n).toBe(DEFAULT_CATEGORIES.length);

    const user = { id: userId, token: h.issuer.token(userId) };
    const created = await h.call('POST', '/transactions', user, {
      body: { amount: '19.95', transaction_type: 'expense', date: '2024-04-01' },
    });
    expect(created.status).toBe(201);
    const received = await waitFor(
      () =>
        broker.withChannel(async (ch) => {
          for (;;) {
            const message = await ch.get(probeQueue, { noAck: true });
            if (!message) return undefined;
            const envelope = JSON.parse(message.content.toString());
            if (envelope.aggregateId === created.body.id) return envelope;
          }
        }),
      { description: 'ledger.transaction.created on the broker' },
    );
    expect(received).toMatchObject({
      type: 'ledger.transaction.created',
      userId,
      aggregateVersion: 1,
      payload: {
        amount: '19.95',
        currency: 'CHF',
        baseAmount: '19.95',
        baseCurrency: 'CHF',
        date: '2024-04-01',
        type: 'expense',
      },
    });
  });
});
