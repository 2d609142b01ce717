import type { Bench } from '../lib/context';
import { percentile, round } from '../lib/stats';
import { call, withPg, type System } from '../lib/system';

const TYPE = 'ledger.transaction.updated';

/**
 * Instrumentation for this run's databases only (never a migration), as in the lag bench: a
 * deferred constraint trigger fires at COMMIT, so `clock_timestamp()` there is the commit time of
 * the ledger's outbox row and of goals' inbox row (written in the transaction that updates the goal).
 */
const commitLog = (table: string) => `
  CREATE TABLE IF NOT EXISTS bench_commit_log (event_id uuid PRIMARY KEY, committed_at timestamptz NOT NULL);
  CREATE OR REPLACE FUNCTION bench_log_commit() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    INSERT INTO bench_commit_log VALUES (NEW.event_id, clock_timestamp()) ON CONFLICT DO NOTHING;
    RETURN NULL;
  END $$;
  DROP TRIGGER IF EXISTS bench_commit_time ON ${table};
  CREATE CONSTRAINT TRIGGER bench_commit_time AFTER INSERT ON ${table}
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bench_log_commit();`;

/** The goals service of a bench system: its database and consumer name (the bench system must run it). */
function goalsOf(system: System): { database: string; consumer: string } {
  const databases: Record<string, string | undefined> = system.databases;
  const consumers: Record<string, string | undefined> = system.consumerNames;
  const database = databases.goals;
  const consumer = consumers.goals;
  if (!database || !consumer)
    throw new Error(
      'the bench system runs no goals service (bench/lib/system.ts must start every registered service)',
    );
  return { database, consumer };
}

interface LinkedUser {
  token: string;
  goalId: string;
  transactionIds: string[];
}

/**
 * Requests at a steady overall rate from `connections` concurrent senders, for `seconds`: the
 * path varies per request (autocannon's `load` varies only bodies). Returns the 2xx count.
 */
async function paced(
  seconds: number,
  rate: number,
  connections: number,
  send: (n: number) => Promise<boolean>,
): Promise<{ ok: number; failed: number }> {
  const total = Math.round(seconds * rate);
  const started = Date.now();
  let next = 0;
  let ok = 0;
  let failed = 0;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      for (let n = next++; n < total; n = next++) {
        const due = started + (n * 1000) / rate;
        if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
        if (await send(n).catch(() => false)) ok++;
        else failed++;
      }
    }),
  );
  return { ok, failed };
}

/**
 * Goals' event lag at the lag bench's rate (200/s): a linked transaction changed in the ledger
 * (PATCH /transactions/{id} through the gateway) → the goal holding it recomputed in goals.
 * Measured from the ledger's commit of the change to goals' commit of the inbox record, which is
 * the transaction that updates the contribution and the goal.
 */
