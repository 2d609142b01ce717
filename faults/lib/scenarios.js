// The faults, one function each. Every scenario gets fresh users, runs the steady load, injects
// its fault at a point of the load, and returns its verdict: `failures` (empty = passed), the
// measured figures, and the convergence report where the read models are compared.
'use strict';
const { execFile } = require('child_process');
const path = require('path');
const { Client } = require('pg');
const amqp = require('amqplib');
const { createUser, runLoad, expectStatus, PASSWORD, today } = require('./load');
const { awaitConvergence, formatReport } = require('./converge');
const { waitFor } = require('./infra');

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
let userSerial = 0;

async function makeUsers(context, count) {
  const users = [];
  for (let i = 0; i < count; i += 1) {
    userSerial += 1;
    users.push(await createUser(context.client, `f${context.runId}u${userSerial}`));
  }
  return users;
}

/** Answers in the client's log from `from` on that count as failures of the API: no answer, or a 5xx. */
function failedAnswers(client, from, to = client.log.length) {
  return client.log.slice(from, to).filter((e) => e.status === 0 || e.status >= 500);
}

async function converge(context, users, result) {
  const convergence = await awaitConvergence(context.client, users, { timeoutMs: context.convergeTimeoutMs });
  result.report = formatReport(convergence);
  result.figures.convergedAfterSeconds = convergence.seconds;
  result.figures.differences = convergence.differences;
  if (convergence.differences) result.failures.push(`${convergence.differences} read-model difference(s)`);
}

function newResult(name) {
  return { name, failures: [], figures: {}, report: '' };
}

