// The fault tests' own PostgreSQL cluster and RabbitMQ node: faults stop, restart and cut them, so
// they must never be the shared ones other work runs on. Started on demand from the binaries the
// machine has (initdb/pg_ctl, rabbitmq-server), in a temporary folder, on ports of their own, and
// stopped afterwards. FAULTS_POSTGRES_URL / FAULTS_AMQP_URL name servers to use instead (then the
// scenarios that restart them are skipped: the harness never restarts what it did not start).
'use strict';
const { execFile } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const PG_PORT = Number(process.env.FAULTS_PG_PORT || 5433);
const AMQP_PORT = Number(process.env.FAULTS_AMQP_PORT || 5673);
const RABBIT_DIST_PORT = AMQP_PORT + 20000;
const RABBIT_NODE = process.env.FAULTS_RABBIT_NODE || `faults${AMQP_PORT}@localhost`;

/** Runs a command without blocking the event loop (the load goes on while a fault is injected). */
function sh(command, args, options = {}) {
  return new Promise((resolve, reject) => {
    execFile(command, args, { encoding: 'utf8', timeout: 120_000, ...options }, (error, stdout, stderr) => {
      const status = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      if (error && !options.allowFail) {
        reject(
          new Error(
            `${command} ${args.join(' ')} failed (${error.code}): ${stderr || stdout || error.message}`,
          ),
        );
      } else resolve({ status, stdout, stderr });
    });
  });
}

function which(name, extraDirs = []) {
  for (const dir of [...(process.env.PATH || '').split(':'), ...extraDirs]) {
    const candidate = path.join(dir, name);
    if (dir && fs.existsSync(candidate)) return candidate;
  }
  return null;
}

function postgresBinDirs() {
  const base = '/usr/lib/postgresql';
  if (!fs.existsSync(base)) return [];
  return fs
    .readdirSync(base)
    .sort((a, b) => Number(b) - Number(a))
    .map((version) => path.join(base, version, 'bin'));
}

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/** PostgreSQL refuses to run as root; as root the cluster belongs to the `postgres` user. */
function asPostgresUser(command, args, options) {
  return isRoot
    ? sh('runuser', ['-u', 'postgres', '--', command, ...args], options)
    : sh(command, args, options);
}

async function tcpAnswers(port) {
  const net = require('net');
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port, timeout: 1000 });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => (socket.destroy(), resolve(false)));
  });
}

async function waitFor(what, check, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${what} did not come up within ${timeoutMs / 1000} s`);
}

class OwnPostgres {
  constructor() {
    this.url = `postgres://postgres@127.0.0.1:${PG_PORT}/postgres`;
    this.controllable = true;
    const initdb = which('initdb', postgresBinDirs());
    if (!initdb) throw new Error('no initdb found (install PostgreSQL or set FAULTS_POSTGRES_URL)');
    this.bin = path.dirname(initdb);
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'faults-pg-'));
    this.data = path.join(this.dir, 'data');
  }

  async start() {
    if (await tcpAnswers(PG_PORT)) throw new Error(`port ${PG_PORT} is taken: set FAULTS_PG_PORT`);
    this.started = true;
    if (isRoot) await sh('chown', ['postgres', this.dir]);
    await asPostgresUser(path.join(this.bin, 'initdb'), [
      '-D',
      this.data,
      '-U',
      'postgres',
      '--auth=trust',
      '-E',
      'UTF8',
    ]);
    fs.appendFileSync(
      path.join(this.data, 'postgresql.conf'),
      `\nport = ${PG_PORT}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '${this.dir}'\n` +
        'max_connections = 300\nfsync = off\nsynchronous_commit = off\nfull_page_writes = off\n',
    );
    await this.run('start');
  }

  run(action) {
    const args = ['-D', this.data, '-l', path.join(this.dir, 'server.log'), '-w', '-t', '60'];
    if (action === 'stop' || action === 'restart') args.push('-m', 'fast');
    return asPostgresUser(path.join(this.bin, 'pg_ctl'), [...args, action]);
  }

  /** pg_ctl restart -m fast: every connection is cut, the server is back within seconds. */
  async restart() {
    await this.run('restart');
  }

  /** Stops the server if it was started, and removes its folder in any case. */
  async stop() {
    try {
      if (this.started) await this.run('stop');
    } finally {
      fs.rmSync(this.dir, { recursive: true, force: true });
    }
  }
}

