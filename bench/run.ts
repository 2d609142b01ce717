/**
 * The performance suite (issue 7). `npm run bench` runs every bench; `npm run bench -- gateway lag`
 * runs the named ones; `--quick` shrinks the big seed to 100,000 rows (a smoke run, not figures).
 * Prints a table and writes bench/results/latest.json. See docs/performance.md.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { registeredServices } from '@finance/shared/registry';
import { BenchContext, type Bench } from './lib/context';
import { ROOT } from './lib/system';
import { gatewayBench } from './benches/gateway';
import { writeBench } from './benches/write';
import { lagBench } from './benches/lag';
import { burstBench } from './benches/burst';
import { paginationBench } from './benches/pagination';
import { analyticsBench } from './benches/analytics';
import { netWorthBench } from './benches/net-worth';
import { importBench } from './benches/import';
import { pdfBench } from './benches/pdf';
import { footprintBench } from './benches/footprint';
import { peerBench } from './benches/peer';
import { hostileBodyBench } from './benches/hostile-body';
import { goalsBench } from './benches/goals';
import { notifierBench } from './benches/notifier';
import { recurringBench } from './benches/recurring';
import { rulesBench } from './benches/rules';
import { bulkBench } from './benches/bulk';

// Footprint last: "after load" means after everything else ran.
const BENCHES: Bench[] = [
  gatewayBench,
  writeBench,
  rulesBench,
  lagBench,
  burstBench,
  goalsBench,
  notifierBench,
  recurringBench,
  bulkBench,
  paginationBench,
  analyticsBench,
  netWorthBench,
  importBench,
  pdfBench,
  hostileBodyBench,
  footprintBench,
];
// Run only when named: not in CI, and it installs Actual Budget into bench/peer/ on first use.
const NAMED_ONLY: Bench[] = [peerBench];

/** The machine's CPU time in jiffies from /proc/stat: all of it, and what the hypervisor stole. */
function cpuTimes(): { total: number; steal: number } {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal (guest time is already inside user)
    return { total: fields.slice(0, 8).reduce((a, b) => a + b, 0), steal: fields[7] ?? 0 };
  } catch {
    return { total: 0, steal: 0 };
  }
}

/**
 * Share of the machine's CPU the hypervisor gave to other guests while a bench ran: on a
 * shared VM it explains a run whose absolute figures are all lower than the last one's.
 */
function stealPercent(before: { total: number; steal: number }): number {
  const after = cpuTimes();
  const total = after.total - before.total;
  return total > 0 ? Math.round(((after.steal - before.steal) / total) * 1000) / 10 : 0;
}

function build(): void {
  // The services run from dist/ as in production; tsc -b is incremental (seconds when nothing changed).
  const started = Date.now();
  const tsc = require.resolve('typescript/bin/tsc', { paths: [ROOT] });
  const configs = registeredServices().map((s) => `services/${s.name}/tsconfig.json`);
  const result = spawnSync(process.execPath, [tsc, '-b', ...configs], { cwd: ROOT, stdio: 'inherit' });
  if (result.status !== 0) throw new Error('build failed; see above');
  console.log(`build (tsc -b) ${Date.now() - started} ms`);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  const names = args.filter((a) => !a.startsWith('--'));
  const known = [...BENCHES, ...NAMED_ONLY];
  const unknown = names.filter((n) => !known.some((b) => b.name === n));
  if (unknown.length) {
    console.error(`unknown bench ${unknown.join(', ')}; known: ${known.map((b) => b.name).join(', ')}`);
    process.exit(2);
  }
  const selected = names.length ? known.filter((b) => names.includes(b.name)) : BENCHES;
  const startedAt = new Date();
  if (!args.includes('--no-build')) build();

  const ctx = new BenchContext(quick);
  const failures: string[] = [];
  // Ctrl-C still drops the bench databases and queues.
  process.once('SIGINT', () => {
    console.error('interrupted: cleaning up');
    void ctx.started?.then((s) => s.stop()).finally(() => process.exit(130));
    if (!ctx.started) process.exit(130);
  });
  try {
    for (const bench of selected) {
      ctx.current = bench.name;
      console.log(`\n▶ ${bench.name}: ${bench.title}`);
      const started = Date.now();
      const cpuBefore = cpuTimes();
      try {
        await bench.run(ctx);
      } catch (error) {
        failures.push(bench.name);
        console.error(
          `  ✗ ${bench.name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
        );
      }
      const steal = stealPercent(cpuBefore);
      ctx.note(
        `${((Date.now() - started) / 1000).toFixed(1)} s; CPU stolen by the hypervisor meanwhile: ${steal} %`,
      );
    }
  } finally {
    const system = ctx.started ? await ctx.started.catch(() => undefined) : undefined;
    await system?.stop();
  }

  console.log('\nResults');
  console.table(
    ctx.measures.map((m) => ({
      bench: m.bench,
      measure: m.measure,
      value: `${m.value} ${m.unit}`,
      target: m.target ?? '',
      status: m.met === undefined ? '' : m.met ? 'met' : 'MISSED',
    })),
  );
  const cpus = os.cpus();
  const report = {
    startedAt: startedAt.toISOString(),
    durationSeconds: Math.round((Date.now() - startedAt.getTime()) / 1000),
    quick,
    machine: {
      cpus: cpus.length,
      cpuModel: cpus[0]?.model,
      memoryGiB: Number((os.totalmem() / 2 ** 30).toFixed(1)),
      node: process.version,
      platform: `${os.platform()} ${os.release()}`,
    },
    benches: selected.map((b) => b.name),
    failures,
    measures: ctx.measures,
    notes: ctx.notes,
  };
  const dir = path.join(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
  console.log(`\nwrote bench/results/latest.json (${report.durationSeconds} s)`);
  if (failures.length) {
    console.error(`failed: ${failures.join(', ')}`);
    process.exitCode = 1;
  }
}

void main();
