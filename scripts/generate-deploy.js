#!/usr/bin/env node
// `npm run deploy:generate`: writes the deployment files that follow from services.json
// (k8s manifests and kustomizations, docker-compose.yml). Run it after editing the registry;
// CI (scripts/validate-deploy.js) fails while a committed file differs from what it would write.
'use strict';
const fs = require('fs');
const path = require('path');
const { root, registeredServices } = require('./lib/services');
const { deployFiles } = require('./lib/deploy-files');

const files = deployFiles(registeredServices());
let changed = 0;
for (const [relative, text] of files) {
  const file = path.join(root, relative);
  const before = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined;
  if (before === text) continue;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  changed++;
  console.log(`${before === undefined ? 'created' : 'updated'} ${relative}`);
}
// Manifests of services no longer in the registry.
const servicesDir = path.join(root, 'k8s', 'base', 'services');
for (const entry of fs.existsSync(servicesDir) ? fs.readdirSync(servicesDir) : []) {
  const relative = `k8s/base/services/${entry}`;
  if (!files.has(relative)) {
    fs.rmSync(path.join(servicesDir, entry));
    changed++;
    console.log(`removed ${relative}`);
  }
}
console.log(
  changed ? `${changed} file(s) written from services.json` : 'deployment files already match services.json',
);
