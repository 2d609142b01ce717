#!/usr/bin/env node
// `npm run fuzz`: the OpenAPI fuzzing suite (e2e/test/security-fuzz.test.ts) for longer than
// `npm test` runs it. FUZZ_RUNS generated requests per operation (default 300), FUZZ_SEED to
// replay a run (default: a new one each time, printed), FUZZ_SHRINK=true to shrink a failure to
// its smallest request (slower). Needs PostgreSQL and RabbitMQ, like the tests.
'use strict';
const { spawnSync } = require('child_process');
const path = require('path');

const runs = process.env.FUZZ_RUNS || '300';
const seed = process.env.FUZZ_SEED || String(Date.now() % 2 ** 31);
if (!/^\d+$/.test(runs) || !/^-?\d+$/.test(seed)) {
  console.error('FUZZ_RUNS must be a count and FUZZ_SEED an integer');
  process.exit(2);
}
console.log(`fuzz: ${runs} requests per operation, seed ${seed} (replay with FUZZ_SEED=${seed})`);
const root = path.join(__dirname, '..');
const jest = path.join(root, 'node_modules', 'jest', 'bin', 'jest.js');
const result = spawnSync(
  process.execPath,
  [jest, '--selectProjects', 'e2e', '--testTimeout', '3600000', 'e2e/test/security-fuzz'],
  { cwd: root, stdio: 'inherit', env: { ...process.env, FUZZ_RUNS: runs, FUZZ_SEED: seed } },
);
process.exit(result.status ?? 1);
