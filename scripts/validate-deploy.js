#!/usr/bin/env node
// Fails (exit 1) when a deployment file is broken, naming the file and the reason:
//  - docker-compose.yml: `docker-compose config -q` (skipped with a warning only outside CI when absent);
//  - the registry: every folder under services/ is in services.json, every entry has its folder;
//    the files generated from it (k8s manifests and kustomizations, docker-compose.yml) are exactly
//    what `npm run deploy:generate` writes;
//  - k8s/: every kustomization (base, overlays) rendered by the real `kubectl kustomize` and every
//    resource validated against the Kubernetes schemas (kubernetes-models), unknown fields and
//    unknown kinds included; YAML files outside any kustomization (examples) validated one by one,
//    CRDs skipped with a note;
//  - coverage: the one Dockerfile builds any service; every registered service has its compose
//    service and k8s manifests, and the manifests keep the house rules (probes, resources,
//    non-root, secrets by reference).
'use strict';
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const YAML = require('yaml');
const { root, registeredServices, serviceFolders } = require('./lib/services');
const { deployFiles } = require('./lib/deploy-files');
const { validateResource } = require('./lib/k8s-schema');

const errors = [];
const notes = [];
const rel = (file) => path.relative(root, file) || '.';
const error = (where, reason) => errors.push(`${where}: ${reason}`);

// ---------------------------------------------------------------- docker-compose.yml

function checkCompose() {
  const file = path.join(root, 'docker-compose.yml');
  if (!fs.existsSync(file)) return (error('docker-compose.yml', 'missing'), null);
  const result = spawnSync('docker-compose', ['-f', file, 'config', '-q'], { cwd: root, encoding: 'utf8' });
  if (result.error && result.error.code === 'ENOENT') {
    if (process.env.CI)
      error('docker-compose.yml', 'docker-compose is not installed (apt-get install docker-compose)');
    else
      notes.push('docker-compose is not installed: skipped `docker-compose config -q` (CI does not skip it)');
  } else if (result.status !== 0) {
    error(
      'docker-compose.yml',
      `docker-compose config -q failed:\n${(result.stderr || result.stdout).trim()}`,
    );
  } else {
    notes.push('docker-compose.yml: docker-compose config -q passed');
  }
  try {
    return YAML.parse(fs.readFileSync(file, 'utf8'), { merge: true });
  } catch (e) {
    error('docker-compose.yml', e.message);
    return null;
  }
}

// ---------------------------------------------------------------- k8s/

function yamlFiles(dir) {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return yamlFiles(full);
    return /\.ya?ml$/.test(entry.name) ? [full] : [];
  });
}

function validateAll(resources, label) {
  let count = 0;
  for (const { object, source } of resources) {
    // Operator custom resources are documented examples only; everything we deploy must be known.
    const allowCustom = source.startsWith(path.join(root, 'k8s', 'examples') + path.sep);
    const where = `${rel(source)} (${object?.kind ?? '?'} ${object?.metadata?.name ?? '?'}${label ? `, in ${label}` : ''})`;
    const outcome = validateResource(object, { allowCustom });
    if (outcome.skipped) notes.push(`${where}: skipped, ${outcome.skipped}`);
    else if (outcome.errors.length) for (const reason of outcome.errors) error(where, reason);
    else count += 1;
  }
  return count;
}

/** The files a kustomization reads (its resources, patches and their kustomizations), recursively. */
function filesOf(dir, seen = new Set()) {
  const file = path.join(dir, 'kustomization.yaml');
  if (seen.has(file)) return seen;
  seen.add(file);
  const kustomization = YAML.parse(fs.readFileSync(file, 'utf8')) ?? {};
  const entries = [
    ...(kustomization.resources ?? []),
    ...(kustomization.components ?? []),
    ...(kustomization.patches ?? []).map((patch) => patch.path).filter(Boolean),
    ...(kustomization.patchesStrategicMerge ?? []),
  ];
  for (const entry of entries) {
    const target = path.resolve(dir, entry);
    if (fs.existsSync(path.join(target, 'kustomization.yaml'))) filesOf(target, seen);
    else seen.add(target);
  }
  return seen;
}