/** `work(client)` on a connection of its own to a service's database. */
async function withDatabase(context, service, work) {
  const client = new Client({ connectionString: context.system.databaseUrl(service) });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

// ---------------------------------------------------------------- broker restart

async function brokerRestart(context) {
  const result = newResult('broker restart (rabbitmqctl stop_app / start_app mid-load)');
  if (!context.infra.rabbit.controllable)
    return { ...result, skipped: 'FAULTS_AMQP_URL given: not restarting a broker the run did not start' };
  const users = await makeUsers(context, context.users);
  const { total, rate } = context.load;
  let outage;
  const load = await runLoad(context.client, users, {
    total,
    ratePerSecond: rate,
    faults: [
      {
        at: Math.floor(total * 0.3),
        run: async () => {
          const started = Date.now();
          await context.infra.rabbit.stopApp();
          await sleep(context.outageMs);
          await context.infra.rabbit.startApp();
          outage = (Date.now() - started) / 1000;
        },
      },
    ],
  });
  result.figures.load = load;
  result.figures.brokerDownSeconds = outage;
  await context.system.waitAllReady();
  await converge(context, users, result);
  return result;
}

// ---------------------------------------------------------------- crashing consumers

async function crashingConsumers(context) {
  const times = context.killsPerVictim;
  const result = newResult(
    `crashing consumers (SIGKILL budgets, reports, goals, notifier ${times === 1 ? 'once' : `${times} times`} each)`,
  );
  const users = await makeUsers(context, context.users);
  const victims = ['budgets', 'reports', 'goals', 'notifier'];
  const kills = [];
  const { total, rate } = context.load;
  // The kills spread over the middle of the load: each victim `times` times, once ready again.
  const points = victims.flatMap((name, i) =>
    Array.from({ length: times }, (_, k) => ({
      name,
      at: Math.floor(total * (0.15 + (k * 0.35) / Math.max(1, times - 1) + i * 0.08)),
    })),
  );
  const load = await runLoad(context.client, users, {
    total,
    ratePerSecond: rate,
    faults: points.map((point) => ({
      at: point.at,
      run: async () => {
        await context.system.waitReady(point.name);
        const exited = context.system.exited(point.name);
        context.system.signal(point.name, 'SIGKILL');
        await exited;
        kills.push(`${point.name}@${point.at}`);
      },
    })),
  });
  result.figures.load = load;
  result.figures.kills = kills;
  if (kills.length !== points.length)
    result.failures.push(`only ${kills.length} of ${points.length} kills happened`);
  await context.system.waitAllReady();
  await converge(context, users, result);
  return result;
}

// ---------------------------------------------------------------- database blip

async function terminateBackends(context, database) {
  const client = new Client({ connectionString: context.infra.postgres.url });
  await client.connect();
  try {
    const { rows } = await client.query(
      'SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
      [database],
    );
    return Number(rows[0].n);
  } finally {
    await client.end();
  }
}

async function databaseBlip(context) {
  const result = newResult('database blip (pg_terminate_backend on the ledger, then a PostgreSQL restart)');
  if (!context.infra.postgres.controllable)
    return { ...result, skipped: 'FAULTS_POSTGRES_URL given: not restarting a server the run did not start' };
  const users = await makeUsers(context, context.users);
  const { total, rate } = context.load;
  const from = context.client.log.length;
  const events = {};
  const load = await runLoad(context.client, users, {
    total,
    ratePerSecond: rate,
    faults: [
      {
        at: Math.floor(total * 0.3),
        run: async () => (events.terminated = await terminateBackends(context, 'finance_ledger')),
      },
      {
        at: Math.floor(total * 0.6),
        run: async () => {
          const started = Date.now();
          await context.infra.postgres.restart();
          events.restartSeconds = (Date.now() - started) / 1000;
        },
      },
    ],
  });
  const answers = context.client.log.slice(from);
  const status = (predicate) => answers.filter(predicate).length;
  const unavailable = context.client.log.slice(from).filter((e) => e.status === 503);
  result.figures = {
    load,
    ledgerConnectionsTerminated: events.terminated,
    postgresRestartSeconds: events.restartSeconds,
    answers: context.client.summary(from),
    status503: unavailable.length,
    status500: status((e) => e.status === 500),
    noAnswer: status((e) => e.status === 0),
    slowestMs: Math.max(...answers.map((e) => e.ms)),
  };
  if (result.figures.status500) result.failures.push(`${result.figures.status500} answers were 500`);
  if (result.figures.noAnswer) result.failures.push(`${result.figures.noAnswer} requests got no answer`);
  const badProblems = unavailable.filter(
    (e) => !e.contentType.startsWith('application/problem+json') || !e.retryAfter,
  );
  if (badProblems.length)
    result.failures.push(`${badProblems.length} 503s without problem+json and Retry-After`);
  await context.system.waitAllReady();
  await converge(context, users, result);
  return result;
}

// ---------------------------------------------------------------- a service that stops answering

async function stoppedService(context) {
  const result = newResult('slow and dead dependency (SIGSTOP budgets, then SIGCONT)');
  const users = await makeUsers(context, 2);
  const [user] = users;
  const timeoutMs = context.upstreamTimeoutMs;
  context.system.signal('budgets', 'SIGSTOP');
  try {
    const started = Date.now();
    const [stuck, ledger, goals, reports] = await Promise.all([
      context.client.request('GET', `/budgets/${user.budgets.food}`, { token: user.token }),
      // The rest of the API meanwhile: started a moment later, answered while budgets hangs.
      sleep(500).then(() => context.client.request('GET', '/transactions?limit=5', { token: user.token })),
      sleep(500).then(() => context.client.request('GET', `/goals/${user.goal}`, { token: user.token })),
      sleep(500).then(() => context.client.request('GET', '/analytics/spending', { token: user.token })),
    ]);
    const load = await runLoad(context.client, users, { total: 40, ratePerSecond: 20 });
    result.figures = {
      budgetsStatus: stuck.status,
      budgetsProblem: stuck.contentType,
      budgetsAnsweredAfterMs: stuck.ms,
      gatewayTimeoutMs: timeoutMs,
      others: {
        ledger: [ledger.status, ledger.ms],
        goals: [goals.status, goals.ms],
        reports: [reports.status, reports.ms],
      },
      loadWhileStopped: load.counts,
      elapsedMs: Date.now() - started,
    };
    if (stuck.status !== 504) result.failures.push(`budgets answered ${stuck.status}, not 504`);
    if (stuck.ms > timeoutMs + 2000)
      result.failures.push(`the 504 took ${stuck.ms} ms (timeout ${timeoutMs} ms)`);
    for (const [name, answer] of Object.entries({ ledger, goals, reports })) {
      if (answer.status !== 200)
        result.failures.push(`${name} answered ${answer.status} while budgets was stopped`);
      if (answer.ms >= timeoutMs)
        result.failures.push(`${name} waited ${answer.ms} ms behind the stopped budgets`);
    }
  } finally {
    context.system.signal('budgets', 'SIGCONT');
  }
  await context.system.waitReady('budgets');
  // Caught up: what the load did while budgets was stopped is in its read model.
  await converge(context, users, result);
  return result;
}

// ---------------------------------------------------------------- poison message

function runDlqTool(context, args) {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.join(context.root, 'scripts', 'dlq.js'), ...args],
      { env: { ...process.env, AMQP_URL: context.infra.rabbit.url }, encoding: 'utf8' },
      (error, stdout, stderr) => resolve({ code: error ? error.code : 0, stdout, stderr }),
    );
  });
}

