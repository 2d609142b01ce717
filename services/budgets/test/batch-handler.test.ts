import { randomUUID } from 'node:crypto';
import {
  SHARED_MIGRATIONS,
  createDataSource,
  openDatabase,
  parseEvent,
  recordAllInInbox,
  recordInInbox,
  type FinanceEvent,
} from '@finance/shared';
import { createTestDatabase, dropTestDatabase } from '@finance/shared/testing';
import type { DataSource } from 'typeorm';
import { budgetEntities } from '../src/data/entities';
import { budgetMigrations } from '../src/data/migrations';
import { onTransactionChanged, onTransactionsCreated } from '../src/events/handlers';

jest.setTimeout(180_000);

type Created = FinanceEvent<'ledger.transaction.created'>;

/** mulberry32: the same seed, the same sequence; a failure names its seed. */
function seeded(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (below: number) => Math.floor(next() * below);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)];
  return { next, int, pick };
}

const budgetIds = [randomUUID(), randomUUID(), randomUUID()];

/**
 * Creates for four users: the same delivery twice, transactions created again with newer and
 * older versions, an id another user claims, a deleted user's events; user 0 has a monthly budget
 * of 100.00 and its expenses (events 300–399 only, so other runs have no user with a budget)
 * cross its thresholds.
 */
function randomEvents(seed: number, count: number) {
  const random = seeded(seed);
  const users = Array.from({ length: 4 }, () => randomUUID());
  const categories = [null, randomUUID(), randomUUID()];
  const days = ['2026-05-01', '2026-05-20', '2026-06-03', '2026-07-31'];
  const ids: string[] = [];
  const events: Created[] = [];
  while (events.length < count) {
    const roll = random.next();
    if (roll < 0.08 && events.length > 0) {
      events.push(random.pick(events));
      continue;
    }
    const reuse = roll < 0.35 && ids.length > 0;
    // Mostly a recent one: the same transaction again inside one batch.
    const id = reuse ? random.pick(random.int(3) > 0 ? ids.slice(-20) : ids) : randomUUID();
    if (!reuse) ids.push(id);
    // The budgeted user's expenses mostly in one stretch (crossing thresholds), a few anywhere.
    const budgeted = (events.length >= 300 && events.length < 400) || random.int(15) === 0;
    const userId = budgeted
      ? users[0]
      : random.int(12) === 0
        ? random.pick(users.slice(1))
        : users[1 + (ids.indexOf(id) % 3)];
    const cents = 1 + random.int(4000);
    const amount = (cents / 100).toFixed(2); // exact: cents < 2^53, toFixed of a 2-place value
    // One in five is split in two parts, each in its own category.
    const split = random.int(5) === 0 && cents > 1;
    const first = 1 + random.int(cents - 1);
    const baseCurrency = random.int(10) === 0 ? 'EUR' : 'USD';
    const splits = split
      ? [first, cents - first].map((part) => ({
          amount: (part / 100).toFixed(2),
          baseAmount: (part / 100).toFixed(2),
          categoryId: random.pick(categories),
          notes: null,
          tags: [],
        }))
      : [];
    events.push(
      parseEvent({
        id: randomUUID(),
        type: 'ledger.transaction.created',
        version: 1,
        occurredAt: new Date().toISOString(),
        userId,
        correlationId: randomUUID(),
        aggregateId: id,
        aggregateVersion: 1 + random.int(4),
        payload: {
          accountId: randomUUID(),
          toAccountId: null,
          type: random.pick(['income', 'expense', 'expense'] as const),
          amount,
          currency: 'USD',
          baseAmount: amount,
          baseCurrency,
          categoryId: split ? null : random.pick(categories),
          date: random.pick(days),
          description: `t${events.length}`,
          payee: null,
          notes: null,
          tags: [],
          splits,
        },
      }) as Created,
    );
  }
  return { events, budgetedUser: users[0], deletedUser: users[3], categories };
}

const TABLES = {
  spending_transactions: `SELECT id, user_id, category_id, type, base_amount_minor::text, base_currency,
      to_char(date, 'YYYY-MM-DD') AS date, version, deleted FROM spending_transactions ORDER BY id`,
  spending_transaction_parts: `SELECT transaction_id, position, user_id, category_id, type,
      base_amount_minor::text, base_currency, to_char(date, 'YYYY-MM-DD') AS date
      FROM spending_transaction_parts ORDER BY 1, 2`,
  budget_alerts: `SELECT budget_id, to_char(window_start, 'YYYY-MM-DD') AS window_start, threshold FROM budget_alerts ORDER BY 1, 2, 3`,
  // The announcements in the order they were published, without their own ids and times.
  outbox: `SELECT type, envelope->>'aggregateId' AS aggregate, envelope->'payload' AS payload FROM outbox ORDER BY position`,
  inbox: `SELECT consumer, event_id, type FROM inbox ORDER BY 1, 2`,
};

