import { EVENTS_EXCHANGE, newId } from '@finance/shared';
import { uniqueName, waitFor, waitForInbox } from '@finance/shared/testing';
import { DEFAULT_CATEGORIES } from '../src/domain/categories';
import { createDefaultCategories } from '../src/events/user-events';
import { LedgerHarness, authEvent, userEvent } from './support';

describe('auth.user.* through the shared user directory and the ledger hooks', () => {
  let h: LedgerHarness;
  beforeAll(async () => {
    h = await LedgerHarness.start('auth_events');
  });
  afterAll(() => h?.stop());

  const categoryNames = async (userId: string) =>
    (await h.dataSource.query(`SELECT name FROM categories WHERE user_id = $1 ORDER BY name`, [userId])).map(
      (r: { name: string }) => r.name,
    );
  const directoryRow = async (userId: string) =>
    (
      await h.dataSource.query(
        `SELECT base_currency, timezone, deleted_at IS NOT NULL AS deleted FROM user_directory WHERE user_id = $1`,
        [userId],
      )
    )[0];

  it('registered: stores the settings and creates the default categories once, keeping names the user already has', async () => {
    const userId = newId();
    const user = { id: userId, token: h.issuer.token(userId) };
    // The user raced the event and made "groceries" already.
    expect(
      (await h.call('POST', '/categories', user, { body: { name: 'groceries', color: '#123456' } })).status,
    ).toBe(201);
    expect(
      await h.apply(
        userEvent('auth.user.registered', userId, 1, { baseCurrency: 'EUR', timezone: 'Europe/Paris' }),
      ),
    ).toBe(true);
    const names = await categoryNames(userId);
    expect(names).toHaveLength(DEFAULT_CATEGORIES.length);
    expect(names).toContain('groceries');
    expect(names).not.toContain('Groceries');
    expect(await h.outbox({ type: 'ledger.category.created', userId })).toHaveLength(
      DEFAULT_CATEGORIES.length,
    ); // 1 by hand + 15
    expect(await directoryRow(userId)).toEqual({
      base_currency: 'EUR',
      timezone: 'Europe/Paris',
      deleted: false,
    });

    // A redelivered copy (same version, another delivery) changes nothing.
    expect(
      await h.apply(
        userEvent('auth.user.registered', userId, 1, { baseCurrency: 'EUR', timezone: 'Europe/Paris' }),
      ),
    ).toBe(true);
    expect(await categoryNames(userId)).toEqual(names);
    expect(await h.outbox({ type: 'ledger.category.created', userId })).toHaveLength(
      DEFAULT_CATEGORIES.length,
    );

    // New transactions use the base currency from the directory.
    const tx = await h.call('POST', '/transactions', user, {
      body: { amount: '1.5', transaction_type: 'expense' },
    });
    expect(tx.body).toMatchObject({ currency: 'EUR', base_currency: 'EUR' });
  });

  it('updated: applies newer settings and ignores older ones', async () => {
    const userId = newId();
    await h.apply(userEvent('auth.user.registered', userId, 1));
    await h.apply(
      userEvent('auth.user.updated', userId, 3, { baseCurrency: 'GBP', timezone: 'Europe/London' }),
    );
    await h.apply(userEvent('auth.user.updated', userId, 2, { baseCurrency: 'JPY' }));
    expect(await directoryRow(userId)).toMatchObject({ base_currency: 'GBP', timezone: 'Europe/London' });
  });

  it('registered overtaken by a newer update still creates the categories; after a deletion it does nothing', async () => {
    const userId = newId();
    await h.apply(userEvent('auth.user.updated', userId, 2, { baseCurrency: 'GBP' }));
    await h.apply(userEvent('auth.user.registered', userId, 1, { baseCurrency: 'USD' }));
    expect(await categoryNames(userId)).toHaveLength(DEFAULT_CATEGORIES.length);
    expect((await directoryRow(userId)).base_currency).toBe('GBP');

    const gone = newId();
    await h.apply(authEvent('auth.user.deleted', gone, 3, {}));
    expect(await h.apply(userEvent('auth.user.registered', gone, 1))).toBe(false); // the tombstone skips it
    expect(await categoryNames(gone)).toEqual([]);
    // And the hook itself refuses a deleted user, whatever brings the event to it.
    await h.dataSource.transaction((m) =>
      createDefaultCategories(userEvent('auth.user.registered', gone, 1), m),
    );
    expect(await categoryNames(gone)).toEqual([]);
  });

  it('a registration and a deletion applied at the same time never leave categories behind', async () => {
    const users = Array.from({ length: 6 }, () => newId());
    await Promise.all(
      users.flatMap((userId) => [
        h.apply(userEvent('auth.user.registered', userId, 1)),
        h.apply(authEvent('auth.user.deleted', userId, 2, {})),
      ]),
    );
    for (const userId of users) {
      expect({ userId, names: await categoryNames(userId) }).toEqual({ userId, names: [] });
      expect((await directoryRow(userId)).deleted).toBe(true);
    }
  });

  it("deleted: removes all of the user's ledger data and nobody else's, and leaves a tombstone", async () => {
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
    const before = await h.outboxCount(doomed.id, keeper.id);
    expect(await h.apply(authEvent('auth.user.deleted', doomed.id, 9, {}))).toBe(true);
    expect(await h.rowsOf(doomed.id)).toEqual({
      accounts: 0,
      categories: 0,
      transactions: 0,
      idempotency_keys: 0,
    });
    for (const [table, n] of Object.entries(await h.rowsOf(keeper.id)))
      expect({ table, kept: n > 0 }).toEqual({ table, kept: true });
    // The directory keeps a tombstone without anything personal; the keeper's entry is intact.
    expect(await directoryRow(doomed.id)).toEqual({ base_currency: null, timezone: null, deleted: true });
    expect(await directoryRow(keeper.id)).toMatchObject({ base_currency: 'USD', deleted: false });
    expect(await h.outboxCount(doomed.id, keeper.id)).toBe(before); // consumers purge on the same auth event
  });
});

describe('through the real broker', () => {
  let h: LedgerHarness;
  const probeQueue = uniqueName('ledger_probe');

  beforeAll(async () => {
    h = await LedgerHarness.start('broker');
    await h.service.broker.withChannel(async (ch) => {
      await ch.assertQueue(probeQueue, { durable: false });
      await ch.bindQueue(probeQueue, EVENTS_EXCHANGE, 'ledger.transaction.created');
    });
  });
  afterAll(async () => {
    await h?.service.broker.withChannel((ch) => ch.deleteQueue(probeQueue)).catch(() => undefined);
    await h?.stop();
  });

  it('applies auth.user.registered from RabbitMQ and publishes ledger.transaction.created to it', async () => {
    const userId = newId();
    const event = userEvent('auth.user.registered', userId, 1, { baseCurrency: 'CHF' });
    await h.service.broker.publish(event.type, event, { messageId: event.id });
    await waitForInbox(h.dataSource, h.service.consumerName, event.id);
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
        h.service.broker.withChannel(async (ch) => {
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