async function poisonMessage(context) {
  const result = newResult('poison message on the exchange');
  const users = await makeUsers(context, 1);
  const [user] = users;
  const poisonId = `poison-${context.runId}`;
  const connection = await amqp.connect(context.infra.rabbit.url);
  try {
    const channel = await connection.createConfirmChannel();
    // Routed like a real transaction event (budgets, goals and reports are bound to it), but its
    // payload breaks the contract: every consumer must dead-letter it and carry on.
    channel.publish(
      'finance.events',
      'ledger.transaction.created',
      Buffer.from(
        JSON.stringify({ id: poisonId, type: 'ledger.transaction.created', payload: { amount: 'lots' } }),
      ),
      { persistent: true, messageId: poisonId, contentType: 'application/json' },
    );
    await channel.waitForConfirms();
  } finally {
    await connection.close();
  }
  // Right behind it, a real expense: it must reach the read models as quickly as ever.
  const started = Date.now();
  const created = await context.client.request('POST', '/transactions', {
    token: user.token,
    body: {
      account_id: user.checking,
      transaction_type: 'expense',
      amount: '12.34',
      category_id: user.categories.food,
      description: 'after the poison',
    },
  });
  await expectStatus(created, 201, 'expense after the poison');
  await waitFor(
    'the expense in budgets',
    async () => {
      const budget = await context.client.request('GET', `/budgets/${user.budgets.food}`, {
        token: user.token,
      });
      return budget.body?.spent === '12.34';
    },
    30_000,
  );
  result.figures.nextEventAppliedAfterMs = Date.now() - started;
  // Faster than the first retry stage (1 s) would allow if the poison had blocked the queue… and
  // far below the 10 s of the second; the bound is loose on purpose (a loaded CI machine).
  if (result.figures.nextEventAppliedAfterMs > 5_000)
    result.failures.push('the next event waited behind the poison');

  const listings = {};
  for (const service of ['budgets', 'goals', 'reports']) {
    let listing;
    await waitFor(
      `${service}.events.dlq to hold the poison`,
      async () => {
        listing = await runDlqTool(context, ['list', service]);
        return listing.stdout.includes(poisonId);
      },
      30_000,
    ).catch(() => undefined);
    listings[service] =
      listing.stdout.split('\n').find((line) => line.includes(poisonId)) ?? listing.stdout.trim();
    if (!listing.stdout.includes(poisonId))
      result.failures.push(`npm run dlq -- list ${service} does not show the poison`);
  }
  result.figures.dlqListing = listings;
  await converge(context, users, result);
  return result;
}

