#!/usr/bin/env node
// `npm start`: from a fresh clone to a running system in one command.
// Installs dependencies if missing, builds (incrementally), checks PostgreSQL and RabbitMQ answer,
// then supervises every service as a child process with prefixed logs until Ctrl-C / SIGTERM.
// Each service creates its own database and runs its migrations when it starts.
'use strict';
const { spawn, spawnSync } = require('child_process');
const { randomBytes } = require('crypto');
const http = require('http');
const net = require('net');
const path = require('path');
const { root, registeredServices, serviceFolders } = require('./lib/services');
const { formatLogLine, paint, colours } = require('./lib/log-format');
const { ensureInstalled } = require('./lib/install');

const env = process.env;
const settings = {
  // The server-level URL: each service gets the same server with its own database name.
  postgresUrl: env.POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/postgres',
  amqpUrl: env.AMQP_URL || 'amqp://guest:guest@127.0.0.1:5672',
  nodeEnv: env.NODE_ENV || 'development',
  logLevel: env.LOG_LEVEL || 'info',
  readyTimeoutMs: Number(env.READY_TIMEOUT_MS || 45_000),
  // Longer than a service's own SHUTDOWN_TIMEOUT_MS default (10 s), so a clean drain is never cut short.
  stopGraceMs: Number(env.STOP_GRACE_MS || 12_000),
  // JSON log lines as they are (for piping into a log tool) instead of the pretty form.
  rawLogs: env.RAW_LOGS === '1' || env.RAW_LOGS === 'true',
  // Services listen on loopback: only the gateway (on this machine) needs to reach them.
  serviceHost: env.SERVICE_HOST || '127.0.0.1',
  // What proves to a service that a request's X-Forwarded-For was written by our gateway.
  proxySecret: env.PROXY_SECRET || randomBytes(24).toString('base64url'),
  // Restart back-off for a service that crashed: doubles from the first to the last, reset after a good minute.
  restartMinMs: 1_000,
  restartMaxMs: 30_000,
};

const START_HINTS = {
  postgres:
    'start it with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start   (or: docker compose up -d postgres rabbitmq)',
  rabbitmq: 'start it with: rabbitmq-server -detached   (or: docker compose up -d postgres rabbitmq)',
};

function say(message, colour = 'cyan') {
  process.stdout.write(`${paint(colour, '[start]')} ${message}\n`);
}

function fail(message) {
  process.stderr.write(`${paint('red', '[start]')} ${message}\n`);
  process.exit(1);
}

function run(command, args, what) {
  const started = Date.now();
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', env });
  if (result.error) fail(`${what} could not run: ${result.error.message}`);
  if (result.status !== 0) fail(`${what} failed (exit ${result.status}); see the output above.`);
  say(`${what} done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

// ---------------------------------------------------------------- dependencies and build

function install() {
  if (!ensureInstalled(say)) fail('npm ci failed; see the output above.');
}

function build(services) {
  // Only services with an entry point: a folder still being written would fail the whole build.
  const configs = services.map((s) => `services/${s.name}/tsconfig.json`);
  const tsc = require.resolve('typescript/bin/tsc', { paths: [root] });
  say(`building ${services.map((s) => s.name).join(', ')} (tsc -b, incremental)`);
  run(process.execPath, [tsc, '-b', ...configs], 'build');
}

// ---------------------------------------------------------------- infrastructure checks

function tcpAnswers(host, port, timeoutMs = 2000) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port: Number(port), timeout: timeoutMs });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => (socket.destroy(), resolve(false)));
  });
}

function redact(url) {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}

async function checkPostgres() {
  const url = new URL(settings.postgresUrl);
  const where = `${url.hostname}:${url.port || 5432}`;
  if (!(await tcpAnswers(url.hostname, url.port || 5432))) {
    return `PostgreSQL is not answering on ${where} (POSTGRES_URL=${redact(settings.postgresUrl)}); ${START_HINTS.postgres}`;
  }
  const { Client } = require(require.resolve('pg', { paths: [root] }));
  const client = new Client({ connectionString: settings.postgresUrl, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (error) {
    return `PostgreSQL on ${where} accepts connections but SELECT 1 failed: ${error.message}`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function checkRabbitMq() {
  const url = new URL(settings.amqpUrl);
  const where = `${url.hostname}:${url.port || 5672}`;
  if (!(await tcpAnswers(url.hostname, url.port || 5672))) {
    return `RabbitMQ is not answering on ${where} (AMQP_URL=${redact(settings.amqpUrl)}); ${START_HINTS.rabbitmq}`;
  }
  const amqp = require(require.resolve('amqplib', { paths: [root] }));
  try {
    const connection = await amqp.connect(settings.amqpUrl, { timeout: 3000 });
    await connection.close();
    return null;
  } catch (error) {
    return `RabbitMQ on ${where} accepts TCP but an AMQP connection failed: ${error.message}`;
  }
}

function portFree(port) {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '0.0.0.0', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

// ---------------------------------------------------------------- the services

function databaseUrl(database) {
  const url = new URL(settings.postgresUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

function serviceEnvironment(service, services) {
  const common = {
    PORT: String(service.port),
    NODE_ENV: settings.nodeEnv,
    LOG_LEVEL: settings.logLevel,
    JWKS_URL:
      env.JWKS_URL ||
      `http://127.0.0.1:${services.find((s) => s.name === 'auth').port}/.well-known/jwks.json`,
    PROXY_SECRET: settings.proxySecret,
  };
  if (service.database) {
    common.DATABASE_URL = databaseUrl(service.database);
    common.AMQP_URL = settings.amqpUrl;
    common.HOST = settings.serviceHost;
  }
  if (service.role === 'edge') {
    // Each running service on its local port (the gateway has the same defaults; this keeps them in step).
    for (const upstream of services) {
      if (upstream.role !== 'edge') common[upstream.urlVariable] = `http://127.0.0.1:${upstream.port}`;
    }
  }
  // The supervisor's own settings must not leak into children under another meaning.
  const inherited = { ...env };
  for (const name of ['PORT', 'DATABASE_URL', 'POSTGRES_URL']) delete inherited[name];
  // `service.env`: what a caller reusing the supervisor adds (the fault harness: its own ports and limits).
  return { ...inherited, ...common, ...service.env, FORCE_COLOR: '0' };
}

