// Starts one built service (services/<name>/dist) exactly as its main.ts does, except that the
// event consumer's queue and inbox name come from BENCH_CONSUMER_NAME, so a bench run never
// competes with `npm start` or with tests for the real `budgets` / `reports` queues.
'use strict';
const path = require('path');

const name = process.argv[2];
const consumerName = process.env.BENCH_CONSUMER_NAME;
const dist = path.join(__dirname, '..', '..', 'services', name, 'dist');
const { loadConfig, runMain } = require('@finance/shared');
const main = require(path.join(dist, 'main.js'));
const config = require(path.join(dist, 'config.js'));
const title = name[0].toUpperCase() + name.slice(1);
runMain(name, () => main[`start${title}`](loadConfig(config[`${name}ConfigSchema`]), { consumerName }));