class OwnRabbit {
  constructor() {
    this.url = `amqp://guest:guest@127.0.0.1:${AMQP_PORT}`;
    this.node = RABBIT_NODE;
    this.controllable = true;
    // Debian's wrappers in /usr/sbin run only as root (then as the rabbitmq user); anyone else
    // (a CI runner) runs the real scripts, with its own Erlang cookie in $HOME.
    const real = '/usr/lib/rabbitmq/bin';
    const direct = !isRoot && fs.existsSync(path.join(real, 'rabbitmq-server'));
    this.server = direct ? path.join(real, 'rabbitmq-server') : which('rabbitmq-server', ['/usr/sbin', real]);
    this.rabbitmqctl = direct ? path.join(real, 'rabbitmqctl') : which('rabbitmqctl', ['/usr/sbin', real]);
    if (!this.server || !this.rabbitmqctl) {
      throw new Error('no rabbitmq-server found (install RabbitMQ or set FAULTS_AMQP_URL)');
    }
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'faults-rabbit-'));
  }

  env() {
    return {
      ...process.env,
      RABBITMQ_NODENAME: this.node,
      RABBITMQ_NODE_PORT: String(AMQP_PORT),
      RABBITMQ_DIST_PORT: String(RABBIT_DIST_PORT),
      RABBITMQ_MNESIA_BASE: path.join(this.dir, 'mnesia'),
      RABBITMQ_LOG_BASE: path.join(this.dir, 'log'),
      RABBITMQ_CONFIG_FILE: path.join(this.dir, 'rabbitmq.conf'),
      RABBITMQ_ENABLED_PLUGINS_FILE: path.join(this.dir, 'enabled_plugins'),
      // Not the machine's rabbitmq-env.conf: it names the shared node.
      RABBITMQ_CONF_ENV_FILE: path.join(this.dir, 'rabbitmq-env.conf'),
    };
  }

  async start() {
    if (await tcpAnswers(AMQP_PORT)) throw new Error(`port ${AMQP_PORT} is taken: set FAULTS_AMQP_PORT`);
    this.started = true;
    fs.writeFileSync(path.join(this.dir, 'rabbitmq.conf'), `listeners.tcp.local = 127.0.0.1:${AMQP_PORT}\n`);
    fs.writeFileSync(path.join(this.dir, 'enabled_plugins'), '[].\n');
    fs.writeFileSync(path.join(this.dir, 'rabbitmq-env.conf'), 'ERL_EPMD_ADDRESS=127.0.0.1\n');
    // The packaged scripts drop from root to the rabbitmq user, which must own the folder.
    if (isRoot) await sh('chown', ['-R', 'rabbitmq:rabbitmq', this.dir], { allowFail: true });
    await sh(this.server, ['-detached'], { env: this.env() });
    await waitFor(`RabbitMQ node ${this.node}`, async () => {
      const result = await sh(this.rabbitmqctl, ['-n', this.node, 'await_startup', '--timeout', '5'], {
        env: this.env(),
        allowFail: true,
      });
      return result.status === 0;
    });
  }

  ctl(...args) {
    // Always -n: without it rabbitmqctl would act on the machine's shared node.
    return sh(this.rabbitmqctl, ['-n', this.node, ...args], { env: this.env() });
  }

  async stopApp() {
    await this.ctl('stop_app');
  }

  async startApp() {
    await this.ctl('start_app');
    await this.ctl('await_startup');
  }

  /** Stops the node if it was started, and removes its folder in any case. */
  async stop() {
    try {
      if (this.started) await this.ctl('stop');
    } finally {
      fs.rmSync(this.dir, { recursive: true, force: true });
    }
  }
}

class GivenServer {
  constructor(url) {
    this.url = url;
    this.controllable = false;
  }
  async start() {}
  async stop() {}
}

/** The servers the run uses: its own unless FAULTS_POSTGRES_URL / FAULTS_AMQP_URL name others. */
function chooseInfrastructure() {
  const postgres = process.env.FAULTS_POSTGRES_URL
    ? new GivenServer(process.env.FAULTS_POSTGRES_URL)
    : new OwnPostgres();
  const rabbit = process.env.FAULTS_AMQP_URL ? new GivenServer(process.env.FAULTS_AMQP_URL) : new OwnRabbit();
  return { postgres, rabbit };
}

module.exports = { chooseInfrastructure, waitFor, tcpAnswers };
