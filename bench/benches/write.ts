import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import type { Bench } from '../lib/context';
import { cpuPerRequest, describeCpu } from '../lib/cpu';
import { compareLoads, load } from '../lib/load';
import { round } from '../lib/stats';
import { ROOT, withPg } from '../lib/system';

const FLOOR_PORT = 4990;

/**
 * 2. POST /transactions through the gateway (validation, the gateway's token check, the
 * ledger's own token check, the row and its outbox event in one transaction, the relay
 * publishing) vs the floor: bare express + one INSERT (bench/baseline/write-floor.ts).
 */
export const writeBench: Bench = {
  name: 'write',
  title: '2. write path: POST /transactions via gateway vs bare express + pg INSERT',
  async run(ctx) {
    const system = await ctx.system();
    const user = await ctx.sizedUser(0);
    await withPg(system.databases.ledger, (db) =>
      db.query(
        `CREATE TABLE IF NOT EXISTS floor_transactions (LIKE transactions INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING INDEXES)`,
      ),
    );
    const floor = spawn(
      process.execPath,
      ['-r', '@swc-node/register', path.join(ROOT, 'bench', 'baseline', 'write-floor.ts')],
      {
        cwd: ROOT,
        env: {
          ...process.env,
          SWC_NODE_PROJECT: path.join(ROOT, 'bench', 'tsconfig.json'),
          DATABASE_URL: system.databases.ledger,
          PORT: String(FLOOR_PORT),
        },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    try {
      await once(floor.stdout!, 'data');
      const seconds = ctx.quick ? 2 : 5;
      const ours = {
        amount: '12.34',
        transaction_type: 'expense',
        description: 'Bench write',
        account_id: user.accountId,
        category_id: user.categoryIds[0],
        date: '2025-06-01',
      };
      const bare = {
        user_id: user.id,
        account_id: user.accountId,
        category_id: user.categoryIds[0],
        amount_minor: '1234',
        transaction_type: 'expense',
        description: 'Bench write',
        date: '2025-06-01',
      };
      const { a: viaGateway, b: baseline } = await compareLoads(
        {
          url: `${system.gateway}/transactions`,
          method: 'POST',
          body: ours,
          headers: { authorization: `Bearer ${user.token}` },
          seconds,
          connections: 10,
        },
        {
          url: `http://127.0.0.1:${FLOOR_PORT}/transactions`,
          method: 'POST',
          body: bare,
          seconds,
          connections: 10,
        },
        3,
      );
      if (viaGateway.failed || baseline.failed)
        throw new Error(`non-2xx answers: gateway ${viaGateway.failed}, floor ${baseline.failed}`);
      const ratio = viaGateway.rps / baseline.rps;
      ctx.record({
        measure: 'write throughput ratio gateway/floor',
        value: round(ratio),
        unit: '×',
        target: '≥ 0.5',
        met: ratio >= 0.5,
        detail: `gateway ${round(viaGateway.rps, 0)} writes/s p99 ${viaGateway.p99} ms; floor ${round(baseline.rps, 0)} writes/s p99 ${baseline.p99} ms (10 connections, 3 × ${seconds} s each, alternating)`,
      });
      // The profile of one write across the system: what bounds throughput on 2 cores.
      const cpu = await cpuPerRequest(system, async () => {
        const run = await load({
          url: `${system.gateway}/transactions`,
          method: 'POST',
          body: ours,
          headers: { authorization: `Bearer ${user.token}` },
          seconds,
          connections: 10,
        });
        return run.ok;
      });
      ctx.record({
        measure: 'CPU per write, whole system',
        value: cpu.total,
        unit: 'ms',
        detail: describeCpu(cpu),
      });
      const floorCpu = await cpuPerRequest(
        system,
        async () =>
          (
            await load({
              url: `http://127.0.0.1:${FLOOR_PORT}/transactions`,
              method: 'POST',
              body: bare,
              seconds,
              connections: 10,
            })
          ).ok,
      );
      ctx.note(
        `floor: ${describeCpu(floorCpu)} (its own process is not in the list: it is neither a service nor postgres)`,
      );
      // Every write went through the outbox: the relay must have published them all.
      const unsent = await withPg(system.databases.ledger, (db) =>
        db.query<{ n: string }>(`SELECT count(*) AS n FROM outbox WHERE sent_at IS NULL`),
      );
      ctx.note(`outbox rows still unsent right after the write load: ${unsent.rows[0].n}`);
    } finally {
      floor.kill('SIGTERM');
      await once(floor, 'exit');
    }
  },
};