async function snapshot(db: DataSource): Promise<Record<string, unknown[]>> {
  const tables: Record<string, unknown[]> = {};
  for (const [name, sql] of Object.entries(TABLES)) tables[name] = await db.query(sql);
  return tables;
}

async function reset(
  db: DataSource,
  budgetedUser: string,
  deletedUser: string,
  categories: ReadonlyArray<string | null>,
): Promise<void> {
  await db.query(
    `TRUNCATE spending_transactions, spending_transaction_parts, budget_alerts, budgets, outbox, inbox, deleted_users CASCADE`,
  );
  await db.query(`INSERT INTO deleted_users (user_id) VALUES ($1)`, [deletedUser]);
  // Every expense; one category weekly with rollover (carries move with earlier windows' rows);
  // another monthly, ending before the last day the events use.
  await db.query(
    // Creation times stated: budgets are judged (and announced) in creation order, and the default
    // (the clock, in milliseconds) could tie in one database and not in the other.
    `INSERT INTO budgets (id, user_id, name, category_id, amount_minor, currency, period, start_date, end_date, rollover, created_at)
     VALUES ($1, $4, 'Everything', NULL, 10000, 'USD', 'monthly', '2026-01-01', NULL, false, '2026-01-01T00:00:01Z'),
            ($2, $4, 'Weekly', $5, 500, 'USD', 'weekly', '2026-04-27', NULL, true, '2026-01-01T00:00:02Z'),
            ($3, $4, 'Until June', $6, 2000, 'USD', 'monthly', '2026-05-01', '2026-06-30', false, '2026-01-01T00:00:03Z')`,
    [...budgetIds, budgetedUser, categories[1], categories[2]],
  );
}

async function applyOneByOne(db: DataSource, events: readonly Created[]): Promise<void> {
  for (const e of events)
    await db.transaction(async (manager) => {
      if (await recordInInbox(manager, 'budgets', e)) await onTransactionChanged(e, manager);
    });
}

async function applyInBatches(db: DataSource, events: readonly Created[], seed: number): Promise<number> {
  const random = seeded(seed ^ 0x5eed);
  let batches = 0;
  for (let start = 0; start < events.length; batches++) {
    const batch = events.slice(start, (start += 1 + random.int(random.int(2) === 0 ? 5 : 250)));
    await db.transaction(async (manager) => {
      const fresh = await recordAllInInbox(manager, 'budgets', batch);
      const seen = new Set<string>();
      const run = batch.filter((e) => fresh.has(e.id) && !seen.has(e.id) && seen.add(e.id));
      if (run.length > 0) await onTransactionsCreated(run, manager);
    });
  }
  return batches;
}

async function openBudgetsDatabase(label: string): Promise<{ db: DataSource; url: string }> {
  const url = await createTestDatabase(label);
  const db = createDataSource({
    url,
    entities: budgetEntities,
    migrations: [...SHARED_MIGRATIONS, ...budgetMigrations],
    poolSize: 2,
  });
  await openDatabase(db);
  return { db, url };
}

describe('the batch handler of ledger.transaction.created', () => {
  const announced = new Set<string>();
  const opened: Array<{ db: DataSource; url: string }> = [];

  beforeAll(async () => {
    opened.push(
      await openBudgetsDatabase('budgets_batch_one'),
      await openBudgetsDatabase('budgets_batch_runs'),
    );
  });
  afterAll(async () => {
    for (const { db, url } of opened) {
      await db.destroy();
      await dropTestDatabase(url);
    }
  });

  it.each([1, 2, 3, 4, 5, 6])(
    'leaves exactly the rows, alerts and announcements of the one-event handler (seed %i)',
    async (seed) => {
      const [one, batched] = opened.map((o) => o.db);
      const { events, budgetedUser, deletedUser, categories } = randomEvents(seed, 700);
      await reset(one, budgetedUser, deletedUser, categories);
      await reset(batched, budgetedUser, deletedUser, categories);
      await applyOneByOne(one, events);
      expect(await applyInBatches(batched, events, seed)).toBeLessThan(events.length / 10);

      const expected = await snapshot(one);
      expect(await snapshot(batched)).toEqual(expected);
      expect(expected.spending_transactions.length).toBeGreaterThan(100);
      expect(expected.spending_transaction_parts.length).toBeGreaterThan(20);
      // Thresholds crossed and announced (the budgeted user's runs are judged event by event).
      expect(expected.budget_alerts.length).toBeGreaterThanOrEqual(4);
      for (const { aggregate } of expected.outbox as Array<{ aggregate: string }>) announced.add(aggregate);
      expect(expected.outbox.length).toBeGreaterThanOrEqual(1);
      expect(
        (expected.spending_transactions as Array<{ user_id: string }>).some(
          (row) => row.user_id === deletedUser,
        ),
      ).toBe(false);
    },
  );

  it('judged every kind of budget across the seeds: all expenses, a weekly rollover, one with an end', () => {
    expect([...announced].sort()).toEqual([...budgetIds].sort());
  });
});