// ---------------------------------------------------------------- user deletion

/**
 * Bookkeeping that names a deleted user by id only, by design: the event backbone's outbox and
 * inbox, the tombstone that makes every later event of theirs ignored, and auth's revocation feed
 * (user id and session version, so the gateway refuses their tokens; pruned after its retention).
 */
const BOOKKEEPING_TABLES = ['outbox', 'inbox', 'deleted_users', 'session_revocations'];

/** Rows in every table of a service's database that belong to the user, bookkeeping apart. */
async function rowsOfUser(context, service, userId) {
  return withDatabase(context, service.name, async (client) => {
    const { rows: tables } = await client.query(
      `SELECT table_name FROM information_schema.columns WHERE table_schema = 'public' AND column_name = 'user_id'
       AND NOT (table_name = ANY($1))`,
      [BOOKKEEPING_TABLES],
    );
    const counts = {};
    for (const { table_name: table } of tables) {
      // The directory's row of a deleted user is its tombstone: no e-mail, no name, deleted_at set.
      const tombstone =
        table === 'user_directory'
          ? ' AND NOT (deleted_at IS NOT NULL AND email IS NULL AND username IS NULL)'
          : '';
      const { rows } = await client.query(
        `SELECT count(*)::int AS n FROM "${table}" WHERE user_id::text = $1${tombstone}`,
        [userId],
      );
      if (rows[0].n) counts[table] = rows[0].n;
    }
    if (service.name === 'auth') {
      const { rows } = await client.query('SELECT count(*)::int AS n FROM users WHERE id::text = $1', [
        userId,
      ]);
      if (rows[0].n) counts.users = rows[0].n;
    }
    return counts;
  });
}

async function userDeletion(context) {
  const result = newResult('user deletion (zero rows of theirs in every database, tokens refused)');
  const users = await makeUsers(context, 1);
  const [user] = users;
  // Data everywhere: transactions (ledger, budgets, reports), a goal with contributions, the fun
  // budget pushed over (notifications), notification preferences.
  await runLoad(context.client, users, { total: 80, ratePerSecond: 40 });
  await expectStatus(
    await context.client.request('PATCH', '/notifications/preferences', {
      token: user.token,
      body: { channels: { budget_exceeded: { email: false } } },
    }),
    200,
    'notification preferences',
  );
  await converge(context, users, result);
  const before = {};
  for (const service of context.system.databaseServices())
    before[service.name] = await rowsOfUser(context, service, user.id);
  result.figures.rowsBefore = before;
  const deleted = await context.client.request('DELETE', '/users/me', {
    token: user.token,
    body: { password: PASSWORD },
  });
  await expectStatus(deleted, 204, 'delete the user');
  let after = {};
  await waitFor(
    'every service to purge the user',
    async () => {
      after = {};
      for (const service of context.system.databaseServices()) {
        const counts = await rowsOfUser(context, service, user.id);
        if (Object.keys(counts).length) after[service.name] = counts;
      }
      return Object.keys(after).length === 0;
    },
    60_000,
  ).catch(() => undefined);
  result.figures.rowsAfter = after;
  if (Object.keys(after).length) result.failures.push(`rows left: ${JSON.stringify(after)}`);
  for (const service of Object.keys(before)) {
    if (service !== 'auth' && Object.keys(before[service]).length === 0)
      result.failures.push(`${service} held no rows of the user before: the check proves nothing there`);
  }
  const refused = await context.client.request('GET', '/transactions', { token: user.token });
  result.figures.oldTokenStatus = refused.status;
  if (refused.status !== 401) result.failures.push(`the deleted user's token got ${refused.status}`);
  return result;
}

// ---------------------------------------------------------------- graceful shutdown, rolling restart

/**
 * Every event on `finance.events` from now on, by id, through a queue of its own: what the relays
 * published, so a scenario can say none was published twice.
 */
