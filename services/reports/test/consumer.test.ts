import { randomUUID } from 'node:crypto';
import {
  EVENTS_EXCHANGE,
  OutboxRelay,
  type Broker,
  type EventConsumer,
  type FinanceEvent,
} from '@finance/shared';
import {
  deleteTestQueues,
  startTestBroker,
  testLogger,
  uniqueName,
  waitFor,
  waitForInbox,
} from '@finance/shared/testing';
import { createReportsConsumer } from '../src/events/consumer';
import { generateDueReports } from '../src/jobs/monthly-reports';
import {
  account,
  category,
  event,
  openTestDb,
  testRenderer,
  transaction,
  user,
  type TestDb,
} from './support';

const RETRY_DELAYS_MS = [50, 100];

/** The service as main.ts wires it: the real consumer on RabbitMQ, and the outbox relay. */
describe('reports consumer and relay over the real broker', () => {
  const service = uniqueName('reports');
  const observerQueue = uniqueName('reports_observer');
  const renderer = testRenderer();
  let db: TestDb;
  let broker: Broker;
  let relay: OutboxRelay;
  let consumer: EventConsumer;

  beforeAll(async () => {
    db = await openTestDb('reports_consumer');
    broker = await startTestBroker('reports');
    await broker.withChannel(async (channel) => {
      await channel.assertQueue(observerQueue, { exclusive: false, autoDelete: false });
      await channel.bindQueue(observerQueue, EVENTS_EXCHANGE, 'reports.#');
    });
    relay = new OutboxRelay({ dataSource: db.dataSource, broker, logger: testLogger() });
    await relay.start();
    consumer = createReportsConsumer({
      broker,
      dataSource: db.dataSource,
      logger: testLogger(),
      service,
      retryDelaysMs: RETRY_DELAYS_MS,
    });
    await consumer.start();
  });

  afterAll(async () => {
    await consumer?.stop();
    await relay?.stop();
    await deleteTestQueues(broker, service, RETRY_DELAYS_MS.length).catch(() => undefined);
    await broker?.withChannel((channel) => channel.deleteQueue(observerQueue)).catch(() => undefined);
    await broker?.stop();
    await renderer.close();
    await db?.close();
  });

  const publish = (e: FinanceEvent) => broker.publish(e.type, e);

  it('builds the read model from published events: duplicates and late versions change nothing', async () => {
    const userId = randomUUID();
    const acct = randomUUID();
    const food = randomUUID();
    const tx = randomUUID();
    const created = event(
      'ledger.transaction.created',
      userId,
      tx,
      1,
      transaction({
        accountId: acct,
        currency: 'EUR',
        amount: '10.00',
        categoryId: food,
        date: '2026-02-03',
      }),
    );
    const updated = event(
      'ledger.transaction.updated',
      userId,
      tx,
      2,
      transaction({
        accountId: acct,
        currency: 'EUR',
        amount: '25.50',
        categoryId: food,
        date: '2026-02-03',
      }),
    );
    const setup = [
      event('auth.user.registered', userId, userId, 1, user('EUR', 'Europe/Berlin')),
      event('ledger.account.created', userId, acct, 1, account('Giro', 'EUR', '100.00')),
      event('ledger.category.created', userId, food, 1, category('Food', '#2E7D32')),
    ];
    for (const e of setup) await publish(e);
    await publish(updated);
    await publish(created);
    await publish(updated);
    for (const e of [...setup, updated, created]) await waitForInbox(db.dataSource, service, e.id);
    const rollups = await db.dataSource.query(
      `SELECT total_minor::text AS total, count FROM daily_rollups WHERE user_id = $1`,
      [userId],
    );
    expect(rollups).toEqual([{ total: '2550', count: 1 }]);

    // The monthly job's event leaves through the outbox relay.
    const run = await generateDueReports(
      { dataSource: db.dataSource, renderer, logger: testLogger() },
      new Date('2026-03-01T12:00:00Z'),
    );
    expect(run.generated).toHaveLength(1);
    const message = await waitFor(
      async () =>
        (await broker.withChannel((channel) => channel.get(observerQueue, { noAck: true }))) || undefined,
      {
        timeoutMs: 15_000,
      },
    );
    const published = JSON.parse(message.content.toString());
    expect(published).toMatchObject({
      type: 'reports.monthly.ready',
      userId,
      payload: { month: '2026-02', income: '0.00', expense: '25.50', net: '-25.50', currency: 'EUR' },
    });
  }, 60_000);
});