/** `kubectl kustomize <dir>`: the real renderer (kustomize v5), as an operator's `kubectl apply -k` does. */
function kustomize(dir) {
  const result = spawnSync('kubectl', ['kustomize', dir], {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error)
    throw new Error(`kubectl could not run (${result.error.message}); install kubectl (kustomize v5)`);
  if (result.status !== 0)
    throw new Error(`kubectl kustomize failed:\n${(result.stderr || result.stdout).trim()}`);
  return YAML.parseAllDocuments(result.stdout)
    .map((doc) => doc.toJS())
    .filter(Boolean);
}

function checkKubernetes() {
  const k8s = path.join(root, 'k8s');
  const rendered = new Map();
  const used = new Set();
  const kustomizationDirs = [...new Set(yamlFiles(k8s).map((f) => path.dirname(f)))]
    .filter((dir) => fs.existsSync(path.join(dir, 'kustomization.yaml')))
    .sort();
  if (kustomizationDirs.length === 0) error('k8s/', 'no kustomization.yaml found');

  for (const dir of kustomizationDirs) {
    try {
      for (const f of filesOf(dir)) used.add(f);
      const objects = kustomize(dir);
      const valid = validateAll(
        objects.map((object) => ({ object, source: path.join(dir, 'kustomization.yaml') })),
        rel(dir),
      );
      rendered.set(rel(dir), objects);
      notes.push(
        `${rel(dir)}: kubectl kustomize rendered ${objects.length} resources, ${valid} valid against the Kubernetes schemas`,
      );
    } catch (e) {
      error(rel(dir), e.message);
    }
  }

  // Files no kustomization uses (examples, secret.example.yaml): each document on its own.
  for (const file of yamlFiles(k8s).filter(
    (f) => !used.has(f) && path.basename(f) !== 'kustomization.yaml',
  )) {
    let documents;
    try {
      documents = parseDocuments(file);
    } catch (e) {
      error(rel(file), e.message);
      continue;
    }
    const valid = validateAll(documents.map((object) => ({ object, source: file })));
    notes.push(
      `${rel(file)}: not in a kustomization, ${valid}/${documents.length} documents validated one by one`,
    );
  }
  return rendered;
}

function parseDocuments(file) {
  const documents = YAML.parseAllDocuments(fs.readFileSync(file, 'utf8'));
  for (const doc of documents) {
    if (doc.errors.length) throw new Error(`YAML: ${doc.errors[0].message}`);
  }
  return documents.map((doc) => doc.toJS()).filter((object) => object !== null);
}

// ---------------------------------------------------------------- house rules

const SECRET_LIKE = /(PASSWORD|SECRET|PRIVATE_KEY|TOKEN|DATABASE_URL|AMQP_URL|REDIS_URL)$/;

function checkDeployment(deployment, where, secretExamples) {
  const spec = deployment.spec?.template?.spec ?? {};
  const podSecurity = spec.securityContext ?? {};
  if (podSecurity.seccompProfile?.type !== 'RuntimeDefault')
    error(where, 'pod securityContext.seccompProfile.type must be RuntimeDefault');
  for (const container of spec.containers ?? []) {
    const at = `${where} container ${container.name}`;
    const security = container.securityContext ?? {};
    if (!container.readinessProbe?.httpGet || container.readinessProbe.httpGet.path !== '/readyz')
      error(at, 'readinessProbe must GET /readyz');
    if (!container.livenessProbe?.httpGet || container.livenessProbe.httpGet.path !== '/healthz')
      error(at, 'livenessProbe must GET /healthz');
    if (!container.startupProbe) error(at, 'startupProbe is missing');
    if (!container.resources?.requests || !container.resources?.limits?.memory)
      error(at, 'resources.requests and limits.memory are required');
    if (!(security.runAsNonRoot ?? podSecurity.runAsNonRoot))
      error(at, 'must run as non-root (runAsNonRoot: true)');
    if (security.allowPrivilegeEscalation !== false)
      error(at, 'securityContext.allowPrivilegeEscalation must be false');
    if (!(security.capabilities?.drop ?? []).includes('ALL'))
      error(at, 'securityContext.capabilities.drop must include ALL');
    if (security.readOnlyRootFilesystem !== true)
      error(at, 'securityContext.readOnlyRootFilesystem must be true (mount an emptyDir where it writes)');
    for (const variable of container.env ?? []) {
      if (SECRET_LIKE.test(variable.name) && variable.value !== undefined) {
        error(at, `${variable.name} is a literal value; it must come from a Secret (valueFrom.secretKeyRef)`);
      }
      const ref = variable.valueFrom?.secretKeyRef;
      if (ref && !ref.optional && !secretExamples.get(ref.name)?.has(ref.key)) {
        error(
          at,
          `needs Secret ${ref.name} key ${ref.key}, which k8s/base/secret.example.yaml does not document`,
        );
      }
    }
  }
}

function checkRendered(rendered, secretExamples) {
  for (const [dir, objects] of rendered) {
    const byKind = (kind) => objects.filter((o) => o?.kind === kind);
    const configMaps = new Set(byKind('ConfigMap').map((o) => o.metadata.name));
    for (const deployment of byKind('Deployment')) {
      const where = `${dir} Deployment ${deployment.metadata.name}`;
      checkDeployment(deployment, where, secretExamples);
      for (const container of deployment.spec.template.spec.containers ?? []) {
        for (const source of container.envFrom ?? []) {
          const name = source.configMapRef?.name;
          if (name && !configMaps.has(name))
            error(where, `envFrom ConfigMap ${name} is not in the kustomization`);
        }
      }
    }
    for (const service of byKind('Service')) {
      const selects = Object.entries(service.spec?.selector ?? {});
      const target = byKind('Deployment').find((d) =>
        selects.every(([k, v]) => d.spec.template.metadata?.labels?.[k] === v),
      );
      if (!target) error(`${dir} Service ${service.metadata.name}`, 'its selector matches no Deployment');
    }
    for (const ingress of byKind('Ingress')) {
      for (const rule of ingress.spec?.rules ?? []) {
        for (const p of rule.http?.paths ?? []) {
          if (p.backend?.service?.name !== 'gateway') {
            error(
              `${dir} Ingress ${ingress.metadata.name}`,
              `routes ${p.path} to ${p.backend?.service?.name}: only the gateway may be exposed`,
            );
          }
        }
      }
    }
  }
}

function secretExampleKeys() {
  const file = path.join(root, 'k8s', 'base', 'secret.example.yaml');
  const keys = new Map();
  if (!fs.existsSync(file)) return (error('k8s/base/secret.example.yaml', 'missing'), keys);
  try {
    for (const doc of parseDocuments(file)) {
      if (doc.kind === 'Secret')
        keys.set(doc.metadata.name, new Set(Object.keys({ ...doc.data, ...doc.stringData })));
    }
  } catch (e) {
    error('k8s/base/secret.example.yaml', e.message);
  }
  return keys;
}

/** services/ and services.json name the same services; each registered one can be built and started. */
function checkRegistry(services) {
  const registered = new Set(services.map((s) => s.name));
  for (const folder of serviceFolders(root)) {
    if (!registered.has(folder))
      error(`services/${folder}`, 'is not in services.json (npm run new-service registers one)');
  }
  for (const service of services) {
    const dir = path.join(root, 'services', service.name);
    for (const file of ['package.json', 'src/main.ts', 'README.md'])
      if (!fs.existsSync(path.join(dir, file)))
        error(`services.json (${service.name})`, `services/${service.name}/${file} is missing`);
    if (fs.existsSync(path.join(dir, 'Dockerfile')))
      error(
        `services/${service.name}/Dockerfile`,
        'services build from the one root Dockerfile (--build-arg SERVICE)',
      );
  }
}

/** The files generated from the registry are what the registry gives today. */
function checkGenerated(services) {
  for (const [relative, expected] of deployFiles(services)) {
    const file = path.join(root, relative);
    const actual = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined;
    if (actual !== expected)
      error(
        relative,
        `${actual === undefined ? 'is missing' : 'differs from services.json'}: run npm run deploy:generate`,
      );
  }
  notes.push('files generated from services.json are up to date');
}

function checkDockerfile() {
  const file = path.join(root, 'Dockerfile');
  if (!fs.existsSync(file)) return error('Dockerfile', 'missing');
  const text = fs.readFileSync(file, 'utf8');
  if (!/^USER\s+(?!root\b)\S+/m.test(text)) error('Dockerfile', 'the image must switch to a non-root USER');
  if (!/^ARG SERVICE\b/m.test(text)) error('Dockerfile', 'needs ARG SERVICE');
  if (!text.includes('services/${SERVICE}/dist/main.js'))
    error('Dockerfile', 'CMD must run services/${SERVICE}/dist/main.js');
  if (!/^HEALTHCHECK/m.test(text)) error('Dockerfile', 'HEALTHCHECK is missing');
}

/** Every registered service has its compose service and k8s manifests, on its registered port. */
function checkCoverage(services, compose, rendered) {
  for (const service of services) {
    const { name, port, database } = service;
    const composed = compose?.services?.[name];
    if (compose && !composed) error('docker-compose.yml', `has no service "${name}"`);
    else if (composed) {
      if (composed.build?.args?.SERVICE !== name)
        error('docker-compose.yml', `service ${name} must build the root Dockerfile with SERVICE=${name}`);
      if (!composed.healthcheck) error('docker-compose.yml', `service ${name} has no healthcheck`);
      if (String(composed.environment?.PORT) !== String(port))
        error('docker-compose.yml', `service ${name} must set PORT to ${port} (services.json)`);
      if (database && !String(composed.environment?.DATABASE_URL ?? '').endsWith(`/${database}`))
        error('docker-compose.yml', `service ${name} must use its own database ${database}`);
    }
    for (const [dir, objects] of rendered) {
      const has = (kind) => objects.some((o) => o?.kind === kind && o.metadata?.name === name);
      for (const kind of ['Deployment', 'Service', 'PodDisruptionBudget']) {
        if (!has(kind)) error(dir, `has no ${kind} "${name}"`);
      }
      const deployment = objects.find((o) => o?.kind === 'Deployment' && o.metadata?.name === name);
      const ports = deployment?.spec?.template?.spec?.containers?.flatMap((c) => c.ports ?? []) ?? [];
      if (deployment && !ports.some((p) => p.containerPort === port))
        error(dir, `Deployment ${name} does not expose port ${port} (services.json)`);
      if (service.role === 'api') {
        const gatewayConfig = objects.find(
          (o) =>
            o?.kind === 'ConfigMap' &&
            o.metadata?.name?.endsWith('-config') &&
            o.data?.[service.urlVariable] !== undefined,
        );
        if (!gatewayConfig)
          error(dir, `the gateway's ConfigMap does not say where ${name} answers (${service.urlVariable})`);
      }
    }
  }
  notes.push(
    `services checked for compose service and k8s manifests: ${services.map((s) => s.name).join(', ')}`,
  );
}

function main() {
  const services = registeredServices();
  checkRegistry(services);
  checkGenerated(services);
  checkDockerfile();
  const compose = checkCompose();
  const rendered = checkKubernetes();
  checkRendered(rendered, secretExampleKeys());
  checkCoverage(services, compose, rendered);
  for (const note of notes) console.log(`  ok  ${note}`);
  if (errors.length) {
    for (const e of errors) console.error(`FAIL  ${e}`);
    console.error(`\nvalidate-deploy: ${errors.length} problem(s)`);
    process.exit(1);
  }
  console.log('validate-deploy: all deployment files are valid');
}

main();