async function tapEvents(url) {
  const connection = await amqp.connect(url);
  const channel = await connection.createChannel();
  const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true });
  await channel.bindQueue(queue, 'finance.events', '#');
  const seen = new Map();
  await channel.consume(
    queue,
    (message) => {
      if (!message) return;
      const id = message.properties.messageId;
      seen.set(id, (seen.get(id) ?? 0) + 1);
    },
    { noAck: true },
  );
  return { seen, close: () => connection.close() };
}

/**
 * SIGTERM to `name`, then the supervisor starts it again (as a Deployment would); resolves once
 * its proxy routes to it again, so the next instance is terminated only then (maxUnavailable 0).
 */
async function restartGracefully(context, name, proxy) {
  const exited = context.system.exited(name);
  context.system.signal(name, 'SIGTERM');
  await exited;
  // Generous: a service starting on a loaded 2-core machine has taken over a minute.
  await context.system.waitReady(name, 180_000);
  await waitFor(`${name} back in its proxy's rotation`, async () =>
    proxy.routesTo(context.system.port(name)),
  );
}

async function rollingRestart(context) {
  const result = newResult(
    'rolling restart (SIGTERM each of two ledger and two gateway instances under load)',
  );
  const users = await makeUsers(context, context.users);
  const { total, rate } = context.load;
  const { proxy, gatewayProxy } = context.system;
  // Rounds of instances terminated together, each round once the last is back: the two
  // deployments roll at once, one pod of each at a time.
  const rounds = [
    ['ledger', 'gateway'],
    ['ledger-b', 'gateway-b'],
  ];
  const tap = await tapEvents(context.infra.rabbit.url);
  const [{ position: outboxFrom }] = await withDatabase(
    context,
    'ledger',
    async (db) => (await db.query('SELECT coalesce(max(position), 0)::text AS position FROM outbox')).rows,
  );
  const from = context.client.log.length;
  const terminated = [];
  const templates = [];
  let restarting = true;
  // Recurring series created while instances come and go, each due today: the scheduler's rounds
  // (every 2 s here, one replica a round) must book each exactly once, whichever instance runs it.
  const createTemplates = async () => {
    for (let i = 0; restarting; i += 1) {
      const user = users[i % users.length];
      const description = `recurring ${context.runId} ${i}`;
      const created = await context.client.request('POST', '/recurring', {
        token: user.token,
        body: {
          account_id: user.checking,
          transaction_type: 'expense',
          amount: '1.00',
          category_id: user.categories.food,
          description,
          frequency: 'monthly',
        },
      });
      if (created.status === 201) templates.push({ user, id: created.body.id, description });
      await sleep(1000);
    }
  };
  let templatesDone;
  const load = await runLoad(context.client, users, {
    total,
    ratePerSecond: rate,
    faults: [
      {
        at: Math.floor(total * 0.25),
        run: async () => {
          templatesDone = createTemplates();
          try {
            for (const round of rounds) {
              await Promise.all(
                round.map((name) =>
                  restartGracefully(context, name, name.startsWith('ledger') ? proxy : gatewayProxy),
                ),
              );
              terminated.push(...round);
            }
          } finally {
            restarting = false;
            await templatesDone;
          }
        },
      },
    ],
  });
  const failed = failedAnswers(context.client, from);
  result.figures = {
    load,
    terminated,
    restarts: context.system.supervisor.restarts
      .filter((r) => r.name.startsWith('ledger') || r.name.startsWith('gateway'))
      .map((r) => `${r.name}:${r.signal ?? r.code}`),
    failedClientRequests: failed.length,
    failedExamples: failed.slice(0, 5).map((e) => `${e.method} ${e.path} → ${e.status || e.error}`),
    gatewayProxy: { ...gatewayProxy.stats },
    ledgerProxy: { ...proxy.stats },
  };
  if (terminated.length !== 4) result.failures.push(`only ${terminated.join(', ')} were terminated`);
  if (failed.length) result.failures.push(`${failed.length} client requests failed`);
  await converge(context, users, result);

  // The scheduled job handed over: every series booked its one occurrence, none twice.
  const bookings = async () =>
    withDatabase(context, 'ledger', async (db) => {
      const { rows } = await db.query(
        'SELECT description, count(*)::int AS n FROM transactions WHERE description = ANY($1) GROUP BY 1',
        [templates.map((t) => t.description)],
      );
      return new Map(rows.map((row) => [row.description, row.n]));
    });
  let booked = new Map();
  await waitFor(
    'every recurring series created during the restarts booked',
    async () => (booked = await bookings()).size === templates.length,
    30_000,
  ).catch(() => undefined);
  const twice = [...booked.values()].filter((n) => n > 1).length;
  result.figures.recurring = { series: templates.length, booked: booked.size, bookedTwice: twice };
  if (templates.length === 0) result.failures.push('no recurring series was created during the restarts');
  if (booked.size !== templates.length)
    result.failures.push(`${templates.length - booked.size} recurring series never booked`);
  if (twice) result.failures.push(`${twice} recurring occurrences booked twice`);

  // The relay handed over: each ledger event of the scenario on the exchange once.
  let events = [];
  await waitFor(
    'every ledger event of the scenario sent and seen on the exchange',
    async () => {
      ({ rows: events } = await withDatabase(context, 'ledger', (db) =>
        db.query('SELECT event_id, sent_at IS NOT NULL AS sent FROM outbox WHERE position > $1', [
          outboxFrom,
        ]),
      ));
      return events.every((e) => e.sent && tap.seen.has(e.event_id));
    },
    30_000,
  ).catch(() => undefined);
  await tap.close();
  const published = events.filter((e) => e.sent);
  const missing = published.filter((e) => !tap.seen.has(e.event_id)).length;
  const duplicates = [...tap.seen.values()].filter((n) => n > 1).length;
  result.figures.relay = {
    ledgerEvents: events.length,
    sent: published.length,
    seenOnExchange: tap.seen.size,
    missing,
    publishedTwice: duplicates,
  };
  if (published.length < events.length)
    result.failures.push(`${events.length - published.length} ledger events still unsent`);
  if (missing) result.failures.push(`${missing} sent ledger events never reached the exchange`);
  if (duplicates) result.failures.push(`${duplicates} events published twice`);
  return result;
}

