import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import {
  SHARED_MIGRATIONS,
  Broker,
  DirectorySessions,
  EventConsumer,
  HttpProblem,
  OutboxRelay,
  ReadYourWrites,
  createDataSource,
  findUser,
  handleUserEvents,
  lockUserForWrite,
  metricsRegistry,
  newId,
  openDatabase,
  publishEvent,
  userSettingsOf,
  type FinanceEvent,
  type NewEvent,
} from '../src';
import {
  createTestDatabase,
  deleteTestQueues,
  dropTestDatabase,
  startTestBroker,
  testLogger,
  uniqueName,
  waitFor,
  waitForInbox,
} from '../src/testing';
import type { DataSource, MigrationInterface, QueryRunner } from 'typeorm';

class CreateEffects1700000000901 implements MigrationInterface {
  name = 'CreateEffects1700000000901';
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE effects (event_id uuid, user_id uuid NOT NULL)`);
  }
  async down(): Promise<void> {}
}

let url: string;
let dataSource: DataSource;
let broker: Broker;
let relay: OutboxRelay;
let consumer: EventConsumer;
let service: string;

const profile = (overrides: Partial<NewEvent<'auth.user.updated'>['payload']> = {}) => ({
  email: 'ada@example.com',
  username: 'ada',
  baseCurrency: 'EUR',
  timezone: 'Asia/Kolkata',
  role: 'user' as const,
  ...overrides,
});

function publish(event: NewEvent): Promise<FinanceEvent> {
  return dataSource.transaction((manager) => publishEvent(manager, event));
}

const userEvent = <T extends 'auth.user.registered' | 'auth.user.updated' | 'auth.user.deleted'>(
  type: T,
  userId: string,
  version: number,
  payload: NewEvent<T>['payload'],
) => ({ type, userId, aggregateId: userId, aggregateVersion: version, payload }) as NewEvent<T>;

const expense = (userId: string): NewEvent<'ledger.transaction.created'> => ({
  type: 'ledger.transaction.created',
  userId,
  aggregateId: newId(),
  aggregateVersion: 1,
  payload: {
    accountId: newId(),
    toAccountId: null,
    type: 'expense',
    amount: '1.00',
    currency: 'EUR',
    baseAmount: '1.00',
    baseCurrency: 'EUR',
    categoryId: null,
    date: '2026-11-30',
    description: 'secret purchase',
    payee: 'Someone',
    notes: null,
    tags: [],
  },
});

const expense_ = (userId: string) => expense(userId);

const effectsOf = async (userId: string) =>
  Number((await dataSource.query(`SELECT count(*) FROM effects WHERE user_id = $1`, [userId]))[0].count);

beforeAll(async () => {
  url = await createTestDatabase('user_directory');
  dataSource = await openDatabase(
    createDataSource({
      url,
      entities: [],
      migrations: [...SHARED_MIGRATIONS, CreateEffects1700000000901],
      poolSize: 8,
    }),
  );
  broker = await startTestBroker('user_directory');
  relay = new OutboxRelay({ dataSource, broker, logger: testLogger() });
  await relay.start();
  service = uniqueName('directory');
  consumer = new EventConsumer({ broker, dataSource, logger: testLogger(), service, retryDelaysMs: [20] });
  handleUserEvents(consumer, {
    onDeleted: async (event, manager) => {
      await manager.query(`DELETE FROM effects WHERE user_id = $1`, [event.userId]);
    },
  });
  consumer.on('ledger.transaction.created', async (event, manager: EntityManager) => {
    await manager.query(`INSERT INTO effects (event_id, user_id) VALUES ($1, $2)`, [event.id, event.userId]);
  });
  await consumer.start();
});

afterAll(async () => {
  await consumer.stop();
  await relay.stop();
  await deleteTestQueues(broker, service, 1);
  await broker.stop();
  await dataSource.destroy();
  await dropTestDatabase(url);
});

const applied = (event: FinanceEvent) => waitForInbox(dataSource, service, event.id);

describe('user directory', () => {
  it('keeps settings and session state from auth, without contacts unless asked, and falls back to one default', async () => {
    const userId = newId();
    expect(await userSettingsOf(dataSource, userId)).toEqual({ baseCurrency: 'USD', timezone: 'UTC' });
    await applied(await publish(userEvent('auth.user.registered', userId, 1, profile())));
    expect(await userSettingsOf(dataSource, userId)).toEqual({
      baseCurrency: 'EUR',
      timezone: 'Asia/Kolkata',
    });
    await applied(
      await publish(
        userEvent('auth.user.updated', userId, 2, profile({ baseCurrency: 'JPY', sessionVersion: 3 })),
      ),
    );
    // Each applied event is timed from its occurrence: the read model's lag, per consumer and type.
    const lag = await metricsRegistry.getSingleMetricAsString('events_consumer_lag_seconds');
    expect(lag).toContain(
      `events_consumer_lag_seconds_count{consumer="${service}",type="auth.user.updated"}`,
    );
    const entry = await findUser(dataSource, userId);
    expect(entry).toMatchObject({
      baseCurrency: 'JPY',
      sessionVersion: 3,
      isActive: true,
      deleted: false,
      email: null,
    });
  });

  it('leaves a tombstone on deletion: nothing personal, no resurrection by a late update, later events skipped, sent payloads erased', async () => {
    const userId = newId();
    await applied(await publish(userEvent('auth.user.registered', userId, 1, profile())));
    const before = await publish(expense(userId));
    await applied(before);
    expect(await effectsOf(userId)).toBe(1);

    await applied(await publish(userEvent('auth.user.deleted', userId, 3, {})));
    expect(await effectsOf(userId)).toBe(0);
    expect(await findUser(dataSource, userId)).toMatchObject({
      deleted: true,
      isActive: false,
      known: false,
    });

    // A late update (older version) and a write that raced the deletion arrive afterwards.
    const late = await publish(userEvent('auth.user.updated', userId, 2, profile({ baseCurrency: 'GBP' })));
    const raced = await publish(expense(userId));
    const marker = await publish(expense(newId()));
    await applied(marker);
    await waitFor(() => consumer.stats.duplicates >= 0, { description: 'consumer ran' });
    expect(await effectsOf(userId)).toBe(0);
    expect(await findUser(dataSource, userId)).toMatchObject({ deleted: true, known: false });
    const skipped: unknown[] = await dataSource.query(
      `SELECT 1 FROM inbox WHERE consumer = $1 AND event_id = ANY($2::uuid[])`,
      [service, [late.id, raced.id]],
    );
    expect(skipped).toHaveLength(0);

    await waitFor(
      async () => {
        await relay.prune();
        const rows: Array<{ payload: unknown }> = await dataSource.query(
          `SELECT envelope->'payload' AS payload FROM outbox WHERE envelope->>'userId' = $1 AND sent_at IS NOT NULL`,
          [userId],
        );
        return rows.length >= 5 && rows.every((row) => JSON.stringify(row.payload) === '{}');
      },
      { description: "the deleted user's published payloads erased" },
    );
  });

  it('lets no write of a deleted user survive: a racing write commits before the purge or is refused after it', async () => {
    const userId = newId();
    await applied(await publish(userEvent('auth.user.registered', userId, 1, profile())));
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let locked!: () => void;
    const lockTaken = new Promise<void>((resolve) => (locked = resolve));
    const write = dataSource.transaction(async (manager) => {
      await lockUserForWrite(manager, userId);
      locked();
      await held;
      await manager.query(`INSERT INTO effects (event_id, user_id) VALUES (NULL, $1)`, [userId]);
    });
    await lockTaken;
    const deletion = await publish(userEvent('auth.user.deleted', userId, 2, {}));
    // Let the write go on only once the deletion is under way: waiting for the write's lock, or
    // (if nothing locked the user) already done.
    await waitFor(
      async () => {
        const waiting: unknown[] = await dataSource.query(
          `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
        );
        const done: unknown[] = await dataSource.query(
          `SELECT 1 FROM inbox WHERE consumer = $1 AND event_id = $2`,
          [service, deletion.id],
        );
        return waiting.length > 0 || done.length > 0;
      },
      { description: 'the deletion waiting for the write, or done' },
    );
    release();
    await write;
    await applied(deletion);
    expect(await effectsOf(userId)).toBe(0);
    await expect(
      dataSource.transaction((manager) => lockUserForWrite(manager, userId)),
    ).rejects.toBeInstanceOf(HttpProblem);
  });

  it('lets no event of a deleted user survive: one racing the deletion is applied first (and purged) or skipped', async () => {
    const userId = newId();
    await applied(await publish(userEvent('auth.user.registered', userId, 1, profile())));
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let entered!: () => void;
    const inHandler = new Promise<void>((resolve) => (entered = resolve));
    // A second consumer of the same database whose handler stalls mid-transaction, as a slow one does.
    const racing = new EventConsumer({
      broker,
      dataSource,
      logger: testLogger(),
      service: uniqueName('racing'),
    });
    handleUserEvents(racing, {
      onDeleted: async (event, manager) => {
        await manager.query(`DELETE FROM effects WHERE user_id = $1`, [event.userId]);
      },
    });
    racing.on('ledger.transaction.created', async (event, manager) => {
      entered();
      await gate;
      await manager.query(`INSERT INTO effects (event_id, user_id) VALUES ($1, $2)`, [
        event.id,
        event.userId,
      ]);
    });
    const expense = await dataSource.transaction((manager) => publishEvent(manager, expense_(userId)));
    const stalled = racing.apply(expense);
    await inHandler;
    const deletion = await dataSource.transaction((manager) =>
      publishEvent(manager, userEvent('auth.user.deleted', userId, 2, {})),
    );
    const deleting = racing.apply(deletion);
    await waitFor(
      async () =>
        (
          await dataSource.query(
            `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
          )
        ).length > 0,
      { description: 'the deletion waiting for the event in progress' },
    );
    release();
    await expect(stalled).resolves.toBe(true);
    await expect(deleting).resolves.toBe(true);
    expect(await effectsOf(userId)).toBe(0);
    // And after the deletion, the same kind of event is skipped.
    const later = await dataSource.transaction((manager) => publishEvent(manager, expense_(userId)));
    await expect(racing.apply(later)).resolves.toBe(false);
    expect(await effectsOf(userId)).toBe(0);
  });

  it('refuses tokens of an older session version, and every token of a deleted or deactivated user', async () => {
    const sessions = new DirectorySessions(dataSource, { cacheTtlMs: 0 });
    const userId = newId();
    const token = (sessionVersion: number) => ({ id: userId, role: 'user', sessionVersion });
    expect(await sessions.isRevoked(token(0))).toBe(false); // unknown user: nothing revoked
    await applied(await publish(userEvent('auth.user.registered', userId, 1, profile())));
    expect(await sessions.isRevoked(token(0))).toBe(false);
    await applied(await publish(userEvent('auth.user.updated', userId, 2, profile({ sessionVersion: 1 }))));
    expect(await sessions.isRevoked(token(0))).toBe(true);
    expect(await sessions.isRevoked(token(1))).toBe(false);
    await applied(
      await publish(
        userEvent('auth.user.updated', userId, 3, profile({ sessionVersion: 2, isActive: false })),
      ),
    );
    expect(await sessions.isRevoked(token(2))).toBe(true);
    const other = newId();
    await applied(await publish(userEvent('auth.user.registered', other, 1, profile())));
    await applied(await publish(userEvent('auth.user.deleted', other, 2, {})));
    expect(await sessions.isRevoked({ id: other, role: 'user', sessionVersion: 99 })).toBe(true);
  });
});

describe('read your writes', () => {
  it('waits for an id created a moment ago until its event is applied', async () => {
    const ryw = new ReadYourWrites(consumer, { maxWaitMs: 10_000, pollMs: 1_000 });
    const userId = newId();
    const event = expense(userId);
    const id = event.aggregateId;
    let lookups = 0;
    const lookup = async () => {
      lookups++;
      const rows: unknown[] = await dataSource.query(`SELECT 1 FROM effects WHERE user_id = $1`, [userId]);
      return rows.length > 0 ? id : undefined;
    };
    const found = ryw.find(id, lookup);
    await publish(event);
    await expect(found).resolves.toBe(id);
    expect(lookups).toBeGreaterThan(1);
  });

  it('answers at once for an old, a non-v7 or a future-dated id, and gives up on a fresh unknown one', async () => {
    const ryw = new ReadYourWrites(consumer, { maxWaitMs: 300, pollMs: 20 });
    let lookups = 0;
    const never = async () => {
      lookups++;
      return undefined;
    };
    const old = '01890a5d-ac96-774b-bcce-b302099a8057'; // a v7 from 2023
    const future = `${(Date.now() + 3_600_000)
      .toString(16)
      .padStart(12, '0')
      .replace(/^(.{8})(.{4})$/, '$1-$2')}-7000-8000-000000000000`;
    for (const id of [old, randomUUID(), future, 'not-an-id']) {
      lookups = 0;
      await expect(ryw.find(id, never)).resolves.toBeUndefined();
      expect({ id, lookups }).toEqual({ id, lookups: 1 });
    }
    expect(ryw.waitFor(newId())).toBeGreaterThan(0);
    lookups = 0;
    await expect(ryw.find(newId(), never)).resolves.toBeUndefined();
    expect(lookups).toBeGreaterThan(1);
  });
});
