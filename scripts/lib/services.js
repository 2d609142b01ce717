// The service registry (services.json) for the run and deploy scripts, which run before anything
// is built: the same file the TypeScript side reads through shared/src/registry.ts (whose zod
// schema, checked by shared/test/registry.test.ts, is the full definition of an entry).
'use strict';
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..', '..');
const REGISTRY_FILE = path.join(root, 'services.json');

const DEFAULTS = {
  role: 'api',
  startOrder: 1,
  paths: [],
  openRoutes: [],
  credentialRoutes: [],
  config: {},
  composeEnv: {},
  secrets: [],
  tmpSizeMi: 64,
};

/** Every registered service (defaults filled in), in start order, then in the order of services.json. */
function registeredServices(file = REGISTRY_FILE) {
  const { services } = JSON.parse(fs.readFileSync(file, 'utf8'));
  return Object.entries(services)
    .map(([name, entry]) => ({
      ...DEFAULTS,
      ...entry,
      image: { systemPackages: [], env: {}, assets: [], ...entry.image },
      secrets: (entry.secrets ?? []).map((secret) => ({ optional: false, ...secret })),
      name,
      urlVariable: `${name.replace(/-/g, '_').toUpperCase()}_URL`,
    }))
    .sort((a, b) => a.startOrder - b.startOrder); // stable: registry order within a start order
}

/** Folders under services/ that are workspace packages. */
function serviceFolders(base = root) {
  const dir = path.join(base, 'services');
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && fs.existsSync(path.join(dir, entry.name, 'package.json')))
    .map((entry) => entry.name)
    .sort();
}

module.exports = { root, REGISTRY_FILE, registeredServices, serviceFolders };
