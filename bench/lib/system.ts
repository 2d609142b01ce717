/**
 * The whole system as `npm start` runs it: each built service (services/<name>/dist) in its own
 * Node process, the gateway in front, real PostgreSQL and RabbitMQ. One process per service is
 * what production runs, so the gateway's hop, each service's event loop and its resident memory
 * are measured as they are (in-process, every service would share one event loop).
 *
 * The services, their ports and databases come from the registry (services.json), so a service
 * added there is in every bench. Differences from `npm start`, all so a bench never touches real
 * data or competes with it: fresh databases `bench_<run>_<service>` (dropped at the end), consumer
 * queues named `bench_<run>_<service>` (CONSUMER_NAME; deleted at the end), ports 49xx (49 and the
 * registry port's last two digits), and limits lifted where the default would throttle the load
 * generator itself (gateway rate limit, token lifetime, bcrypt cost).
 */
import { execSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { Broker, DEFAULT_RETRY_DELAYS_MS } from '@finance/shared';
import { registeredServices } from '@finance/shared/registry';
import { deleteTestQueues, testLogger } from '@finance/shared/testing';

export const ROOT = path.join(__dirname, '..', '..');
export const POSTGRES_URL = process.env.POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const AMQP_URL = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

/** Where BENCH_PROFILE puts .cpuprofile files (outside the tree: open them in Chrome DevTools). */
export const PROFILE_DIR = path.join(tmpdir(), 'finance-bench-profiles');

const REGISTRY = registeredServices();

/** A registered service's name. */
export type ServiceName = string;
/** Every service of a bench system, the edge first (the order footprint and CPU tables print). */
export const SERVICE_NAMES: readonly ServiceName[] = [
  ...REGISTRY.filter((s) => s.role === 'edge'),
  ...REGISTRY.filter((s) => s.role !== 'edge'),
].map((s) => s.name);
/** 49xx: apart from `npm start`'s ports, derived from the registry's. */
const benchPort = (port: number) => 4900 + (port % 100);
const PORTS = Object.fromEntries(REGISTRY.map((s) => [s.name, benchPort(s.port)])) as Record<
  ServiceName,
  number
>;
const WITH_DATABASE = REGISTRY.filter((s) => s.database).map((s) => s.name);
export type DatabaseService = ServiceName;
/** Every service with a database consumes events (the user directory, at least). */
const CONSUMERS = WITH_DATABASE;
const EDGE = REGISTRY.find((s) => s.role === 'edge');

export function databaseUrl(database: string): string {
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${database}`;
  return url.toString();
}

export async function withPg<T>(url: string, fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export interface RunningChild {
  name: ServiceName;
  url: string;
  process: ChildProcess;
  lastLines: string[];
}

export interface System {
  run: string;
  gateway: string;
  children: Record<ServiceName, RunningChild>;
  databases: Record<DatabaseService, string>;
  consumerNames: Record<ServiceName, string>;
  /** Spawn of the first process → every /readyz answered 200 (fresh databases, migrations included). */
  coldStartMs: number;
  /** Resident set size in bytes of a service's Node process (and, for reports, its Chromium). */
  rss(name: ServiceName): { node: number; descendants: number };
  /** CPU time (user + system) a service's Node process has used so far, in ms. */
  cpuMs(name: ServiceName): number;
  /**
   * Stops a service and starts it again with these variables over its own (undefined drops one),
   * until its /readyz answers; its queue keeps what arrives meanwhile. A bench compares settings so.
   */
  restart(name: ServiceName, env: NodeJS.ProcessEnv): Promise<void>;
  stop(): Promise<void>;
}

function readRss(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /VmRSS:\s+(\d+)/.exec(status);
    return kb ? Number(kb[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Processes whose command line matches (pgrep -f). */
export function pidsMatching(pattern: string): number[] {
  return execSync(`pgrep -f '${pattern}' || true`).toString().split('\n').filter(Boolean).map(Number);
}

/** This run's PostgreSQL backends (their process titles name the bench databases). */
export function postgresBackendPids(system: System): number[] {
  return pidsMatching(`postgres: .* ${system.run}_`);
}

/** utime + stime from /proc/<pid>/stat (clock ticks, 100 per second on Linux). */
export function readCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return 0;
  }
}

function descendantsOf(pid: number): number[] {
  let children: number[] = [];
  try {
    const text = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
    children = text ? text.split(/\s+/).map(Number) : [];
  } catch {
    return [];
  }
  return children.flatMap((child) => [child, ...descendantsOf(child)]);
}

async function ready(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2000) });
    await res.arrayBuffer();
    return res.status === 200;
  } catch {
    return false;
  }
}

/** What each service was first started with, for `restart`. */
const spawnedWith = new Map<ServiceName, NodeJS.ProcessEnv>();

function stopChild(child: RunningChild): Promise<void> {
  return new Promise<void>((resolve) => {
    if (child.process.exitCode !== null || child.process.signalCode) return resolve();
    const killer = setTimeout(() => child.process.kill('SIGKILL'), 15_000);
    child.process.once('exit', () => {
      clearTimeout(killer);
      resolve();
    });
    child.process.kill('SIGTERM');
  });
}

function spawnService(name: ServiceName, env: NodeJS.ProcessEnv): RunningChild {
  if (!spawnedWith.has(name)) spawnedWith.set(name, env);
  // The built service exactly as `npm start` and the containers run it.
  const entry = path.join(ROOT, 'services', name, 'dist', 'main.js');
  // BENCH_PROFILE=ledger,gateway writes V8 CPU profiles of those services (on exit) to PROFILE_DIR.
  const profiled = (process.env.BENCH_PROFILE ?? '').split(',').includes(name);
  const flags = profiled ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : [];
  const child = spawn(process.execPath, [...flags, entry, name], {
    cwd: ROOT,
    env: { ...process.env, ...env, FORCE_COLOR: '0' },
    // Logs are written (serialising them is part of the cost) but not kept.
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const lastLines: string[] = [];
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    lastLines.push(...chunk.split('\n').filter(Boolean));
    lastLines.splice(0, Math.max(0, lastLines.length - 20));
  });
  return { name, url: `http://127.0.0.1:${PORTS[name]}`, process: child, lastLines };
}

export async function startSystem(): Promise<System> {
  const run = `bench_${randomBytes(3).toString('hex')}`;
  const databases = Object.fromEntries(
    WITH_DATABASE.map((name) => [name, databaseUrl(`${run}_${name}`)]),
  ) as Record<DatabaseService, string>;
  const consumerNames = Object.fromEntries(CONSUMERS.map((name) => [name, `${run}_${name}`])) as Record<
    ServiceName,
    string
  >;
  const jwksUrl = `http://127.0.0.1:${PORTS.auth}/.well-known/jwks.json`;
  const common = {
    NODE_ENV: 'development',
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info',
    AMQP_URL,
    JWKS_URL: jwksUrl,
  };
  const children = {} as Record<ServiceName, RunningChild>;
  const started = Date.now();
  children.auth = spawnService('auth', {
    ...common,
    PORT: String(PORTS.auth),
    DATABASE_URL: databases.auth,
    CONSUMER_NAME: consumerNames.auth,
    ACCESS_TOKEN_TTL_SECONDS: '3600',
    BCRYPT_ROUNDS: '10',
  });
  for (const name of CONSUMERS.filter((n) => n !== 'auth')) {
    children[name] = spawnService(name, {
      ...common,
      PORT: String(PORTS[name]),
      DATABASE_URL: databases[name],
      CONSUMER_NAME: consumerNames[name],
    });
  }
  if (EDGE) {
    children[EDGE.name] = spawnService(EDGE.name, {
      ...common,
      PORT: String(PORTS[EDGE.name]),
      METRICS_PORT: String(benchPort(EDGE.metricsPort ?? 9464)),
      ...Object.fromEntries(
        REGISTRY.filter((s) => s.role === 'api').map((s) => [s.urlVariable, children[s.name].url]),
      ),
      // The load generator is one client address: the per-client limit (600/min) would measure itself.
      RATE_LIMIT_PER_MINUTE: '100000000',
      AUTH_RATE_LIMIT_PER_MINUTE: '100000',
      MAX_CONNECTIONS_PER_CLIENT: '0',
    });
  }

  const system: System = {
    run,
    gateway: children[EDGE?.name ?? 'gateway'].url,
    children,
    databases,
    consumerNames,
    coldStartMs: 0,
    rss(name) {
      const pid = children[name].process.pid ?? 0;
      return { node: readRss(pid), descendants: descendantsOf(pid).reduce((sum, p) => sum + readRss(p), 0) };
    },
    cpuMs(name) {
      return readCpuMs(children[name].process.pid ?? 0);
    },
    async restart(name, env) {
      await stopChild(children[name]);
      children[name] = spawnService(name, { ...spawnedWith.get(name), ...env });
      const deadline = Date.now() + 60_000;
      while (!(await ready(children[name].url))) {
        if (children[name].process.exitCode !== null)
          throw new Error(`${name} exited:\n${children[name].lastLines.join('\n')}`);
        if (Date.now() > deadline) throw new Error(`${name} not ready 60 s after its restart`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    async stop() {
      await Promise.all(Object.values(children).map(stopChild));
      const broker = new Broker({ url: AMQP_URL, logger: testLogger('bench-cleanup'), connectionName: run });
      await broker.start();
      for (const name of Object.values(consumerNames))
        await deleteTestQueues(broker, name, DEFAULT_RETRY_DELAYS_MS.length);
      await broker.stop();
      await withPg(POSTGRES_URL, async (client) => {
        for (const url of Object.values(databases)) {
          await client.query(`DROP DATABASE IF EXISTS "${new URL(url).pathname.slice(1)}" WITH (FORCE)`);
        }
      });
    },
  };

  try {
    const deadline = Date.now() + 60_000;
    const pending = new Set<ServiceName>(Object.keys(children) as ServiceName[]);
    while (pending.size > 0) {
      for (const child of Object.values(children)) {
        if (child.process.exitCode !== null)
          throw new Error(`${child.name} exited:\n${child.lastLines.join('\n')}`);
      }
      for (const name of [...pending]) if (await ready(children[name].url)) pending.delete(name);
      if (Date.now() > deadline) throw new Error(`not ready after 60 s: ${[...pending].join(', ')}`);
      if (pending.size > 0) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    system.coldStartMs = Date.now() - started;
  } catch (error) {
    await system.stop().catch(() => undefined);
    throw error;
  }
  return system;
}

/** A real user: registered and logged in through the gateway (so tokens carry auth's real key). */
export async function registerUser(system: System, label: string): Promise<{ id: string; token: string }> {
  const suffix = randomBytes(4).toString('hex');
  const credentials = {
    email: `${label}-${suffix}@bench.test`,
    username: `${label}_${suffix}`,
    password: 'bench-Passw0rd!',
  };
  const registered = await fetch(`${system.gateway}/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(credentials),
  });
  const user = (await registered.json()) as { id?: string };
  if (registered.status !== 201 || !user.id)
    throw new Error(`register → ${registered.status} ${JSON.stringify(user)}`);
  const login = await fetch(`${system.gateway}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: credentials.email, password: credentials.password }),
  });
  const tokens = (await login.json()) as { access_token?: string };
  if (login.status !== 200 || !tokens.access_token) throw new Error(`login → ${login.status}`);
  return { id: user.id, token: tokens.access_token };
}

/** JSON over fetch with the bearer token; throws on an unexpected status so a bench never times errors. */
export async function call<T>(
  method: string,
  url: string,
  token: string,
  body?: unknown,
  expect = [200, 201],
): Promise<T> {
  const res = await fetch(url, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  if (!expect.includes(res.status)) throw new Error(`${method} ${url} → ${res.status} ${text.slice(0, 300)}`);
  return (text ? JSON.parse(text) : undefined) as T;
}
