#!/usr/bin/env node
// Copies a service's non-TypeScript files (templates…) next to its compiled code, as listed in
// services.json (`image.assets`): `node scripts/copy-assets.js reports`. tsc emits only .js; the
// Dockerfile runs this after the build.
'use strict';
const fs = require('fs');
const path = require('path');
const { root, registeredServices } = require('./lib/services');

const name = process.argv[2];
const service = registeredServices().find((s) => s.name === name);
if (!service) {
  console.error(`copy-assets: ${name} is not in services.json`);
  process.exit(1);
}
for (const asset of service.image.assets) {
  const from = path.join(root, 'services', name, asset.from);
  const to = path.join(root, 'services', name, asset.to);
  fs.cpSync(from, to, { recursive: true });
  console.log(`copy-assets: services/${name}/${asset.from} → ${asset.to}`);
}
