#!/usr/bin/env node
// `npm run new-service <name> [-- --port 3007 --paths /things,/other --description "what it owns"]`:
// a runnable, tested service from scripts/templates/service, registered in services.json (port,
// database, public paths), with its deployment files generated and the lockfile updated. Then
// `npm start` runs it behind the gateway, its /openapi.json is merged into /docs, and
// scripts/validate-deploy.js accepts it, with no other file edited by hand.
'use strict';
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const { root, REGISTRY_FILE, registeredServices } = require('./lib/services');

function fail(message) {
  process.stderr.write(`new-service: ${message}\n`);
  process.exit(1);
}

function parseArguments(argv) {
  const [name, ...rest] = argv;
  const options = { name, install: true };
  for (let i = 0; i < rest.length; i++) {
    const flag = rest[i];
    if (flag === '--skip-install') options.install = false;
    else if (flag === '--port') options.port = Number(rest[++i]);
    else if (flag === '--paths') options.paths = rest[++i].split(',').map((p) => p.trim());
    else if (flag === '--description') options.description = rest[++i];
    else fail(`unknown option ${flag}`);
  }
  return options;
}

const options = parseArguments(process.argv.slice(2));
const { name } = options;
if (!name || !/^[a-z][a-z0-9-]{1,30}$/.test(name))
  fail('usage: npm run new-service <name>  (lower case letters, digits and dashes, e.g. goals)');
const services = registeredServices();
if (services.some((s) => s.name === name)) fail(`${name} is already in services.json`);
const folder = path.join(root, 'services', name);
if (fs.existsSync(folder)) fail(`services/${name} already exists`);

const usedPorts = new Set(services.flatMap((s) => [s.port, s.metricsPort].filter(Boolean)));
let port = options.port;
if (port === undefined) {
  port = 3001;
  while (usedPorts.has(port)) port++;
}
if (!Number.isInteger(port) || port < 1 || port > 65535) fail('--port must be a port number');
if (usedPorts.has(port)) fail(`port ${port} is taken in services.json`);
const paths = options.paths ?? [`/${name}`];
for (const p of paths) if (!/^\/[A-Za-z0-9._/-]+$/.test(p)) fail(`"${p}" is not a path prefix like /${name}`);
const taken = services.flatMap((s) => s.paths.map((p) => [p, s.name]));
for (const p of paths) {
  const clash = taken.find(([other]) => other === p);
  if (clash) fail(`the path ${p} is already ${clash[1]}'s`);
}

const snake = name.replace(/-/g, '_');
const camel = name.replace(/-([a-z0-9])/g, (_m, c) => c.toUpperCase());
const placeholders = {
  __name__: name,
  __camel__: camel,
  __Pascal__: camel[0].toUpperCase() + camel.slice(1),
  __port__: String(port),
  // The example resource lives under the first public path, so the gateway routes it.
  __path__: paths[0],
  __database__: `finance_${snake}`,
  __timestamp__: String(Date.now()),
  __description__: options.description ?? `the ${name} service`,
};
const fill = (text) =>
  Object.entries(placeholders).reduce((t, [key, value]) => t.split(key).join(value), text);

// 1. The service folder, from the template.
const template = path.join(__dirname, 'templates', 'service');
const written = [];
function copy(from, to) {
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    const source = path.join(from, entry.name);
    if (entry.isDirectory()) {
      fs.mkdirSync(path.join(to, entry.name), { recursive: true });
      copy(source, path.join(to, entry.name));
      continue;
    }
    let target = fill(entry.name.replace(/\.tmpl$/, ''));
    if (target === 'initial.ts') target = `${placeholders.__timestamp__}-${name}-initial.ts`;
    const file = path.join(to, target);
    fs.writeFileSync(file, fill(fs.readFileSync(source, 'utf8')));
    written.push(path.relative(root, file));
  }
}
fs.mkdirSync(folder, { recursive: true });
copy(template, folder);

// 2. The registry entry (before the edge, which starts last anyway).
const registry = JSON.parse(fs.readFileSync(REGISTRY_FILE, 'utf8'));
const entry = {
  description: placeholders.__description__,
  port,
  database: placeholders.__database__,
  paths,
  resources: { cpu: ['50m', '500m'], memory: ['160Mi', '384Mi'], heapMb: 256 },
};
const ordered = {};
for (const [key, value] of Object.entries(registry.services)) {
  if (value.role === 'edge' && !(name in ordered)) ordered[name] = entry;
  ordered[key] = value;
}
if (!(name in ordered)) ordered[name] = entry;
registry.services = ordered;
fs.writeFileSync(REGISTRY_FILE, `${JSON.stringify(registry, null, 2)}\n`);

function run(command, args, what) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) fail(`${what} failed (exit ${result.status})`);
}

// 3. Deployment files from the registry; the workspace in the lockfile; the house's formatting.
run(process.execPath, [path.join(__dirname, 'generate-deploy.js')], 'deploy:generate');
if (options.install)
  run('npm', ['install', '--no-audit', '--no-fund'], 'npm install (the new workspace in package-lock.json)');
run(
  process.execPath,
  [
    require.resolve('prettier/bin/prettier.cjs', { paths: [root] }),
    '--write',
    '--log-level',
    'warn',
    `services/${name}`,
    'services.json',
  ],
  'prettier',
);

process.stdout.write(
  `\nnew-service: services/${name} created (port ${port}, database ${placeholders.__database__}, ` +
    `paths ${paths.join(' ')})\n` +
    `  - ${written.length} files from scripts/templates/service, an entry in services.json, deployment files regenerated\n` +
    `  - npx jest services/${name}   → its tests\n` +
    `  - npm start                   → it runs behind the gateway (http://localhost:8080${paths[0]}…, docs at /docs)\n` +
    `  - next: replace the example \`items\` resource with what ${name} owns, and write its domain\n`,
);
