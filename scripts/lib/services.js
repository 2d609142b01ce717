// The one table of services the run/deploy scripts share: port, database and start order.
// A new service folder works without an entry here (it gets the next free port), but add it
// so its port is the same locally, in docker-compose.yml and in k8s/.
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..', '..');

/** Ports and databases from ARCHITECTURE.md §1; gateway has no database. */
const KNOWN = {
  auth: { port: 3001, database: 'finance_auth' },
  ledger: { port: 3002, database: 'finance_ledger' },
  budgets: { port: 3003, database: 'finance_budgets' },
  goals: { port: 3004, database: 'finance_goals' },
  notifier: { port: 3005, database: 'finance_notifier' },
  reports: { port: 3006, database: 'finance_reports' },
  gateway: { port: 8080, database: null },
};

/** auth first (everyone else verifies tokens with its JWKS), gateway last (it proxies to the rest). */
function startOrder(a, b) {
  const rank = (name) => (name === 'auth' ? 0 : name === 'gateway' ? 2 : 1);
  return rank(a) - rank(b) || a.localeCompare(b);
}

/** Every folder under services/ that is a workspace package. */
function serviceFolders(base = root) {
  const dir = path.join(base, 'services');
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && fs.existsSync(path.join(dir, entry.name, 'package.json')))
    .map((entry) => entry.name)
    .sort(startOrder);
}

/** Folders that have an entry point yet (services land one by one). */
function runnableServices(base = root) {
  return serviceFolders(base).filter((name) =>
    fs.existsSync(path.join(base, 'services', name, 'src', 'main.ts')),
  );
}

/** Port, database and the gateway's upstream variable of a service; unknown ones get ports from 3007 up. */
function describe(name, all) {
  const known = KNOWN[name];
  const unknown = all.filter((n) => !KNOWN[n]).sort();
  const port = known ? known.port : 3007 + unknown.indexOf(name);
  const database = known ? known.database : `finance_${name.replace(/[^a-z0-9]/gi, '_').toLowerCase()}`;
  return {
    name,
    port,
    database,
    known: Boolean(known),
    upstreamVariable: `${name.replace(/[^a-z0-9]/gi, '_').toUpperCase()}_URL`,
  };
}

module.exports = { root, KNOWN, serviceFolders, runnableServices, describe, startOrder };
