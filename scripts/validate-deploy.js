#!/usr/bin/env node
// Fails (exit 1) when a deployment file is broken, naming the file and the reason:
//  - docker-compose.yml: `docker-compose config -q` (skipped with a warning only outside CI when absent);
//  - k8s/: every kustomization (base, overlays) rendered here and every resource validated against
//    the Kubernetes schemas (kubernetes-models), unknown fields and unknown kinds included;
//    YAML files outside any kustomization (examples) validated one by one, CRDs skipped with a note;
//  - coverage: every service folder ships a Dockerfile, a compose service and k8s manifests,
//    and the manifests keep the house rules (probes, resources, non-root, secrets by reference).
'use strict';
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const YAML = require('yaml');
const { root, serviceFolders, describe } = require('./lib/services');
const { renderKustomization, isKustomizationDir, KustomizeError } = require('./lib/kustomize');
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

function checkKubernetes() {
  const k8s = path.join(root, 'k8s');
  const rendered = new Map();
  const used = new Set();
  const kustomizationDirs = [...new Set(yamlFiles(k8s).map((f) => path.dirname(f)))]
    .filter(isKustomizationDir)
    .sort();
  if (kustomizationDirs.length === 0) error('k8s/', 'no kustomization.yaml found');

  for (const dir of kustomizationDirs) {
    try {
      const { resources, files } = renderKustomization(dir);
      for (const f of files) used.add(f);
      const valid = validateAll(resources, rel(dir));
      rendered.set(
        rel(dir),
        resources.map((r) => r.object),
      );
      notes.push(
        `${rel(dir)}: rendered ${resources.length} resources, ${valid} valid against the Kubernetes schemas`,
      );
    } catch (e) {
      if (!(e instanceof KustomizeError || e instanceof YAML.YAMLError)) throw e;
      error(e.file ? rel(e.file) : rel(dir), e.message);
      // Its patches are partial documents: do not also report them as broken resources.
      for (const f of yamlFiles(dir).filter((f) => path.dirname(f) === dir)) used.add(f);
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

/** A service cannot ship without its Dockerfile, compose entry and manifests in every kustomization. */
function checkCoverage(compose, rendered) {
  const names = serviceFolders(root);
  for (const name of names) {
    const { port, database } = describe(name, names);
    const dockerfile = path.join(root, 'services', name, 'Dockerfile');
    if (!fs.existsSync(dockerfile)) error(`services/${name}`, 'has no Dockerfile');
    else {
      const text = fs.readFileSync(dockerfile, 'utf8');
      if (!/^USER\s+(?!root\b)\S+/m.test(text))
        error(rel(dockerfile), 'the image must switch to a non-root USER');
      if (!text.includes(`services/${name}/dist/main.js`))
        error(rel(dockerfile), `CMD must run services/${name}/dist/main.js`);
      if (!/^HEALTHCHECK/m.test(text)) error(rel(dockerfile), 'HEALTHCHECK is missing');
      if (!new RegExp(`^EXPOSE\\s+${port}\\b`, 'm').test(text)) error(rel(dockerfile), `must EXPOSE ${port}`);
    }
    const service = compose?.services?.[name];
    if (compose && !service) error('docker-compose.yml', `has no service "${name}"`);
    else if (service) {
      if (service.build?.dockerfile !== `services/${name}/Dockerfile`) {
        error(
          'docker-compose.yml',
          `service ${name} must build services/${name}/Dockerfile from the repository root`,
        );
      }
      if (!service.healthcheck) error('docker-compose.yml', `service ${name} has no healthcheck`);
      const environment = service.environment ?? {};
      if (String(environment.PORT) !== String(port)) {
        error('docker-compose.yml', `service ${name} must set PORT to ${port} (scripts/lib/services.js)`);
      }
      if (database) {
        const created = String(
          compose.services.postgres?.environment?.POSTGRES_MULTIPLE_DATABASES ?? '',
        ).split(',');
        if (!String(environment.DATABASE_URL ?? '').endsWith(`/${database}`)) {
          error(
            'docker-compose.yml',
            `service ${name} must use its own database ${database} in DATABASE_URL`,
          );
        }
        if (!created.map((d) => d.trim()).includes(database)) {
          error('docker-compose.yml', `postgres POSTGRES_MULTIPLE_DATABASES does not create ${database}`);
        }
      }
    }
    // The gateway must know where the service answers, in compose and in every kustomization.
    const upstream = describe(name, names).upstreamVariable;
    const expectedUrl = `http://${name}:${port}`;
    if (name !== 'gateway' && compose?.services?.gateway) {
      const actual = compose.services.gateway.environment?.[upstream];
      if (actual !== expectedUrl)
        error('docker-compose.yml', `gateway needs ${upstream}=${expectedUrl} (has ${actual})`);
    }
    for (const [dir, objects] of rendered) {
      const gatewayConfig = objects.find(
        (o) => o?.kind === 'ConfigMap' && o.metadata?.name === 'gateway-config',
      );
      if (name !== 'gateway' && gatewayConfig && gatewayConfig.data?.[upstream] !== expectedUrl) {
        error(
          dir,
          `ConfigMap gateway-config needs ${upstream}: ${expectedUrl} (has ${gatewayConfig.data?.[upstream]})`,
        );
      }
      const has = (kind) => objects.some((o) => o?.kind === kind && o.metadata?.name === name);
      for (const kind of ['Deployment', 'Service', 'PodDisruptionBudget']) {
        if (!has(kind)) error(dir, `has no ${kind} "${name}" (services/${name} needs k8s manifests)`);
      }
      const deployment = objects.find((o) => o?.kind === 'Deployment' && o.metadata?.name === name);
      const ports = deployment?.spec?.template?.spec?.containers?.flatMap((c) => c.ports ?? []) ?? [];
      if (deployment && !ports.some((p) => p.containerPort === port)) {
        error(dir, `Deployment ${name} does not expose port ${port} (scripts/lib/services.js)`);
      }
    }
  }
  notes.push(`services checked for Dockerfile, compose service and k8s manifests: ${names.join(', ')}`);
}

function main() {
  const compose = checkCompose();
  const rendered = checkKubernetes();
  checkRendered(rendered, secretExampleKeys());
  checkCoverage(compose, rendered);
  for (const note of notes) console.log(`  ok  ${note}`);
  if (errors.length) {
    for (const e of errors) console.error(`FAIL  ${e}`);
    console.error(`\nvalidate-deploy: ${errors.length} problem(s)`);
    process.exit(1);
  }
  console.log('validate-deploy: all deployment files are valid');
}

main();
