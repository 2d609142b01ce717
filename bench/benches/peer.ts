import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { formatMinorUnits, toMinorUnits } from '@finance/shared';
import type { Bench, BenchContext } from '../lib/context';
import { timedGet } from '../lib/latency';
import { bulkLoad, rebuildReportRollups } from '../lib/seed';
import { median, percentile, round, timed } from '../lib/stats';
import {
  call,
  postgresBackendPids,
  registerUser,
  ROOT,
  SERVICE_NAMES,
  withPg,
  type System,
} from '../lib/system';

/**
 * 9. A peer, side by side: the same workload in Actual Budget's engine (@actual-app/api) and in
 * our system, at 10,000 and 100,000 transactions: bulk load, spending by category for a year,
 * income vs expense by month for two years, peak memory; every figure as a ratio Actual / ours
 * (> 1: we are ahead by that factor). Run only when named (`npm run bench -- peer`): it installs
 * Actual into bench/peer/ (gitignored, its own package.json, never a project dependency) on
 * first use and is not run in CI.
 *
 * Actual runs in a child process of its own (bench/peer-runner/actual.js), so its memory is
 * its own and its CPU never shares an event loop with the load generator; it times its own
 * calls (no IPC in its figures). Ours is the whole system through the gateway, timed from the
 * client (HTTP, token check, proxy hop included).
 */

const PEER_DIR = path.join(ROOT, 'bench', 'peer');
const WORK_DIR = path.join(PEER_DIR, 'work');
const RUNNER = path.join(ROOT, 'bench', 'peer-runner', 'actual.js');
const ACTUAL_VERSION = process.env.PEER_ACTUAL_VERSION ?? '26.9.0';
/** Actual's 100,000-row load took ~200 s here; past this it is stopped and reported as unfinished. */
const LOAD_BUDGET_MS = Number(process.env.PEER_LOAD_BUDGET_S ?? 420) * 1000;
const WARMUP = 3;
const MB = 1024 * 1024;

const YEAR = { from: '2025-01-01', to: '2025-12-31' };
const TWO_YEARS = { from: '2024-01-01', to: '2025-12-31' };
const QUERIES = [
  {
    key: 'spending',
    name: 'spending by category, 2025',
    range: YEAR,
    path: `/analytics/spending?from=${YEAR.from}&to=${YEAR.to}`,
  },
  {
    key: 'incomeVsExpense',
    name: 'income vs expense by month, 2024–2025',
    range: TWO_YEARS,
    path: `/analytics/income-vs-expense?from=${TWO_YEARS.from}&to=${TWO_YEARS.to}&granularity=month`,
  },
] as const;

// ── The workload ────────────────────────────────────────────────────────────────────────────

/** [account index, type, expense-category index or null, amount in cents (> 0), date, payee] */
type Row = [number, 'income' | 'expense', number | null, number, string, string];

interface Workload {
  accounts: string[];
  categories: string[];
  incomeCategory: string;
  rows: Row[];
}

const DAY_MS = 86_400_000;
const FIRST_DAY = Date.UTC(2024, 0, 1);

/**
 * N transactions over 2024–2025 (731 days; 37 is prime to 731, so the days are evenly used),
 * two accounts, eight expense categories and one income category. 1 in 10 is income (salary-
 * sized), the rest expenses of 1.00–500.99; 1 in 17 expenses is uncategorised; 50 payees.
 * Deterministic: both sides get exactly these rows.
 */
function workload(n: number): Workload {
  const rows: Row[] = [];
  for (let i = 1; i <= n; i++) {
    const income = i % 10 === 0;
    const date = new Date(FIRST_DAY + ((i * 37) % 731) * DAY_MS).toISOString().slice(0, 10);
    rows.push([
      i % 2,
      income ? 'income' : 'expense',
      income || i % 17 === 0 ? null : i % 8,
      income ? 150_000 + ((i * 7919) % 350_000) : 100 + ((i * 7919) % 50_000),
      date,
      `Payee ${i % 50}`,
    ]);
  }
  return {
    accounts: ['Checking', 'Credit card'],
    categories: ['Groceries', 'Rent', 'Transport', 'Utilities', 'Dining', 'Health', 'Leisure', 'Shopping'],
    incomeCategory: 'Salary',
    rows,
  };
}

// ── Actual: install on demand, run in its own process ───────────────────────────────────────

/** npm as if started by hand in bench/peer/: no npm_* variables of the `npm run bench` around us. */
function npmEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.toLowerCase().startsWith('npm_')),
  );
}

