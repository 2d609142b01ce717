// The system under fault: the built services started exactly as `npm start` starts them (its
// Supervisor and environment, scripts/start.js), on the fault run's own PostgreSQL and RabbitMQ,
// on ports of their own (47xx) so a developer's `npm start` or a bench can run beside it. Two
// ledger instances sit behind a round-robin proxy (faults/lib/proxy.js), as replicas behind a
// Service would, and so do two gateway instances (the load talks to their proxy, an ingress).
// The supervisor restarts a service that dies, as in `npm start`.
'use strict';
const fs = require('fs');
const http = require('http');
const os = require('os');
const path = require('path');

const PORT_BASE = Number(process.env.FAULTS_PORT_BASE || 4700);
const portFor = (registryPort) => PORT_BASE + (registryPort % 100);

/**
 * GET /readyz's status (0: no answer within 5 s). Not npm start's 2 s probe: the gateway's
 * answer waits for its own probes of every service, which on a loaded machine takes longer.
 */
function readyzStatus(port) {
  return new Promise((resolve) => {
    const request = http.get({ host: '127.0.0.1', port, path: '/readyz', timeout: 5000 }, (response) => {
      response.resume();
      resolve(response.statusCode);
    });
    request.on('timeout', () => request.destroy(new Error('timed out')));
    request.on('error', () => resolve(0));
  });
}