export const goalsBench: Bench = {
  name: 'goals',
  title: 'goals: event lag at 200 tx/s, ledger commit → goal updated',
  async run(ctx) {
    const system = await ctx.system();
    const goals = goalsOf(system);
    // Ten users, each with a goal holding 20 of their transactions whole (the contribution, and so
    // the goal, follows each change of the amount); changes go round users and transactions.
    const users: LinkedUser[] = [];
    for (let i = 0; i < 10; i++) {
      const seeded = await ctx.user(0, `goals${i}`);
      const goal = await call<{ id: string }>('POST', `${system.gateway}/goals`, seeded.token, {
        name: 'Bench goal',
        target_amount: '100000000.00',
      });
      const transactionIds: string[] = [];
      for (let t = 0; t < 20; t++) {
        const transaction = await call<{ id: string }>(
          'POST',
          `${system.gateway}/transactions`,
          seeded.token,
          {
            amount: '10.00',
            transaction_type: 'income',
            account_id: seeded.accountId,
            date: '2025-07-01',
          },
        );
        await call('POST', `${system.gateway}/goals/${goal.id}/contribute`, seeded.token, {
          transaction_id: transaction.id,
        });
        transactionIds.push(transaction.id);
      }
      users.push({ token: seeded.token, goalId: goal.id, transactionIds });
    }
    await withPg(system.databases.ledger, (db) => db.query(commitLog('outbox')));
    await withPg(goals.database, (db) => db.query(commitLog('inbox')));
    const versionsBefore = await goalVersions(goals.database, users);

    const seconds = ctx.quick ? 10 : 30;
    const rate = 200;
    const perRound = users.length * users[0].transactionIds.length; // each transaction changed once a round
    const result = await paced(seconds, rate, 10, async (n) => {
      const user = users[n % users.length];
      const transactionId = user.transactionIds[Math.floor(n / users.length) % user.transactionIds.length];
      // A different amount every round, so every change moves the goal.
      const amount = `${11 + (Math.floor(n / perRound) % 89)}.00`;
      const res = await fetch(`${system.gateway}/transactions/${transactionId}`, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${user.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ amount }),
      });
      await res.arrayBuffer();
      return res.status === 200;
    });
    ctx.note(`offered ${rate}/s for ${seconds} s: ${result.ok} changed (200), ${result.failed} failed`);

    const published = await commitsOf(
      system.databases.ledger,
      `JOIN outbox o ON o.event_id = l.event_id WHERE o.type = $1 AND o.envelope->>'aggregateId' = ANY($2)`,
      [TYPE, users.flatMap((u) => u.transactionIds)],
    );
    // Nothing lost: every change's event reaches goals (bounded wait).
    const deadline = Date.now() + 60_000;
    let applied = await appliedIn(goals, published);
    while (applied.size < published.size && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      applied = await appliedIn(goals, published);
    }
    const lags = [...published].flatMap(([id, at]) => (applied.has(id) ? [applied.get(id)! - at] : []));
    const versionsAfter = await goalVersions(goals.database, users);
    const goalUpdates = [...versionsAfter].reduce(
      (sum, [id, v]) => sum + v - (versionsBefore.get(id) ?? 0),
      0,
    );
    const p50 = percentile(lags, 50);
    const p99 = percentile(lags, 99);
    ctx.record({
      measure: 'goals lag p50',
      value: round(p50),
      unit: 'ms',
      target: '≤ 20 ms',
      met: p50 <= 20,
      detail: `${lags.length} of ${published.size} events applied, ${goalUpdates} goal versions written; max ${round(Math.max(...lags))} ms`,
    });
    ctx.record({
      measure: 'goals lag p99',
      value: round(p99),
      unit: 'ms',
      target: '≤ 100 ms',
      met: p99 <= 100,
    });
    ctx.record({
      measure: 'goals events lost',
      value: published.size - lags.length,
      unit: 'events',
      target: '0',
      met: published.size === lags.length && published.size >= result.ok && goalUpdates >= lags.length,
    });
  },
};

async function commitsOf(url: string, where: string, params: unknown[]): Promise<Map<string, number>> {
  return withPg(url, async (db) => {
    const { rows } = await db.query<{ event_id: string; at: string }>(
      `SELECT l.event_id, (extract(epoch FROM l.committed_at) * 1000)::float8 AS at FROM bench_commit_log l ${where}`,
      params,
    );
    return new Map(rows.map((r) => [r.event_id, Number(r.at)]));
  });
}

function appliedIn(goals: { database: string; consumer: string }, published: Map<string, number>) {
  return commitsOf(
    goals.database,
    `JOIN inbox i ON i.event_id = l.event_id WHERE i.consumer = $1 AND i.type = $2 AND l.event_id = ANY($3)`,
    [goals.consumer, TYPE, [...published.keys()]],
  );
}

async function goalVersions(database: string, users: LinkedUser[]): Promise<Map<string, number>> {
  return withPg(database, async (db) => {
    const { rows } = await db.query<{ id: string; version: number }>(
      `SELECT id, version FROM goals WHERE id = ANY($1)`,
      [users.map((u) => u.goalId)],
    );
    return new Map(rows.map((r) => [r.id, r.version]));
  });
}
