import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import type { Bench } from '../lib/context';
import { median, round, timed } from '../lib/stats';
import { call, registerUser, withPg, type System } from '../lib/system';

const ROWS = 100_000;

async function writeCsv(file: string, userId: string, accountId: string): Promise<void> {
  const out = createWriteStream(file);
  out.write(
    'id,user_id,account_id,transaction_type,amount_minor,currency,base_amount_minor,base_currency,description,date\n',
  );
  for (let n = 1; n <= ROWS; n++) {
    const amount = 100 + ((n * 7919) % 50000);
    const day = String(1 + (n % 28)).padStart(2, '0');
    const line = `${randomUUID()},${userId},${accountId},${n % 10 === 0 ? 'income' : 'expense'},${amount},USD,${amount},USD,"Imported row ${n}",2025-03-${day}\n`;
    if (!out.write(line)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

/** Our own export's CSV (what POST /import/csv reads with no mapping), the same 100,000 rows. */
async function writeExportCsv(file: string, account: string): Promise<void> {
  const out = createWriteStream(file);
  out.write(
    'date,transaction_type,amount,currency,account,to_account,category,description,payee,notes,tags\n',
  );
  for (let n = 1; n <= ROWS; n++) {
    const amount = 100 + ((n * 7919) % 50000);
    const day = String(1 + (n % 28)).padStart(2, '0');
    const money = `${Math.floor(amount / 100)}.${String(amount % 100).padStart(2, '0')}`;
    const line = `2025-03-${day},${n % 10 === 0 ? 'income' : 'expense'},${money},USD,${account},,,Imported row ${n},,,\n`;
    if (!out.write(line)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

/** `ledger.transaction.created` events a consumer has applied since `since` (its inbox rows). */
async function applied(system: System, service: 'budgets' | 'reports', since: Date): Promise<number> {
  return withPg(system.databases[service], async (db) => {
    const { rows } = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM inbox WHERE consumer = $1 AND type = 'ledger.transaction.created' AND received_at >= $2`,
      [system.consumerNames[service], since],
    );
    return rows[0].n;
  });
}

/**
 * 6. Import: 100,000 rows of our own export through `POST /import/csv` at the gateway (a
 * background job: upload → 202 → GET /import/{id} until completed, events included), side by side
 * with its floor, a raw `COPY … FROM STDIN` (psql \copy) of the same rows into a table shaped and
 * indexed exactly like the ledger's `transactions`; then how long after the import's commit
 * budgets and reports have applied all 100,000 `ledger.transaction.created`.
 */
export const importBench: Bench = {
  name: 'import',
  title: '6. import: 100,000 CSV rows through POST /import/csv at the gateway, and the raw COPY floor',
  async run(ctx) {
    const system = await ctx.system();
    const dir = await mkdtemp(path.join(os.tmpdir(), 'bench-import-'));
    try {
      const file = path.join(dir, 'transactions.csv');
      await writeCsv(file, randomUUID(), randomUUID());
      await withPg(system.databases.ledger, (db) =>
        db.query(
          `CREATE TABLE import_floor (LIKE transactions INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING INDEXES)`,
        ),
      );
      const times: number[] = [];
      for (let i = 0; i < (ctx.quick ? 1 : 3); i++) {
        await withPg(system.databases.ledger, (db) => db.query('TRUNCATE import_floor'));
        const { ms, value } = await timed(async () =>
          spawnSync(
            'psql',
            [
              system.databases.ledger,
              '-v',
              'ON_ERROR_STOP=1',
              '-c',
              `\\copy import_floor (id,user_id,account_id,transaction_type,amount_minor,currency,base_amount_minor,base_currency,description,date) FROM '${file}' WITH (FORMAT csv, HEADER true)`,
            ],
            { encoding: 'utf8' },
          ),
        );
        if (value.status !== 0 || !/COPY 100000/.test(value.stdout))
          throw new Error(`psql \\copy failed: ${value.stderr}`);
        times.push(ms);
      }
      await withPg(system.databases.ledger, (db) => db.query('DROP TABLE import_floor'));
      const floor = median(times);
      ctx.record({
        measure: 'raw COPY of 100,000 rows (floor)',
        value: round(floor / 1000, 3),
        unit: 's',
        detail: `${round(ROWS / (floor / 1000), 0)} rows/s into a table with the ledger's indexes; median of ${times.length}`,
      });

      const user = await registerUser(system, 'importer');
      await call(`POST`, `${system.gateway}/accounts`, user.token, {
        name: 'Bench',
        type: 'checking',
        currency: 'USD',
      });
      const exportFile = path.join(dir, 'export.csv');
      await writeExportCsv(exportFile, 'Bench');
      const body = await readFile(exportFile);
      const started = new Date();
      const { ms, value: done } = await timed(async () => {
        const res = await fetch(`${system.gateway}/import/csv`, {
          method: 'POST',
          headers: { authorization: `Bearer ${user.token}`, 'content-type': 'text/csv' },
          body,
        });
        const accepted = (await res.json()) as { id: string };
        if (res.status !== 202)
          throw new Error(`POST /import/csv → ${res.status} ${JSON.stringify(accepted)}`);
        for (;;) {
          const state = await call<{
            status: string;
            imported: number;
            finished_at: string;
            failure: string | null;
          }>('GET', `${system.gateway}/import/${accepted.id}`, user.token);
          if (state.status === 'completed') return state;
          if (state.status === 'failed') throw new Error(`the import failed: ${state.failure}`);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      });
      if (done.imported !== ROWS) throw new Error(`imported ${done.imported} of ${ROWS}`);
      ctx.record({
        measure: '100,000-row CSV import end to end (gateway, events included)',
        value: round(ms / 1000, 3),
        unit: 's',
        target: '≤ 10 s',
        detail: `upload → 202 → completed (one DB transaction, 100,000 outbox events); ${round(ms / floor, 1)}× the COPY floor (floor/import ${round(floor / ms, 3)}); ${(body.length / 1e6).toFixed(1)} MB`,
      });

      // Read models: from the import's commit until budgets and reports applied every event.
      const committed = new Date(done.finished_at).getTime();
      const deadline = Date.now() + 180_000;
      const caughtUp: Record<string, number> = {};
      while (Object.keys(caughtUp).length < 2 && Date.now() < deadline) {
        for (const service of ['budgets', 'reports'] as const)
          if (caughtUp[service] === undefined && (await applied(system, service, started)) >= ROWS)
            caughtUp[service] = Date.now() - committed;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      for (const service of ['budgets', 'reports'] as const)
        ctx.record({
          measure: `${service} caught up on the import's 100,000 events`,
          // Not caught up: the value is the wait it outlasted (a lower bound), and the detail says so.
          value: caughtUp[service] === undefined ? 180 : round(caughtUp[service] / 1000, 2),
          unit: 's',
          target: '≤ 20 s',
          detail:
            caughtUp[service] === undefined
              ? `NOT caught up: more than 180 s (${await applied(system, service, started)} of 100,000 applied by then)`
              : "from the import's commit (its finished_at) to the last inbox row (polled every 200 ms)",
        });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
};