/** Builds the list of services to run and the system object; `infra` gives the server URLs. */
function createSystem(infra, options = {}) {
  // start.js reads the server URLs when it is loaded: set them first.
  process.env.POSTGRES_URL = infra.postgres.url;
  process.env.AMQP_URL = infra.rabbit.url;
  process.env.LOG_LEVEL = process.env.FAULTS_LOG_LEVEL || 'info';
  const start = require('../../scripts/start');
  const { registeredServices } = require('../../scripts/lib/services');
  const { RoundRobinProxy } = require('./proxy');

  const registry = registeredServices();
  const ledgerEntry = registry.find((s) => s.name === 'ledger');
  const edge = registry.find((s) => s.role === 'edge');
  const ports = Object.fromEntries(registry.map((s) => [s.name, portFor(s.port)]));
  const ledgerB = { ...ledgerEntry, name: 'ledger-b', folder: 'ledger', urlVariable: 'LEDGER_B_URL' };
  const proxyPort = portFor(ledgerEntry.port) + 20;
  const gatewayB = { ...edge, name: 'gateway-b', folder: edge.name };
  const gatewayProxyPort = ports[edge.name] + 5;
  const metricsPorts = [portFor(edge.metricsPort ?? 9464), portFor(edge.metricsPort ?? 9464) + 10];

  const services = [];
  for (const entry of registry) {
    const service = { ...entry, port: ports[entry.name], env: {} };
    // Readiness red for a second before the listener closes: the proxy's probe (every 200 ms)
    // takes the instance out first. In k8s the preStop sleep plays that part.
    // The gateway's /readyz waits for its probes of every service (1 s here), so a proxy needs
    // longer to see it red: two failed probes.
    service.env.SHUTDOWN_DRAIN_DELAY_MS =
      process.env.FAULTS_DRAIN_DELAY_MS ?? (entry.role === 'edge' ? '3000' : '1500');
    // Cheap hashing and tokens that outlive the longest run: the load logs in once per user.
    // The recurring scheduler every 2 s (not 5 min): its rounds, one replica at a time, run while
    // instances come and go, and the rolling restart checks each occurrence is booked once.
    // Imports of over 1,000 rows run as jobs, looked for every 500 ms (not 5 s): the killed import
    // is a job, resumed soon after the restart.
    if (entry.name === 'ledger')
      Object.assign(service.env, {
        RECURRING_SCHEDULE: '*/2 * * * * *',
        IMPORT_BACKGROUND_ROWS: '1000',
        IMPORT_JOB_POLL_MS: '500',
      });
    if (entry.name === 'auth')
      Object.assign(service.env, { BCRYPT_ROUNDS: '4', ACCESS_TOKEN_TTL_SECONDS: '86400' });
    if (entry.role === 'edge') {
      Object.assign(service.env, {
        METRICS_PORT: String(metricsPorts[0]),
        RATE_LIMIT_PER_MINUTE: '1000000',
        AUTH_RATE_LIMIT_PER_MINUTE: '100000',
        MAX_CONNECTIONS_PER_CLIENT: '100000',
        UPSTREAM_TIMEOUT_MS: String(options.upstreamTimeoutMs ?? 5000),
        // Its /readyz probes every service; a service slow to answer (a loaded machine) is reported
        // within 1 s, never holding the gateway's own answer past its probes' 2 s timeout.
        PROBE_TIMEOUT_MS: '1000',
        // The ledger's two instances, through the round-robin proxy.
        LEDGER_URL: `http://127.0.0.1:${proxyPort}`,
      });
    }
    services.push(service);
    if (entry.name === 'ledger')
      services.push({ ...ledgerB, port: ports.ledger + 10, env: { ...service.env } });
    if (entry.role === 'edge') {
      services.push({
        ...gatewayB,
        port: ports[edge.name] + 10,
        env: { ...service.env, METRICS_PORT: String(metricsPorts[1]) },
      });
    }
  }

  const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'faults-logs-'));
  const logFile = fs.createWriteStream(path.join(logDir, 'services.log'));

  /** npm start's supervisor, writing the services' lines to a file instead of the terminal. */
  class QuietSupervisor extends start.Supervisor {
    constructor(list) {
      super(list);
      this.restarts = [];
    }
    line(name, text) {
      const last = this.lastLines.get(name);
      last.push(text);
      if (last.length > 20) last.shift();
      logFile.write(`[${name}] ${text}\n`);
    }
    exited(name, code, signal) {
      this.restarts.push({ name, code, signal, at: Date.now() });
      logFile.write(`[supervisor] ${name} exited (${signal ?? code}); restarting\n`);
      // Quiet: the supervisor's own message goes to the log, not the report.
      const write = process.stderr.write;
      process.stderr.write = (chunk) => logFile.write(chunk);
      try {
        super.exited(name, code, signal);
      } finally {
        process.stderr.write = write;
      }
    }
  }

  const supervisor = new QuietSupervisor(services);
  const proxy = new RoundRobinProxy('ledger', proxyPort, [
    `http://127.0.0.1:${ports.ledger}`,
    `http://127.0.0.1:${ports.ledger + 10}`,
  ]);
  const gatewayProxy = new RoundRobinProxy(
    'gateway',
    gatewayProxyPort,
    [`http://127.0.0.1:${ports[edge.name]}`, `http://127.0.0.1:${ports[edge.name] + 10}`],
    { probeTimeoutMs: 5000 },
  );

  const byName = (name) => {
    const service = services.find((s) => s.name === name);
    if (!service) throw new Error(`no service ${name}`);
    return service;
  };

  return {
    services,
    supervisor,
    proxy,
    gatewayProxy,
    logDir,
    /** Where clients go: the proxy in front of both gateways. */
    gateway: `http://127.0.0.1:${gatewayProxyPort}`,
    /** The metrics base URL of each gateway instance. */
    gatewayMetrics: metricsPorts.map((port) => `http://127.0.0.1:${port}`),
    url: (name) => `http://127.0.0.1:${byName(name).port}`,
    port: (name) => byName(name).port,
    databaseUrl(name) {
      const url = new URL(infra.postgres.url);
      url.pathname = `/${byName(name).database}`;
      return url.toString();
    },
    databaseServices: () => services.filter((s) => s.database && !s.folder),

    async start() {
      start.build(registry);
      await proxy.start();
      await gatewayProxy.start();
      for (const service of services) supervisor.start(service);
      await this.waitAllReady();
    },

    async waitReady(name, timeoutMs = 60_000) {
      const service = byName(name);
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const status = await readyzStatus(service.port);
        if (status === 200) return;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      throw new Error(`${name} not ready within ${timeoutMs / 1000} s; logs in ${logDir}`);
    },

    async waitAllReady(timeoutMs = 180_000) {
      await Promise.all(services.map((s) => this.waitReady(s.name, timeoutMs)));
    },

    pid(name) {
      const child = supervisor.children.get(name);
      if (!child) throw new Error(`${name} is not running`);
      return child.pid;
    },

    signal(name, signal) {
      process.kill(this.pid(name), signal);
    },

    /** Resolves when the process that is `name` now has exited (the supervisor then restarts it). */
    exited(name) {
      const child = supervisor.children.get(name);
      if (!child) return Promise.resolve();
      return new Promise((resolve) => child.once('exit', () => resolve()));
    },

    async stop() {
      // The supervisor's stop() ends the process when done; ours goes on to the report.
      for (const timer of supervisor.restartTimers.values()) clearTimeout(timer);
      supervisor.stopping = Promise.resolve();
      const exits = [...supervisor.children.values()].map(
        (child) =>
          new Promise((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', resolve))),
      );
      for (const child of supervisor.children.values()) {
        // A stopped (SIGSTOP) process would ignore SIGTERM until continued.
        child.kill('SIGCONT');
        child.kill('SIGTERM');
      }
      const killer = setTimeout(() => supervisor.killNow(), 12_000);
      await Promise.all(exits);
      clearTimeout(killer);
      await proxy.stop();
      await gatewayProxy.stop();
      await new Promise((resolve) => logFile.end(resolve));
    },
  };
}

module.exports = { createSystem };
