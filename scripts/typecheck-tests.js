#!/usr/bin/env node
// Type-checks every workspace's tests and the bench (the build only covers src/).
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..');
const packages = [
  'shared',
  'e2e',
  ...fs.readdirSync(path.join(root, 'services')).map((s) => `services/${s}`),
];
let failed = false;
// The bench drives the services through their public surfaces; a refactor inside one must not break it silently.
const configs = [
  ...packages.map((pkg) => path.join(root, pkg, 'tsconfig.test.json')),
  path.join(root, 'bench', 'tsconfig.json'),
];
for (const config of configs) {
  if (!fs.existsSync(config)) continue;
  try {
    execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', config], {
      stdio: 'inherit',
    });
  } catch {
    failed = true;
  }
}
process.exit(failed ? 1 : 0);