class Supervisor {
  constructor(services) {
    this.services = services;
    this.children = new Map();
    this.lastLines = new Map();
    this.startedAt = new Map();
    this.backoffMs = new Map();
    this.restartTimers = new Map();
    this.stopping = null;
    const width = Math.max(...services.map((s) => s.name.length));
    this.prefixes = new Map(
      services.map((s, i) => [s.name, paint(colours[i % colours.length], `[${s.name.padEnd(width)}]`)]),
    );
  }

  start(service) {
    // `folder`: a second instance of a service under another name (the fault harness's two ledgers).
    const entry = path.join(root, 'services', service.folder ?? service.name, 'dist', 'main.js');
    const child = spawn(process.execPath, ['--enable-source-maps', entry], {
      cwd: root,
      env: serviceEnvironment(service, this.services),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.children.set(service.name, child);
    this.startedAt.set(service.name, Date.now());
    if (!this.lastLines.has(service.name)) this.lastLines.set(service.name, []);
    this.pipe(service.name, child.stdout, process.stdout);
    this.pipe(service.name, child.stderr, process.stderr);
    child.once('exit', (code, signal) => this.exited(service.name, code, signal));
  }

  pipe(name, stream, out) {
    let buffered = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk) => {
      buffered += chunk;
      let newline;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        this.line(name, buffered.slice(0, newline), out);
        buffered = buffered.slice(newline + 1);
      }
    });
    stream.on('end', () => buffered && this.line(name, buffered, out));
  }

  line(name, text, out) {
    const last = this.lastLines.get(name);
    last.push(text);
    if (last.length > 20) last.shift();
    out.write(`${this.prefixes.get(name)} ${settings.rawLogs ? text : formatLogLine(text)}\n`);
  }

  /**
   * A service that dies is started again after a back-off (1 s, doubling to 30 s while it keeps
   * dying; back to 1 s once it ran a minute), so one crash does not take the whole system down.
   */
  exited(name, code, signal) {
    this.children.delete(name);
    if (this.stopping) return;
    const service = this.services.find((s) => s.name === name);
    const ranMs = Date.now() - (this.startedAt.get(name) ?? 0);
    const previous = this.backoffMs.get(name) ?? 0;
    const delay =
      ranMs > 60_000 || previous === 0
        ? settings.restartMinMs
        : Math.min(previous * 2, settings.restartMaxMs);
    this.backoffMs.set(name, delay);
    const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
    process.stderr.write(
      `${paint('red', '[start]')} ${name} ${how}; restarting it in ${(delay / 1000).toFixed(0)} s\n`,
    );
    const timer = setTimeout(() => {
      this.restartTimers.delete(name);
      if (!this.stopping) this.start(service);
    }, delay);
    this.restartTimers.set(name, timer);
  }

  /** SIGTERM to every child, SIGKILL to those still running after the grace period; then exit. */
  stop(exitCode) {
    if (this.stopping) return this.stopping;
    for (const timer of this.restartTimers.values()) clearTimeout(timer);
    this.restartTimers.clear();
    this.stopping = new Promise((resolve) => {
      if (this.children.size === 0) return resolve();
      say(`stopping ${[...this.children.keys()].join(', ')}`, 'yellow');
      const killer = setTimeout(() => {
        for (const [name, child] of this.children) {
          say(`${name} did not stop within ${settings.stopGraceMs} ms: SIGKILL`, 'red');
          child.kill('SIGKILL');
        }
      }, settings.stopGraceMs);
      const check = () => {
        if (this.children.size === 0) {
          clearTimeout(killer);
          resolve();
        }
      };
      for (const [, child] of this.children) {
        child.once('exit', () => setImmediate(check));
        child.kill('SIGTERM');
      }
    }).then(() => {
      say('all services stopped', exitCode ? 'red' : 'yellow');
      process.exit(exitCode);
    });
    return this.stopping;
  }

  killNow() {
    for (const [, child] of this.children) child.kill('SIGKILL');
  }
}

