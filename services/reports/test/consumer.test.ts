import { randomUUID } from 'node:crypto';
import { EVENTS_EXCHANGE, type Broker, type FinanceEvent } from '@finance/shared';
import { startTestBroker, uniqueName, waitFor, waitForInbox } from '@finance/shared/testing';
import { account, category, event, profile, startReports, transaction, type ReportsService } from './support';

/** The service as main.ts starts it: its consumer on the real RabbitMQ, and its outbox relay. */
describe('reports consumer and relay over the real broker', () => {
  const observerQueue = uniqueName('reports_observer');
  let now = new Date('2026-02-15T12:00:00Z');
  let service: ReportsService;
  /** Stands in for the ledger and auth: publishes onto the events exchange, and watches reports' own events. */
  let broker: Broker;

  beforeAll(async () => {
    service = await startReports('reports_consumer', { clock: () => now });
    broker = await startTestBroker('reports');
    await broker.withChannel(async (channel) => {
      await channel.assertQueue(observerQueue, { exclusive: false, autoDelete: false });
      await channel.bindQueue(observerQueue, EVENTS_EXCHANGE, 'reports.#');
    });
  });

  afterAll(async () => {
    await broker?.withChannel((channel) => channel.deleteQueue(observerQueue)).catch(() => undefined);
    await broker?.stop();
    await service?.close();
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
      event('auth.user.registered', userId, userId, 1, profile('EUR', 'Europe/Berlin')),
      event('ledger.account.created', userId, acct, 1, account('Giro', 'EUR', '100.00')),
      event('ledger.category.created', userId, food, 1, category('Food', '#2E7D32')),
    ];
    for (const e of setup) await publish(e);
    await publish(updated);
    await publish(created);
    await publish(updated);
    for (const e of [...setup, updated, created])
      await waitForInbox(service.dataSource, service.consumerName, e.id);
    const rollups = await service.dataSource.query(
      `SELECT total_minor::text AS total, count FROM daily_rollups WHERE user_id = $1`,
      [userId],
    );
    expect(rollups).toEqual([{ total: '2550', count: 1 }]);

    // The monthly job's event leaves through the outbox relay (other test files' services publish
    // reports.monthly.ready onto the same exchange: this user's is the one looked for).
    now = new Date('2026-03-01T12:00:00Z');
    // Its read model may also hold users whose events other files published onto the shared
    // exchange (the monthly-job tests): this user's report is the one asked about.
    const run = await service.parts.monthlyReports.run();
    expect(run.generated.filter((report) => report.userId === userId)).toEqual([
      expect.objectContaining({ userId, month: '2026-02' }),
    ]);
    const published = await waitFor(
      async () => {
        const message = await broker.withChannel((channel) => channel.get(observerQueue, { noAck: true }));
        const envelope = message ? JSON.parse(message.content.toString()) : undefined;
        return envelope?.userId === userId ? envelope : undefined;
      },
      { timeoutMs: 15_000, description: "this user's reports.monthly.ready" },
    );
    expect(published).toMatchObject({
      type: 'reports.monthly.ready',
      userId,
      payload: { month: '2026-02', income: '0.00', expense: '25.50', net: '-25.50', currency: 'EUR' },
    });
  }, 60_000);
});