// ---------------------------------------------------------------- killed import

/** Our own export's CSV (what POST /import/csv reads with no mapping): `rows` rows dated today. */
function exportCsv(rows) {
  const lines = [
    'date,transaction_type,amount,currency,account,to_account,category,description,payee,notes,tags',
  ];
  for (let n = 1; n <= rows; n += 1) {
    const cents = 100 + ((n * 7919) % 9000);
    const amount = `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;
    lines.push(`${today()},${n % 10 === 0 ? 'income' : 'expense'},${amount},USD,Checking,,,Imported ${n},,,`);
  }
  return `${lines.join('\r\n')}\r\n`;
}

/** The first truthy value of `check`, polled every `intervalMs`; throws after `timeoutMs`. */
async function until(check, { timeoutMs, intervalMs, description }) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await check();
    if (value) return value;
    await sleep(intervalMs);
  }
  throw new Error(`${description}: not within ${timeoutMs / 1000} s`);
}

async function importStatus(context, user, id) {
  const answer = await context.client.request('GET', `/import/${id}`, { token: user.token });
  return answer.status === 200 ? answer.body : undefined;
}

async function killedImport(context) {
  const rows = context.importRows;
  const result = newResult(`killed import (SIGKILL both ledgers while a ${rows}-row background import runs)`);
  const [user] = await makeUsers(context, 1);
  // The job's statements of 1,000 rows each take a second more while this trigger is there, so the
  // kill lands while the job is writing (in its one transaction), not before it or after it.
  await withDatabase(context, 'ledger', (db) =>
    db.query(`
      CREATE OR REPLACE FUNCTION faults_slow_import() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN IF (SELECT count(*) FROM new_rows) >= 100 THEN PERFORM pg_sleep(1); END IF; RETURN NULL; END $$;
      CREATE TRIGGER faults_slow_import AFTER INSERT ON transactions REFERENCING NEW TABLE AS new_rows
        FOR EACH STATEMENT EXECUTE FUNCTION faults_slow_import();`),
  );
  const upload = await fetch(`${context.client.baseUrl}/import/csv`, {
    method: 'POST',
    headers: { authorization: `Bearer ${user.token}`, 'content-type': 'text/csv' },
    body: exportCsv(rows),
  });
  const accepted = await upload.json();
  user.imports = 1;
  if (upload.status !== 202) {
    result.failures.push(`the upload answered ${upload.status}, not 202: ${JSON.stringify(accepted)}`);
    return result;
  }
  // Killed the moment a replica has the job (its rows are then being written in its one transaction).
  const running = await until(
    async () => {
      const status = await importStatus(context, user, accepted.id);
      return status && status.status !== 'pending' ? status : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 25, description: 'the import job started' },
  );
  if (running.status !== 'running') result.failures.push(`the job was ${running.status} before the kill`);
  await sleep(1_500); // a statement or two of its rows written, uncommitted
  const instances = ['ledger', 'ledger-b'];
  const exits = instances.map((name) => context.system.exited(name));
  for (const name of instances) context.system.signal(name, 'SIGKILL');
  await Promise.all(exits);
  const killedAt = Date.now();
  await withDatabase(context, 'ledger', (db) =>
    db.query(`DROP TRIGGER faults_slow_import ON transactions; DROP FUNCTION faults_slow_import()`),
  );
  // Nothing of it is visible while no process runs it: all or nothing.
  const halfway = await withDatabase(context, 'ledger', async (db) =>
    Number(
      (await db.query(`SELECT count(*) AS n FROM transactions WHERE import_id = $1`, [accepted.id])).rows[0]
        .n,
    ),
  );
  result.figures.rowsStoredWhileDown = halfway;
  if (halfway !== 0) result.failures.push(`${halfway} rows of the interrupted import were stored`);
  for (const name of instances) await context.system.waitReady(name);
  const finished = await until(
    async () => {
      const status = await importStatus(context, user, accepted.id);
      return status && ['completed', 'failed'].includes(status.status) ? status : undefined;
    },
    { timeoutMs: 300_000, intervalMs: 250, description: 'the import resumed and finished' },
  );
  result.figures.finishedAfterRestartSeconds = (Date.now() - killedAt) / 1000;
  result.figures.finished = { status: finished.status, imported: finished.imported };
  if (finished.status !== 'completed' || finished.imported !== rows)
    result.failures.push(`the import ended ${finished.status} with ${finished.imported} of ${rows} rows`);
  const stored = await withDatabase(context, 'ledger', async (db) =>
    Number(
      (await db.query(`SELECT count(DISTINCT id) AS n FROM transactions WHERE import_id = $1`, [accepted.id]))
        .rows[0].n,
    ),
  );
  result.figures.rowsStored = stored;
  if (stored !== rows) result.failures.push(`${stored} rows stored, not ${rows}`);
  // Budgets and reports arrive at the ledger's figures: each imported row counted once.
  await converge(context, [user], result);
  return result;
}

module.exports = {
  scenarios: {
    'broker-restart': brokerRestart,
    'crashing-consumers': crashingConsumers,
    'database-blip': databaseBlip,
    'stopped-service': stoppedService,
    'poison-message': poisonMessage,
    'user-deletion': userDeletion,
    'rolling-restart': rollingRestart,
    'killed-import': killedImport,
  },
};
