import { randomUUID } from 'node:crypto';
import { recordAllInInbox, recordInInbox, type FinanceEvent } from '@finance/shared';
import { createTestDatabase, dropTestDatabase } from '@finance/shared/testing';
import type { DataSource } from 'typeorm';
import { openReportsDatabase } from '../src/data/bulk-load';
import { applyTransactionEvent, applyTransactionsCreated } from '../src/events/handlers';
import { event, transaction } from './support';

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

/**
 * Creates for a few users, accounts, categories and days, with what a burst can hold: the same
 * event delivered twice, one transaction created again with a newer version and an older one
 * arriving after it, an id another user claims, events of a deleted user, transfers, amounts up
 * to 10^15 minor units (sums beyond 2^53).
 */
function randomEvents(seed: number, count: number): { events: Created[]; deletedUser: string } {
  const random = seeded(seed);
  const users = Array.from({ length: 4 }, () => randomUUID());
  const deletedUser = users[3];
  const accounts = Array.from({ length: 3 }, () => randomUUID());
  const categories = [null, ...Array.from({ length: 3 }, () => randomUUID())];
  const days = ['2026-05-01', '2026-05-02', '2026-05-03', '2026-06-30'];
  const ids: string[] = [];
  const events: Created[] = [];
  while (events.length < count) {
    const roll = random.next();
    if (roll < 0.08 && events.length > 0) {
      events.push(random.pick(events)); // the same delivery again
      continue;
    }
    const reuse = roll < 0.35 && ids.length > 0;
    // Mostly a recent one: the same transaction again inside one batch.
    const id = reuse ? random.pick(random.int(3) > 0 ? ids.slice(-20) : ids) : randomUUID();
    if (!reuse) ids.push(id);
    const type = random.pick(['income', 'expense', 'expense', 'transfer'] as const);
    const amount = `${random.int(10) === 0 ? 10_000_000_000_000 + random.int(1e9) : random.int(100_000)}.${String(random.int(100)).padStart(2, '0')}`;
    const currency = random.pick(['USD', 'EUR']);
    events.push(
      event(
        'ledger.transaction.created',
        random.int(12) === 0 ? random.pick(users) : users[ids.indexOf(id) % users.length],
        id,
        1 + random.int(4),
        transaction({
          accountId: random.pick(accounts),
          toAccountId: type === 'transfer' && random.int(4) > 0 ? random.pick(accounts) : null,
          type,
          amount,
          currency,
          baseAmount: amount,
          baseCurrency: random.pick(['USD', 'EUR']),
          categoryId: random.pick(categories),
          date: random.pick(days),
          description: `t${events.length}`,
          tags: random.int(3) === 0 ? ['a', 'b c'] : [],
        }),
      ) as Created,
    );
  }
  return { events, deletedUser };
}

const TABLES = {
  report_transactions: `SELECT id, user_id, account_id, to_account_id, category_id, type, base_amount_minor::text,
      base_currency, amount_minor::text, currency, to_char(date, 'YYYY-MM-DD') AS date, description, payee, notes,
      tags, version FROM report_transactions ORDER BY id`,
  daily_rollups: `SELECT user_id, to_char(date, 'YYYY-MM-DD') AS date, category_key, type, base_currency,
      total_minor::text, count FROM daily_rollups ORDER BY 1, 2, 3, 4, 5`,
  daily_account_rollups: `SELECT user_id, account_id, to_char(date, 'YYYY-MM-DD') AS date, category_key, type,
      base_currency, total_minor::text, count FROM daily_account_rollups ORDER BY 1, 2, 3, 4, 5, 6`,
  aggregate_versions: `SELECT aggregate_type, aggregate_id, version FROM aggregate_versions ORDER BY 1, 2`,
  inbox: `SELECT consumer, event_id, type FROM inbox ORDER BY 1, 2`,
};

async function snapshot(db: DataSource): Promise<Record<string, unknown[]>> {
  const tables: Record<string, unknown[]> = {};
  for (const [name, sql] of Object.entries(TABLES)) tables[name] = await db.query(sql);
  return tables;
}

async function reset(db: DataSource, deletedUser: string): Promise<void> {
  await db.query(
    `TRUNCATE report_transactions, daily_rollups, daily_account_rollups, aggregate_versions, inbox, deleted_users`,
  );
  await db.query(`INSERT INTO deleted_users (user_id) VALUES ($1)`, [deletedUser]);
}

/** As the consumer did before batch handlers: a transaction per event, its inbox record and the one-event handler. */
async function applyOneByOne(db: DataSource, events: readonly Created[]): Promise<void> {
  for (const e of events)
    await db.transaction(async (manager) => {
      if (await recordInInbox(manager, 'reports', e)) await applyTransactionEvent(e, manager);
    });
}

/** As the consumer does now: batches of random sizes, one inbox statement, the batch handler on the fresh ones. */
async function applyInBatches(db: DataSource, events: readonly Created[], seed: number): Promise<number> {
  const random = seeded(seed ^ 0x5eed);
  let batches = 0;
  for (let start = 0; start < events.length; batches++) {
    const batch = events.slice(start, (start += 1 + random.int(random.int(2) === 0 ? 5 : 250)));
    await db.transaction(async (manager) => {
      const fresh = await recordAllInInbox(manager, 'reports', batch);
      const seen = new Set<string>();
      const run = batch.filter((e) => fresh.has(e.id) && !seen.has(e.id) && seen.add(e.id));
      if (run.length > 0) await applyTransactionsCreated(run, manager);
    });
  }
  return batches;
}

describe('the batch handler of ledger.transaction.created', () => {
  const urls: string[] = [];
  let one: DataSource;
  let batched: DataSource;

  beforeAll(async () => {
    urls.push(await createTestDatabase('reports_batch_one'), await createTestDatabase('reports_batch_runs'));
    one = await openReportsDatabase(urls[0]);
    batched = await openReportsDatabase(urls[1]);
  });
  afterAll(async () => {
    await one?.destroy();
    await batched?.destroy();
    for (const url of urls) await dropTestDatabase(url);
  });

  it.each([1, 2, 3, 4])('leaves exactly the tables the one-event handler leaves (seed %i)', async (seed) => {
    const { events, deletedUser } = randomEvents(seed, 700);
    await reset(one, deletedUser);
    await reset(batched, deletedUser);
    await applyOneByOne(one, events);
    const batches = await applyInBatches(batched, events, seed);
    expect(batches).toBeLessThan(events.length / 10);

    const expected = await snapshot(one);
    expect(await snapshot(batched)).toEqual(expected);
    // The sequence did hold what it is meant to: rows, roll-ups, versions beyond 1, a deleted user's events.
    expect(expected.report_transactions.length).toBeGreaterThan(100);
    expect(expected.daily_account_rollups.length).toBeGreaterThan(20);
    expect((expected.aggregate_versions as Array<{ version: number }>).some((row) => row.version > 1)).toBe(
      true,
    );
    expect(events.some((e) => e.userId === deletedUser)).toBe(true);
    expect(
      (expected.report_transactions as Array<{ user_id: string }>).some((row) => row.user_id === deletedUser),
    ).toBe(false);
  });
});
