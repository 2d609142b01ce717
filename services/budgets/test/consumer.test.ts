import { EVENTS_EXCHANGE, type FinanceEvent } from '@finance/shared';
import { TestTokenIssuer, httpJson, uniqueName, waitFor, waitForInbox } from '@finance/shared/testing';
import {
  categoryEvent,
  newId,
  startBudgets,
  transactionEvent,
  userRegistered,
  type BudgetsService,
} from './fixtures';

/** The service as main.ts starts it: the real EventConsumer on RabbitMQ, and the outbox relay. */
describe('budgets consumer over the real broker', () => {
  const issuer = new TestTokenIssuer();
  const observerQueue = uniqueName('budgets_observer');
  let service: BudgetsService;

  beforeAll(async () => {
    await issuer.start();
    service = await startBudgets(issuer, { clock: () => new Date('2026-03-10T11:00:00Z') });
    // A queue standing in for the notifier, to see what the relay publishes.
    await service.broker.withChannel(async (channel) => {
      await channel.assertQueue(observerQueue, { exclusive: false, autoDelete: false });
      for (const type of ['budgets.budget.threshold-reached', 'budgets.budget.exceeded'])
        await channel.bindQueue(observerQueue, EVENTS_EXCHANGE, type);
    });
  });

  afterAll(async () => {
    await service?.broker.withChannel((channel) => channel.deleteQueue(observerQueue)).catch(() => undefined);
    await service?.close();
    await issuer.stop();
  });

  const publish = (event: FinanceEvent) => service.broker.publish(event.type, event);

  it('applies every event once though the stream is replayed twice, and announces the threshold once', async () => {
    const user = newId();
    const food = newId();
    const token = issuer.token(user);
    const setup = [
      userRegistered(user, 'EUR', 'Europe/Berlin'),
      categoryEvent('ledger.category.created', user, food),
    ];
    for (const event of setup) await publish(event);
    for (const event of setup) await waitForInbox(service.dataSource, service.consumerName, event.id);

    const created = await httpJson('POST', `${service.url}/budgets`, {
      token,
      body: {
        name: 'Food',
        category_id: food,
        amount: '100.00',
        period: 'monthly',
        start_date: '2026-02-25',
      },
    });
    expect(created.status).toBe(201);
    const [a, b, c] = [newId(), newId(), newId()];
    const events = [
      transactionEvent('ledger.transaction.created', user, a, 1, {
        baseAmount: '45.00',
        categoryId: food,
        date: '2026-03-01',
      }),
      transactionEvent('ledger.transaction.created', user, b, 1, {
        baseAmount: '40.00',
        categoryId: food,
        date: '2026-03-02',
      }),
      transactionEvent('ledger.transaction.created', user, c, 1, {
        baseAmount: '30.00',
        categoryId: food,
        date: '2026-03-03',
      }),
      transactionEvent('ledger.transaction.updated', user, c, 2, {
        baseAmount: '30.00',
        categoryId: food,
        date: '2026-02-20',
      }),
      transactionEvent('ledger.transaction.updated', user, b, 2, {
        type: 'transfer',
        baseAmount: '40.00',
        categoryId: null,
        date: '2026-03-02',
      }),
    ];
    // First in order, as the ledger would publish them; then the whole stream replayed twice at once.
    for (const event of events) {
      await publish(event);
      await waitForInbox(service.dataSource, service.consumerName, event.id);
    }
    for (const event of [...events, ...events]) await publish(event);

    const url = `${service.url}/budgets/${created.body.id}`;
    await waitFor(
      async () => {
        const res = await httpJson('GET', url, { token });
        return res.body.spent === '45.00' && service.consumer.stats.duplicates >= 2 * events.length;
      },
      { description: 'all events applied, the duplicates skipped' },
    );
    // Each of this test's events applied once. (Counted in the inbox rather than by the consumer's
    // counters: the broker is shared, so other test runs' events of the same types reach this queue too.)
    const ours = [...setup, ...events].map((e) => e.id);
    const [applied] = await service.dataSource.query(
      `SELECT count(*)::int AS n FROM inbox WHERE consumer = $1 AND event_id = ANY($2::uuid[])`,
      [service.consumerName, ours],
    );
    expect(applied.n).toBe(ours.length);
    const detail = (await httpJson('GET', url, { token })).body;
    // c moved to February (before this window): its history shows it.
    expect(detail).toMatchObject({ window_start: '2026-02-25', spent: '45.00', status: 'under' });

    // 45 → 85 (near: 80 %) → 115 (over) while events arrived in order; each announced once.
    const outbox: Array<{ type: string; sent: boolean }> = await service.dataSource.query(
      `SELECT type, sent_at IS NOT NULL AS sent FROM outbox
       WHERE type NOT IN ('budgets.budget.changed', 'budgets.budget.deleted') ORDER BY position`,
    );
    expect(outbox.map((o) => o.type)).toEqual([
      'budgets.budget.threshold-reached',
      'budgets.budget.exceeded',
    ]);

    // The relay published both to the exchange.
    const received = await waitFor(
      async () => {
        const types: string[] = [];
        await service.broker.withChannel(async (channel) => {
          for (;;) {
            const message = await channel.get(observerQueue, { noAck: false });
            if (!message) break;
            const event = JSON.parse(message.content.toString()) as FinanceEvent;
            if (event.userId === user) types.push(event.type);
            channel.ack(message);
          }
        });
        return types.length >= 2 ? types : undefined;
      },
      { description: 'the relay to publish the threshold events' },
    );
    expect(received.sort()).toEqual(['budgets.budget.exceeded', 'budgets.budget.threshold-reached']);
  });
});
