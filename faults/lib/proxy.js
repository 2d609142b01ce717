// A small round-robin HTTP proxy in front of a service's replicas, behaving like a Kubernetes
// Service plus a readiness probe (or nginx with health checks): it probes each backend's /readyz
// every PROBE_MS and sends requests only to ready ones; a request whose connection could not even
// be opened (nothing was sent) goes to the next backend. Nothing else is retried: a request that
// reached a backend and failed is the client's failure, which is what the graceful test counts.
// Two of them in a fault run: one in front of the two ledgers (the gateway's upstream), one in
// front of the two gateways (the ingress the load talks to).
'use strict';
const http = require('http');

const PROBE_MS = 200;
/** Like the manifests' readinessProbe: out of rotation after two failed probes in a row, back after one good. */
const FAILURE_THRESHOLD = 2;

class RoundRobinProxy {
  /**
   * `name` is what its 502s say ("ledger", "gateway"); `probeTimeoutMs` how long a /readyz may
   * take (the gateway's waits for its own probes of every service).
   */
  constructor(name, port, backends, { probeTimeoutMs = 2000 } = {}) {
    this.name = name;
    this.probeTimeoutMs = probeTimeoutMs;
    this.port = port;
    this.backends = backends.map((url) => ({ url: new URL(url), ready: false, failures: 0, probing: false }));
    this.next = 0;
    this.agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
    this.stats = { forwarded: 0, connectRetries: 0, noBackend: 0, failedAfterConnect: {} };
    this.server = http.createServer((req, res) => this.forward(req, res));
    this.server.keepAliveTimeout = 65_000;
  }

  async start() {
    this.timer = setInterval(() => this.probeAll(), PROBE_MS);
    await new Promise((resolve) => this.server.listen(this.port, '127.0.0.1', resolve));
  }

  async stop() {
    clearInterval(this.timer);
    this.agent.destroy();
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  /** Whether requests go to the backend on `port` now (it is back in rotation). */
  routesTo(port) {
    return this.backends.some((b) => Number(b.url.port) === port && b.ready);
  }

  probeAll() {
    for (const backend of this.backends) {
      // One probe at a time per backend: a slow /readyz must not pile up more of them.
      if (backend.probing) continue;
      backend.probing = true;
      const outcome = (ok) => {
        backend.probing = false;
        backend.failures = ok ? 0 : backend.failures + 1;
        if (ok) backend.ready = true;
        else if (backend.failures >= FAILURE_THRESHOLD) backend.ready = false;
      };
      const request = http.get(
        {
          host: backend.url.hostname,
          port: backend.url.port,
          path: '/readyz',
          timeout: this.probeTimeoutMs,
          agent: false,
        },
        (response) => {
          response.resume();
          outcome(response.statusCode === 200);
        },
      );
      request.on('timeout', () => request.destroy(new Error('probe timed out')));
      request.on('error', () => outcome(false));
    }
  }

  pick(exclude) {
    const candidates = this.backends.filter((b) => b.ready && !exclude.has(b));
    const pool = candidates.length ? candidates : this.backends.filter((b) => !exclude.has(b));
    if (pool.length === 0) return null;
    this.next = (this.next + 1) % pool.length;
    return pool[this.next];
  }

  forward(req, res) {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => this.send(req, res, Buffer.concat(chunks), new Set()));
  }

  send(req, res, body, tried) {
    const backend = this.pick(tried);
    if (!backend) {
      this.stats.noBackend += 1;
      res.writeHead(502, { 'content-type': 'application/problem+json' });
      res.end(JSON.stringify({ title: `no ${this.name} backend answered`, status: 502 }));
      return;
    }
    tried.add(backend);
    let connected = false;
    const upstream = http.request(
      {
        host: backend.url.hostname,
        port: backend.url.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
        agent: this.agent,
      },
      (response) => {
        this.stats.forwarded += 1;
        res.writeHead(response.statusCode, response.headers);
        response.pipe(res);
      },
    );
    upstream.on('socket', (socket) => {
      // A reused keep-alive socket is connected already; a fresh one once 'connect' fires.
      if (!socket.connecting) connected = true;
      else socket.once('connect', () => (connected = true));
    });
    upstream.on('error', (error) => {
      if (!connected && !res.headersSent) {
        this.stats.connectRetries += 1;
        this.stats.lastConnectError = `${backend.url.port}: ${error.code ?? error.message}`;
        backend.ready = false;
        return this.send(req, res, body, tried);
      }
      const reason = error.code ?? error.message;
      this.stats.failedAfterConnect[reason] = (this.stats.failedAfterConnect[reason] ?? 0) + 1;
      if (!res.headersSent) {
        res.writeHead(502, { 'content-type': 'application/problem+json' });
        res.end(
          JSON.stringify({
            title: `${this.name} backend failed: ${error.code ?? error.message}`,
            status: 502,
          }),
        );
      } else {
        res.destroy(error);
      }
    });
    upstream.end(body);
  }
}

module.exports = { RoundRobinProxy };