function installedVersion(): string | undefined {
  try {
    const file = path.join(PEER_DIR, 'node_modules', '@actual-app', 'api', 'package.json');
    return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
  } catch {
    return undefined;
  }
}

/** Whether Actual's native SQLite binding loads (it is built from source where no prebuild is reachable). */
function sqliteLoads(): boolean {
  const from = path.join(PEER_DIR, 'node_modules', '@actual-app', 'api', 'package.json');
  const check = `const D = require('node:module').createRequire(${JSON.stringify(from)})('better-sqlite3'); new D(':memory:').close();`;
  return spawnSync(process.execPath, ['-e', check], { stdio: 'ignore' }).status === 0;
}

/**
 * Installs @actual-app/api into bench/peer/ unless that version is there and working. Its
 * better-sqlite3 dependency has an install script (prebuild download, else node-gyp); npm 11
 * wants it allowed by name in the folder's package.json. npm@10 is the fallback.
 */
function ensureActual(ctx: BenchContext): string {
  if (installedVersion() === ACTUAL_VERSION && sqliteLoads()) return 'already installed';
  mkdirSync(PEER_DIR, { recursive: true });
  writeFileSync(
    path.join(PEER_DIR, 'package.json'),
    `${JSON.stringify(
      {
        name: 'finance-bench-peer',
        private: true,
        description:
          'Actual Budget for `npm run bench -- peer` only; written by bench/benches/peer.ts, gitignored',
        dependencies: { '@actual-app/api': ACTUAL_VERSION },
        allowScripts: { 'better-sqlite3': true },
      },
      null,
      2,
    )}\n`,
  );
  ctx.note(
    `installing @actual-app/api@${ACTUAL_VERSION} into bench/peer/ (first run: ~1–2 min, builds better-sqlite3)`,
  );
  const started = Date.now();
  const args = ['install', '--no-audit', '--no-fund', '--prefix', PEER_DIR];
  const attempts: Array<[string, string[]]> = [
    ['npm', args],
    ['npx', ['-y', 'npm@10', ...args]],
  ];
  const failures: string[] = [];
  for (const [command, commandArgs] of attempts) {
    const result = spawnSync(command, commandArgs, { cwd: PEER_DIR, env: npmEnv(), encoding: 'utf8' });
    if (result.status !== 0) {
      failures.push(
        `${command} ${commandArgs.join(' ')} → ${result.status}: ${(result.stderr ?? '').trim().slice(-400)}`,
      );
      continue;
    }
    if (!sqliteLoads()) {
      spawnSync('npm', ['rebuild', 'better-sqlite3', '--prefix', PEER_DIR], { cwd: PEER_DIR, env: npmEnv() });
    }
    if (installedVersion() === ACTUAL_VERSION && sqliteLoads())
      return `installed in ${Math.round((Date.now() - started) / 1000)} s`;
    failures.push(`${command}: installed, but better-sqlite3 does not load (native build failed)`);
  }
  throw new Error(`could not install @actual-app/api@${ACTUAL_VERSION}: ${failures.join(' | ')}`);
}

interface LoadReply {
  ms: number;
  addMs: number;
  rows: number;
}
interface QueryReply {
  ms: number;
  result: Record<string, number>;
}

/** The child process running Actual's engine; one request at a time over IPC. */
class ActualEngine {
  private readonly child: ChildProcess;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private readonly lastLines: string[] = [];

