#!/usr/bin/env node
// `npm run test:faults`: the fault tests. Starts its own PostgreSQL cluster and RabbitMQ node
// (faults/lib/infra.js), the built services as `npm start` runs them (faults/lib/system.js), then
// runs each scenario (faults/lib/scenarios.js) under steady load through the gateway and prints
// what was measured and the convergence report of the read models against the ledger. Exit code 0
// only when every scenario passed with zero differences. Stops everything it started.
//
//   npm run test:faults                         the short version (CI: a few minutes)
//   FAULTS_FULL=1 npm run test:faults           the full one (~5,000 operations per load)
//   FAULTS_ONLY=broker-restart,poison-message   only those scenarios
'use strict';
const { randomBytes } = require('crypto');
const fs = require('fs');
const path = require('path');
const { chooseInfrastructure } = require('./lib/infra');
const { createSystem } = require('./lib/system');
const { ApiClient } = require('./lib/client');
const { scenarios } = require('./lib/scenarios');

const full = process.env.FAULTS_FULL === '1';
// Short (CI): every scenario once, with less load and one kill per consumer, within ~4 minutes.
const settings = full
  ? {
      users: 8,
      load: { total: 5000, rate: 40 },
      outageMs: 20_000,
      killsPerVictim: 2,
      convergeTimeoutMs: 300_000,
      importRows: 10_000,
    }
  : {
      users: 3,
      load: { total: 200, rate: 25 },
      outageMs: 5_000,
      killsPerVictim: 1,
      convergeTimeoutMs: 150_000,
      importRows: 3_000,
    };
const UPSTREAM_TIMEOUT_MS = 5_000;

function say(text) {
  process.stdout.write(`[faults] ${text}\n`);
}

async function main() {
  const only = (process.env.FAULTS_ONLY ?? '').split(',').filter(Boolean);
  const unknown = only.filter((name) => !scenarios[name]);
  if (unknown.length)
    throw new Error(`unknown scenario(s) ${unknown.join(', ')}; known: ${Object.keys(scenarios).join(', ')}`);
  const chosen = Object.entries(scenarios).filter(([name]) => only.length === 0 || only.includes(name));

  const started = Date.now();
  const infra = chooseInfrastructure();
  const stops = [];
  let system;
  // Once, whoever asks first (the end of the run, a signal, a crash of the harness).
  let cleaning;
  const cleanUp = () =>
    (cleaning ??= (async () => {
      if (system) await system.stop().catch((error) => say(`stopping the services: ${error.message}`));
      for (const stop of stops.reverse()) await stop().catch((error) => say(`stopping: ${error.message}`));
    })());
  let interrupted = false;
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, () => {
      interrupted = true;
      say(`${signal}: stopping what the run started`);
      cleanUp().finally(() => process.exit(130));
    });
  }
  // A bug of the harness must not leave its PostgreSQL and RabbitMQ running either.
  for (const event of ['uncaughtException', 'unhandledRejection']) {
    process.once(event, (error) => {
      interrupted = true;
      say(`${event}: ${error?.stack ?? error}; stopping what the run started`);
      cleanUp().finally(() => process.exit(1));
    });
  }
  const results = [];
  try {
    say(`${full ? 'full' : 'short'} run: ${chosen.map(([name]) => name).join(', ')}`);
    // Registered first: a run interrupted or failing while they start still removes their folders.
    stops.push(() => infra.postgres.stop());
    await infra.postgres.start();
    stops.push(() => infra.rabbit.stop());
    await infra.rabbit.start();
    say(
      `PostgreSQL ${infra.postgres.url}, RabbitMQ ${infra.rabbit.url}${infra.rabbit.node ? ` (node ${infra.rabbit.node})` : ''}`,
    );
    system = createSystem(infra, { upstreamTimeoutMs: UPSTREAM_TIMEOUT_MS });
    process.on('exit', () => system.supervisor.killNow());
    await system.start();
    say(
      `services ready (gateway ${system.gateway}); their logs: ${path.join(system.logDir, 'services.log')}`,
    );

    const context = {
      ...settings,
      infra,
      system,
      client: new ApiClient(system.gateway),
      runId: randomBytes(3).toString('hex'),
      root: path.join(__dirname, '..'),
      upstreamTimeoutMs: UPSTREAM_TIMEOUT_MS,
    };
    for (const [name, scenario] of chosen) {
      if (interrupted) break;
      const scenarioStarted = Date.now();
      say(`— ${name}`);
      let result;
      try {
        result = await scenario(context);
      } catch (error) {
        result = { name, failures: [`crashed: ${error.stack}`], figures: {}, report: '' };
      }
      result.seconds = (Date.now() - scenarioStarted) / 1000;
      results.push(result);
      const verdict = result.skipped
        ? `SKIPPED (${result.skipped})`
        : result.failures.length
          ? 'FAILED'
          : 'passed';
      say(`${result.name}: ${verdict} in ${result.seconds.toFixed(0)} s`);
      for (const failure of result.failures) say(`  ✗ ${failure}`);
      say(`  measured: ${JSON.stringify(result.figures, (k, v) => (typeof v === 'bigint' ? String(v) : v))}`);
      if (result.report) process.stdout.write(`${result.report}\n`);
    }
  } finally {
    await cleanUp();
  }
  const failed = results.filter((r) => r.failures.length);
  // The services' log is kept only when something failed: it is where to look.
  if (system && failed.length === 0 && results.length === chosen.length)
    fs.rmSync(system.logDir, { recursive: true, force: true });
  else if (system) say(`the services' log is kept: ${path.join(system.logDir, 'services.log')}`);
  say(
    `${results.length - failed.length}/${results.length} scenarios passed in ${((Date.now() - started) / 1000).toFixed(0)} s`,
  );
  return failed.length || results.length < chosen.length ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    say(`run failed: ${error.stack}`);
    process.exit(1);
  },
);