function readyzStatus(port) {
  return new Promise((resolve) => {
    const request = http.get({ host: '127.0.0.1', port, path: '/readyz', timeout: 2000 }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode, body }));
    });
    request.on('timeout', () => request.destroy(new Error('timed out')));
    request.on('error', (error) => resolve({ status: 0, body: error.message }));
  });
}

async function waitUntilReady(supervisor, service) {
  const deadline = Date.now() + settings.readyTimeoutMs;
  let last = { status: 0, body: '' };
  while (Date.now() < deadline) {
    if (supervisor.stopping) return false;
    last = await readyzStatus(service.port);
    if (last.status === 200) return true;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  if (supervisor.stopping) return false;
  const answer = last.status ? `${last.status} ${last.body.slice(0, 300)}` : last.body;
  process.stderr.write(
    `${paint('red', '[start]')} ${service.name} is not ready after ${settings.readyTimeoutMs / 1000} s ` +
      `(GET http://127.0.0.1:${service.port}/readyz → ${answer}). Its last log lines:\n`,
  );
  for (const text of supervisor.lastLines.get(service.name) ?? []) {
    process.stderr.write(`    ${formatLogLine(text)}\n`);
  }
  return false;
}

async function main() {
  const started = Date.now();
  const services = registeredServices();
  for (const folder of serviceFolders().filter((name) => !services.some((s) => s.name === name))) {
    say(
      `services/${folder} is not in services.json: not started (npm run new-service registers a service)`,
      'yellow',
    );
  }
  if (services.length === 0) fail('services.json lists no service: nothing to start.');

  install();
  // Infrastructure first: it is the likeliest problem and the quickest to check.
  const problems = (await Promise.all([checkPostgres(), checkRabbitMq()])).filter(Boolean);
  for (const problem of problems) process.stderr.write(`${paint('red', '[start]')} ${problem}\n`);
  if (problems.length) process.exit(1);
  build(services);

  for (const service of services) {
    if (!(await portFree(service.port))) {
      fail(`port ${service.port} (${service.name}) is already in use: is another \`npm start\` running?`);
    }
  }

  const supervisor = new Supervisor(services);
  let firstSignalAt = 0;
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, () => {
      // A signal sent to the whole process group arrives here and at the children at once, and
      // tools repeat it; only a deliberate second Ctrl-C (after a moment) means "kill now".
      if (firstSignalAt && Date.now() - firstSignalAt < 2000) return;
      if (firstSignalAt) {
        say('second interrupt: killing now', 'red');
        supervisor.killNow();
        process.exit(1);
      }
      firstSignalAt = Date.now();
      say(`${signal} received`, 'yellow');
      supervisor.stop(0);
    });
  }
  // Never leave orphans behind, whatever way this process ends.
  process.on('exit', () => supervisor.killNow());

  say(`starting ${services.map((s) => `${s.name}:${s.port}`).join(' ')}`);
  for (const service of services) supervisor.start(service);

  const ready = await Promise.all(services.map((service) => waitUntilReady(supervisor, service)));
  if (supervisor.stopping) return;
  if (!ready.every(Boolean)) {
    supervisor.stop(1);
    return;
  }

  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  say(`all ${services.length} services ready in ${seconds} s`, 'green');
  const edge = services.find((s) => s.role === 'edge');
  if (edge) {
    const url = `http://localhost:${edge.port}`;
    say(paint('bold', `gateway: ${url}    docs: ${url}/docs`), 'green');
  } else {
    say(
      `no gateway yet; services answer directly: ${services.map((s) => `http://localhost:${s.port}`).join(' ')}`,
    );
  }
  say('Ctrl-C stops everything', 'green');
}

// The fault harness (faults/) runs the services exactly this way: it reuses these parts.
module.exports = { Supervisor, serviceEnvironment, waitUntilReady, readyzStatus, build, settings };

if (require.main === module) main().catch((error) => fail(error.stack || String(error)));