  constructor() {
    this.child = spawn(process.execPath, [RUNNER, PEER_DIR], {
      cwd: PEER_DIR,
      env: { ...process.env, NODE_OPTIONS: '' },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const keep = (chunk: Buffer) => {
      this.lastLines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      this.lastLines.splice(0, Math.max(0, this.lastLines.length - 20));
    };
    this.child.stdout?.on('data', keep);
    this.child.stderr?.on('data', keep);
    this.child.on('message', (message: { id: number; error?: string }) => {
      const waiting = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (message.error) waiting?.reject(new Error(`Actual: ${message.error}`));
      else waiting?.resolve(message);
    });
    this.child.on('exit', (code, signal) => {
      for (const waiting of this.pending.values())
        waiting.reject(
          new Error(`Actual's process exited (${code ?? signal}):\n${this.lastLines.join('\n')}`),
        );
      this.pending.clear();
    });
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  request<T>(message: Record<string, unknown>, timeoutMs = 120_000): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`Actual: no answer to ${String(message.cmd)} within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (value) => {
          clearTimeout(timer);
          resolve(value as T);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      this.child.send({ id, ...message });
    });
  }

  /** Shuts the engine down and answers its peak resident memory (max RSS over its whole life). */
  async stop(): Promise<number> {
    const { maxRssBytes } = await this.request<{ maxRssBytes: number }>({ cmd: 'stop' }, 30_000);
    this.kill();
    return maxRssBytes;
  }

  kill(): void {
    if (this.child.exitCode === null && !this.child.signalCode) this.child.kill('SIGKILL');
  }
}

// ── Ours: the replay path of bench/lib/seed.ts, fed these rows ──────────────────────────────

interface OurUser {
  id: string;
  token: string;
  accountIds: string[];
  /** The expense categories in workload order, then the income category. */
  categoryIds: string[];
}

async function createBasics(
  system: System,
  user: { id: string; token: string },
  w: Workload,
): Promise<OurUser> {
  const accountIds: string[] = [];
  for (const [i, name] of w.accounts.entries()) {
    const account = await call<{ id: string }>('POST', `${system.gateway}/accounts`, user.token, {
      name,
      type: i === 0 ? 'checking' : 'credit_card',
      currency: 'USD',
    });
    accountIds.push(account.id);
  }
  // A new user's default categories (Groceries, Salary, …) arrive with auth.user.registered;
  // wait for them and use those of the workload's names that exist, as a person would.
  const existing = new Map<string, string>();
  for (const deadline = Date.now() + 10_000; existing.size === 0 && Date.now() < deadline;) {
    const page = await call<{ data: Array<{ id: string; name: string }> }>(
      'GET',
      `${system.gateway}/categories?limit=200`,
      user.token,
    );
    for (const category of page.data) existing.set(category.name.toLowerCase(), category.id);
    if (existing.size === 0) await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const categoryIds: string[] = [];
  for (const [name, kind] of [...w.categories.map((c) => [c, 'expense']), [w.incomeCategory, 'income']]) {
    const id =
      existing.get(name.toLowerCase()) ??
      (
        await call<{ id: string }>('POST', `${system.gateway}/categories`, user.token, {
          name,
          color: '#336699',
          kind,
        })
      ).id;
    categoryIds.push(id);
  }
  return { ...user, accountIds, categoryIds };
}

/** The rows as column arrays for `unnest` (1-based indexes into the account and category id arrays). */
function columns(w: Workload): unknown[] {
  const account: number[] = [];
  const category: Array<number | null> = [];
  const type: string[] = [];
  const amount: number[] = [];
  const date: string[] = [];
  const payee: string[] = [];
  for (const [a, t, c, amountCents, d, p] of w.rows) {
    account.push(a + 1);
    category.push(t === 'income' ? w.categories.length + 1 : c === null ? null : c + 1);
    type.push(t);
    amount.push(amountCents);
    date.push(d);
    payee.push(p);
  }
  return [account, category, type, amount, date, payee];
}

// $1…$6 the columns, $7 the user, $8 the category ids, $9 the account ids; ids as seed.ts makes them.
const ROWS = `
  FROM unnest($1::int[], $2::int[], $3::text[], $4::bigint[], $5::date[], $6::text[])
       WITH ORDINALITY AS r(account, category, type, amount, date, payee, n),
  LATERAL (SELECT overlay(overlay(md5($7::text || ':' || r.n) PLACING '4' FROM 13) PLACING '8' FROM 17)::uuid AS id,
                  ($8::uuid[])[r.category] AS category_id) g`;

/**
 * The same rows into the ledger and into each read model, in parallel, as bench/lib/seed.ts
 * does (the documented replay path: what consuming their events would have left), reports'
 * roll-ups by its own `rebuildRollups`. Answers when every query can see every row.
 */
async function replay(system: System, user: OurUser, w: Workload): Promise<void> {
  const cols = columns(w);
  const n = w.rows.length;
  const params = [...cols, user.id, user.categoryIds, user.accountIds];
  await Promise.all([
    withPg(system.databases.ledger, (db) =>
      bulkLoad(db, 'transactions', n, () =>
        db.query(
          `INSERT INTO transactions (id, user_id, account_id, category_id, transaction_type, amount_minor, currency,
             base_amount_minor, base_currency, description, payee, date, version)
           SELECT g.id, $7::uuid, ($9::uuid[])[r.account], g.category_id, r.type, r.amount, 'USD', r.amount, 'USD',
             r.payee, r.payee, r.date, 1 ${ROWS}`,
          params,
        ),
      ),
    ),
    (async () => {
      await withPg(system.databases.reports, (db) =>
        bulkLoad(db, 'report_transactions', n, () =>
          db.query(
            `INSERT INTO report_transactions (id, user_id, account_id, category_id, type, base_amount_minor,
               base_currency, amount_minor, currency, date, description, payee, version)
             SELECT g.id, $7::uuid, ($9::uuid[])[r.account], g.category_id, r.type, r.amount, 'USD', r.amount, 'USD',
               r.date, r.payee, r.payee, 1 ${ROWS}`,
            params,
          ),
        ),
      );
      await rebuildReportRollups(system, user.id);
    })(),
    withPg(system.databases.budgets, (db) =>
      bulkLoad(db, 'spending_transactions', n, () =>
        db.query(
          `INSERT INTO spending_transactions (id, user_id, category_id, type, base_amount_minor, base_currency, date, version)
           SELECT g.id, $7::uuid, g.category_id, r.type, r.amount, 'USD', r.date, 1 ${ROWS}`,
          params.slice(0, 8),
        ),
      ),
    ),
  ]);
}

/**
 * The same rows as N `POST /transactions` through the gateway, 10 at a time, until both read
 * models have applied every event: the only path a client has today (no import endpoint yet).
 */
async function postAll(system: System, user: OurUser, w: Workload): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < w.rows.length) {
      const [a, t, c, amountCents, date, payee] = w.rows[next++];
      await call('POST', `${system.gateway}/transactions`, user.token, {
        account_id: user.accountIds[a],
        amount: formatMinorUnits(amountCents, 'USD'),
        transaction_type: t,
        description: payee,
        payee,
        date,
        category_id:
          t === 'income' ? user.categoryIds[w.categories.length] : c === null ? null : user.categoryIds[c],
      });
    }
  };
  await Promise.all(Array.from({ length: 10 }, worker));
  const applied = (url: string, table: string) =>
    withPg(url, async (db) => {
      const { rows } = await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM ${table} WHERE user_id = $1`,
        [user.id],
      );
      return rows[0].n;
    });
  const deadline = Date.now() + 120_000;
  for (;;) {
    const [reports, budgets] = await Promise.all([
      applied(system.databases.reports, 'report_transactions'),
      applied(system.databases.budgets, 'spending_transactions'),
    ]);
    if (reports === w.rows.length && budgets === w.rows.length) return;
    if (Date.now() > deadline)
      throw new Error(`events not applied after 2 min: reports ${reports}, budgets ${budgets}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

// ── Memory ──────────────────────────────────────────────────────────────────────────────────

function pss(pid: number): number {
  try {
    const kb = /^Pss:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return kb ? Number(kb[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

interface Footprint {
  total: number;
  services: number;
  postgres: number;
}

/**
 * Peak of our footprint, sampled every 500 ms while our side works (load, queries): the five
 * services' Node processes (RSS) plus this run's PostgreSQL backends (PSS: their private
 * memory and their share of the shared buffers they touched). Reports' Chromium (PDFs only,
 * idle here) is left out. Paused while Actual loads, so its sampling costs Actual nothing.
 */
class OurPeakMemory {
  peak: Footprint = { total: 0, services: 0, postgres: 0 };
  private timer?: NodeJS.Timeout;

  constructor(private readonly system: System) {}

  start(): void {
    this.sample();
    this.timer ??= setInterval(() => this.sample(), 500);
  }

  stop(): Footprint {
    if (this.timer) this.sample();
    clearInterval(this.timer);
    this.timer = undefined;
    return this.peak;
  }

  private sample(): void {
    const services = SERVICE_NAMES.reduce((sum, name) => sum + this.system.rss(name).node, 0);
    const postgres = postgresBackendPids(this.system).reduce((sum, pid) => sum + pss(pid), 0);
    if (services + postgres > this.peak.total) this.peak = { total: services + postgres, services, postgres };
  }
}

// ── Queries, side by side ───────────────────────────────────────────────────────────────────

/** Our decimal strings in cents, as Actual keeps amounts (the totals stay far below 2^53). */
const cents = (decimal: string): number => Number(toMinorUnits(decimal, 'USD'));

/** Both sides must give the same answer before either is timed: the workloads are the same. */
async function crossCheck(system: System, user: OurUser, engine: ActualEngine): Promise<string> {
  const spending = await call<{ total: string; count: number; categories: unknown[] }>(
    'GET',
    `${system.gateway}${QUERIES[0].path}`,
    user.token,
  );
  const { result: theirs } = await engine.request<QueryReply>({ cmd: 'query', name: 'spending', ...YEAR });
  const flows = await call<{ totals: { income: string; expense: string } }>(
    'GET',
    `${system.gateway}${QUERIES[1].path}`,
    user.token,
  );
  const { result: theirFlows } = await engine.request<QueryReply>({
    cmd: 'query',
    name: 'incomeVsExpense',
    ...TWO_YEARS,
  });
  const ours = {
    spendingCents: cents(spending.total),
    spendingCount: spending.count,
    categories: spending.categories.length,
    incomeCents: cents(flows.totals.income),
    expenseCents: cents(flows.totals.expense),
  };
  const actual = {
    spendingCents: theirs.total,
    spendingCount: theirs.count,
    categories: theirs.categories,
    incomeCents: theirFlows.income,
    expenseCents: theirFlows.expense,
  };
  if (JSON.stringify(ours) !== JSON.stringify(actual))
    throw new Error(`the two sides disagree: ours ${JSON.stringify(ours)}, Actual ${JSON.stringify(actual)}`);
  const usd = (minor: number) => formatMinorUnits(minor, 'USD');
  return `both answer spending ${usd(ours.spendingCents)} over ${ours.spendingCount} expenses in ${ours.categories} categories, income ${usd(ours.incomeCents)} / expense ${usd(ours.expenseCents)}`;
}

/** Alternates ours and Actual request by request (and which goes first), after WARMUP rounds. */
async function sideBySide(
  system: System,
  user: OurUser,
  engine: ActualEngine,
  query: (typeof QUERIES)[number],
  rounds: number,
): Promise<{ ours: number[]; actual: number[] }> {
  const ours: number[] = [];
  const actual: number[] = [];
  const timeOurs = () => timedGet(`${system.gateway}${query.path}`, user.token);
  const timeActual = async () =>
    (await engine.request<QueryReply>({ cmd: 'query', name: query.key, ...query.range })).ms;
  for (let i = 0; i < rounds + WARMUP; i++) {
    const [a, b] = i % 2 === 0 ? [timeOurs, timeActual] : [timeActual, timeOurs];
    const first = await a();
    const second = await b();
    if (i < WARMUP) continue;
    ours.push(i % 2 === 0 ? first : second);
    actual.push(i % 2 === 0 ? second : first);
  }
  return { ours, actual };
}

// ── The bench ───────────────────────────────────────────────────────────────────────────────

const fmt = (n: number) => n.toLocaleString('en');
const seconds = (ms: number) => `${round(ms / 1000, 1)} s`;
const rate = (rows: number, ms: number) => `${fmt(Math.round(rows / (ms / 1000)))} rows/s`;

function ratio(
  ctx: BenchContext,
  measure: string,
  actual: number,
  ours: number,
  detail: string,
  target: boolean = true,
): void {
  const value = actual / ours;
  ctx.record({
    measure,
    value: round(value),
    unit: '×',
    ...(target ? { target: '> 1 (ahead)', met: value > 1 } : {}),
    detail,
  });
}

/** One size: ours loads, Actual loads, the queries alternate, then the memory peaks. Answers Actual's load time. */
async function compareAt(
  ctx: BenchContext,
  system: System,
  n: number,
  rounds: number,
): Promise<number | undefined> {
  const label = `${fmt(n)} rows`;
  const w = workload(n);
  const workloadFile = path.join(WORK_DIR, `workload-${n}.json`);
  writeFileSync(workloadFile, JSON.stringify(w));

  // Ours: a registered user, then its accounts, categories and rows, timed together.
  const memory = new OurPeakMemory(system);
  memory.start();
  const registered = await registerUser(system, `peer${n / 1000}k`);
  let user: OurUser | undefined;
  const ourLoad = await timed(async () => {
    user = await createBasics(system, registered, w);
    await replay(system, user, w);
  });
  memory.stop();
  if (!user) throw new Error('no user');

  // Actual: a fresh engine process and budget for this size.
  const engine = new ActualEngine();
  try {
    let load: LoadReply;
    try {
      load = await engine.request<LoadReply>(
        { cmd: 'load', workloadFile, dataDir: path.join(WORK_DIR, `budgets-${n}`), budgetName: `peer-${n}` },
        LOAD_BUDGET_MS,
      );
    } catch (error) {
      const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
      ctx.record({
        measure: `${label}: bulk load, Actual time / ours`,
        value: Number.NaN,
        unit: '×',
        target: '> 1 (ahead)',
        detail: `Actual did not finish (${message}): it was still loading after ${seconds(LOAD_BUDGET_MS)}, under ${rate(n, LOAD_BUDGET_MS)}; ours ${seconds(ourLoad.ms)} = ${rate(n, ourLoad.ms)}; no query or memory figures at this size`,
      });
      return undefined;
    }
    if (load.rows !== n) throw new Error(`Actual holds ${load.rows} transactions, not ${n}`);
    ratio(
      ctx,
      `${label}: bulk load, Actual time / ours`,
      load.ms,
      ourLoad.ms,
      `ours ${seconds(ourLoad.ms)} = ${rate(n, ourLoad.ms)} (2 accounts + 9 categories through the gateway, then the replay path of bench/lib/seed.ts: ledger, reports + roll-ups, budgets in parallel); ` +
        `Actual ${seconds(load.ms)} = ${rate(n, load.ms)} (runImport + one addTransactions per account, its importers' path; addTransactions alone ${seconds(load.addMs)})`,
    );

    memory.start();
    ctx.note(`${label}: ${await crossCheck(system, user, engine)}`);
    for (const query of QUERIES) {
      const { ours, actual } = await sideBySide(system, user, engine, query, rounds);
      ratio(
        ctx,
        `${label}: ${query.name}, Actual p50 / ours p50`,
        median(actual),
        median(ours),
        `ours p50 ${round(median(ours))} ms p99 ${round(percentile(ours, 99))} ms (GET through the gateway); ` +
          `Actual p50 ${round(median(actual))} ms p99 ${round(percentile(actual, 99))} ms (in its engine, no transport); ${rounds} alternating rounds`,
      );
    }
    const ourPeak = memory.stop();
    const actualPeak = await engine.stop();
    ratio(
      ctx,
      `${label}: peak memory, Actual / ours`,
      actualPeak,
      ourPeak.total,
      `ours ${Math.round(ourPeak.total / MB)} MB (5 services' Node RSS ${Math.round(ourPeak.services / MB)} MB + this run's PostgreSQL backends PSS ${Math.round(ourPeak.postgres / MB)} MB, sampled every 500 ms; reports' Chromium excluded); ` +
        `Actual ${Math.round(actualPeak / MB)} MB (max RSS of its process)`,
    );
    return load.ms;
  } finally {
    memory.stop();
    engine.kill();
  }
}

export const peerBench: Bench = {
  name: 'peer',
  title:
    '9. peer: Actual Budget and ours, same workload, 10k / 100k (named only; installs Actual into bench/peer/)',
  async run(ctx) {
    let installed: string;
    try {
      installed = ensureActual(ctx);
    } catch (error) {
      ctx.record({
        measure: 'Actual Budget side by side',
        value: Number.NaN,
        unit: '×',
        detail: `not measurable: ${error instanceof Error ? error.message : String(error)}`,
      });
      return;
    }
    ctx.note(`@actual-app/api ${installedVersion()} in bench/peer/ (${installed})`);
    const system = await ctx.system();
    rmSync(WORK_DIR, { recursive: true, force: true });
    mkdirSync(WORK_DIR, { recursive: true });
    try {
      const actualLoadMs = new Map<number, number | undefined>();
      for (const n of ctx.quick ? [10_000] : [10_000, 100_000])
        actualLoadMs.set(n, await compareAt(ctx, system, n, ctx.quick ? 10 : 30));

      // Diagnostic: today's only client path for the same 10,000 rows, against Actual's bulk load.
      const actualMs = actualLoadMs.get(10_000);
      if (!ctx.quick && actualMs !== undefined) {
        const n = 10_000;
        const w = workload(n);
        const user = await createBasics(system, await registerUser(system, 'peerpost'), w);
        const { ms } = await timed(() => postAll(system, user, w));
        ratio(
          ctx,
          `${fmt(n)} rows: ${fmt(n)} × POST /transactions (diagnostic), Actual bulk time / ours`,
          actualMs,
          ms,
          `ours ${seconds(ms)} = ${rate(n, ms)} (10 concurrent through the gateway, until both read models applied every event); Actual ${seconds(actualMs)} (its bulk load above)`,
          false,
        );
      }
    } finally {
      if (existsSync(WORK_DIR)) rmSync(WORK_DIR, { recursive: true, force: true });
    }
  },
};
