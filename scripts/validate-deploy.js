#!/usr/bin/env node
// Fails (exit 1) when a deployment file is broken, naming the file and the reason:
//  - docker-compose.yml: `docker-compose config -q` (skipped with a warning only outside CI when absent);
//  - the registry: every folder under services/ is in services.json, every entry has its folder;
//    the files generated from it (k8s manifests and kustomizations, docker-compose.yml) are exactly
//    what `npm run deploy:generate` writes;
//  - k8s/: every kustomization (base, overlays) rendered by the real `kubectl kustomize` and every
//    resource validated against the Kubernetes schemas (kubernetes-models), unknown fields and
//    unknown kinds included; YAML files outside any kustomization validated one by one; the
//    operators' custom resources (CloudNativePG, RabbitMQ) checked structurally; the alert rules
//    by `promtool check rules` too (Debian's `prometheus` package; skipped with a note outside CI);
//  - production (k8s/overlays/prod): replicas ≥ 2, autoscalers for the gateway and the ledger,
//    disruption budgets, network policies (only the gateway open; notifier and ledger egress),
//    the PostgreSQL cluster with a database per service and backups, the RabbitMQ cluster;
//  - coverage: the one Dockerfile builds any service; every registered service has its compose
//    service and k8s manifests, and the manifests keep the house rules (probes, resources,
//    non-root, secrets by reference).
'use strict';
const { spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
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
    const where = `${rel(source)} (${object?.kind ?? '?'} ${object?.metadata?.name ?? '?'}${label ? `, in ${label}` : ''})`;
    // The operators' custom resources have no schema here: the structural check stands in for it.
    // Any other custom resource is refused: everything we deploy must be known.
    const structural = STRUCTURAL_CHECKS[`${object?.apiVersion} ${object?.kind}`];
    if (structural) {
      const before = errors.length;
      structural(object, (reason) => error(where, reason));
      if (errors.length === before) count += 1;
      continue;
    }
    const outcome = validateResource(object);
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

  // Files no kustomization uses (secret.example.yaml): each document on its own.
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

// ---------------------------------------------------------------- operators' custom resources

const dig = (object, dotted) =>
  dotted.split('.').reduce((at, key) => (at == null ? undefined : at[key]), object);
function requireFields(object, fields, fail) {
  for (const field of fields) {
    const value = dig(object, field);
    if (value === undefined || value === null || value === '') fail(`${field} is required`);
  }
}
const isSecretKeyRef = (ref) => typeof ref?.name === 'string' && typeof ref?.key === 'string';

/** Structural checks of the custom resources the prod overlay uses, by `apiVersion kind`. */
const STRUCTURAL_CHECKS = {
  'postgresql.cnpg.io/v1 Cluster': (cluster, fail) => {
    requireFields(
      cluster,
      ['metadata.name', 'metadata.namespace', 'spec.instances', 'spec.storage.size'],
      fail,
    );
    const instances = cluster.spec?.instances;
    if (!Number.isInteger(instances) || instances < 2)
      fail('spec.instances must be an integer ≥ 2 (a primary and a replica to fail over to)');
    const store = cluster.spec?.backup?.barmanObjectStore;
    if (!store?.destinationPath) fail('spec.backup.barmanObjectStore.destinationPath is required (backups)');
    for (const key of ['accessKeyId', 'secretAccessKey']) {
      if (store && !isSecretKeyRef(store.s3Credentials?.[key]))
        fail(`spec.backup.barmanObjectStore.s3Credentials.${key} must reference a Secret (name, key)`);
    }
    for (const role of cluster.spec?.managed?.roles ?? []) {
      if (!role.name) fail('every spec.managed.roles entry needs a name');
      if (role.login && !role.passwordSecret?.name)
        fail(`role ${role.name}: a login role's password must come from a Secret (passwordSecret.name)`);
    }
  },
  'postgresql.cnpg.io/v1 Database': (database, fail) =>
    requireFields(
      database,
      ['metadata.name', 'metadata.namespace', 'spec.name', 'spec.owner', 'spec.cluster.name'],
      fail,
    ),
  'postgresql.cnpg.io/v1 ScheduledBackup': (backup, fail) => {
    requireFields(backup, ['metadata.name', 'spec.schedule', 'spec.cluster.name'], fail);
    // CloudNativePG schedules have six fields (seconds first).
    if (typeof backup.spec?.schedule === 'string' && backup.spec.schedule.trim().split(/\s+/).length !== 6)
      fail('spec.schedule must be a six-field cron expression (seconds first)');
  },
  'rabbitmq.com/v1beta1 RabbitmqCluster': (cluster, fail) => {
    requireFields(
      cluster,
      ['metadata.name', 'metadata.namespace', 'spec.replicas', 'spec.persistence.storage'],
      fail,
    );
    const replicas = cluster.spec?.replicas;
    // Quorum queues need a majority: an odd number of nodes, three at least.
    if (!Number.isInteger(replicas) || replicas < 3 || replicas % 2 === 0)
      fail('spec.replicas must be odd and ≥ 3 (the services use quorum queues)');
    if (!cluster.spec?.resources?.limits?.memory) fail('spec.resources.limits.memory is required');
  },
};

/** Every metric name the code registers (`name: 'x'` next to prom-client), for the alert rules' check. */
function exportedMetrics() {
  const names = new Set(['up']);
  const sources = ['shared/src', ...serviceFolders(root).map((s) => `services/${s}/src`)];
  const walk = (dir) => {
    if (!fs.existsSync(dir)) return;
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.ts')) {
        const text = fs.readFileSync(full, 'utf8');
        if (!text.includes('prom-client')) continue;
        for (const match of text.matchAll(/name: '([a-z_][a-z0-9_]*)'/g)) names.add(match[1]);
      }
    }
  };
  for (const dir of sources) walk(path.join(root, dir));
  // prom-client's default metrics (collectDefaultMetrics) that the dashboard reads.
  names.add('process_resident_memory_bytes');
  return names;
}

let knownMetrics;
function checkRuleExpression(expr, fail) {
  knownMetrics ??= exportedMetrics();
  // A metric selector is a name followed by `{` or `[`; functions are followed by `(`.
  for (const match of String(expr).matchAll(/\b([a-z_][a-z0-9_]*)\s*(?=[{[])/g)) {
    const name = match[1].replace(/_(bucket|count|sum)$/, '');
    if (!knownMetrics.has(name) && !knownMetrics.has(match[1]))
      fail(`reads metric ${match[1]}, which no service exports`);
  }
}

const promtoolChecked = new Set();
/**
 * Prometheus's own parser on the rules (PromQL syntax, durations, templates), the groups written
 * as a rules file: what the structural check cannot see. Once per distinct rule set.
 */
function checkWithPromtool(rule, fail) {
  const text = YAML.stringify({ groups: rule.spec?.groups ?? [] });
  if (promtoolChecked.has(text)) return;
  promtoolChecked.add(text);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'promtool-'));
  try {
    const file = path.join(dir, `${rule.metadata?.name ?? 'rules'}.yaml`);
    fs.writeFileSync(file, text);
    const result = spawnSync('promtool', ['check', 'rules', file], { encoding: 'utf8' });
    if (result.error && result.error.code === 'ENOENT') {
      if (process.env.CI) fail('promtool is not installed (apt-get install prometheus)');
      else notes.push('promtool is not installed: alert rules checked structurally only (CI runs promtool)');
    } else if (result.status !== 0) {
      fail(`promtool check rules failed:\n${(result.stderr || result.stdout).trim()}`);
    } else {
      notes.push(
        `${rule.metadata?.name}: promtool check rules passed (${result.stdout.trim().split('\n').pop()})`,
      );
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

Object.assign(STRUCTURAL_CHECKS, {
  'monitoring.coreos.com/v1 PrometheusRule': (rule, fail) => {
    checkWithPromtool(rule, fail);
    const groups = rule.spec?.groups ?? [];
    if (!groups.length) fail('spec.groups is empty');
    for (const group of groups) {
      if (!group.name) fail('every group needs a name');
      for (const r of group.rules ?? []) {
        const at = (reason) => fail(`${r.alert ?? r.record ?? '?'}: ${reason}`);
        if (!r.expr) at('expr is required');
        else checkRuleExpression(r.expr, at);
        if (r.alert) {
          if (!['warning', 'critical'].includes(r.labels?.severity))
            at('labels.severity must be warning or critical');
          if (!r.annotations?.summary) at('annotations.summary is required');
          const runbook = r.annotations?.runbook;
          if (!runbook) at('annotations.runbook is required (a section of docs/operations.md)');
          else checkRunbook(runbook, at);
        } else if (!r.record) at('a rule is an alert or a record');
      }
    }
  },
  'monitoring.coreos.com/v1 PodMonitor': (monitor, fail) => {
    requireFields(monitor, ['spec.selector.matchLabels'], fail);
    if (!(monitor.spec?.podMetricsEndpoints ?? []).length) fail('spec.podMetricsEndpoints is empty');
  },
});

/** A runbook link `docs/operations.md#anchor` names a heading that exists there. */
function checkRunbook(link, fail) {
  const [file, anchor] = link.split('#');
  const full = path.join(root, file);
  if (!fs.existsSync(full)) return fail(`runbook ${file} does not exist`);
  if (!anchor) return;
  const anchors = new Set(
    fs
      .readFileSync(full, 'utf8')
      .split('\n')
      .filter((line) => /^#{1,6} /.test(line))
      .map((line) =>
        line
          .replace(/^#+ /, '')
          .trim()
          .toLowerCase()
          .replace(/[^a-z0-9 -]/g, '')
          .replace(/ /g, '-'),
      ),
  );
  if (!anchors.has(anchor)) fail(`runbook ${link}: no such heading in ${file}`);
}

/** What production needs beyond the house rules: replicas, autoscaling, policies, its infrastructure. */
function checkProduction(rendered, services) {
  const dir = 'k8s/overlays/prod';
  const objects = rendered.get(dir);
  if (!objects) return error(dir, 'was not rendered');
  const byKind = (kind) => objects.filter((o) => o?.kind === kind);
  for (const deployment of byKind('Deployment')) {
    // Every service is stateless (state lives in PostgreSQL and RabbitMQ): two replicas at least.
    if (!(deployment.spec?.replicas >= 2))
      error(`${dir} Deployment ${deployment.metadata.name}`, 'needs replicas ≥ 2 in production');
  }
  for (const name of [services.find((s) => s.role === 'edge')?.name, 'ledger'].filter(Boolean)) {
    const hpa = byKind('HorizontalPodAutoscaler').find((h) => h.spec?.scaleTargetRef?.name === name);
    if (!hpa) error(dir, `has no HorizontalPodAutoscaler for ${name}`);
    else if (!(hpa.spec.minReplicas >= 2))
      error(`${dir} HorizontalPodAutoscaler ${name}`, 'minReplicas must be ≥ 2');
  }
  for (const service of services) {
    if (
      !byKind('PodDisruptionBudget').some(
        (p) => p.spec?.selector?.matchLabels?.['app.kubernetes.io/name'] === service.name,
      )
    )
      error(dir, `has no PodDisruptionBudget for ${service.name}`);
  }
  checkNetworkPolicies(dir, objects, services);
  const databases = new Set(byKind('Database').map((d) => d.spec?.name));
  if (byKind('Cluster').length !== 1) error(dir, 'needs one CloudNativePG Cluster');
  if (!byKind('ScheduledBackup').length) error(dir, 'needs a CloudNativePG ScheduledBackup');
  if (byKind('RabbitmqCluster').length !== 1) error(dir, 'needs one RabbitmqCluster');
  for (const service of services.filter((s) => s.database)) {
    if (!databases.has(service.database))
      error(dir, `has no CloudNativePG Database ${service.database} (${service.name})`);
  }
  notes.push(
    `${dir}: replicas, autoscalers, disruption budgets, network policies and operator resources checked`,
  );
}

const labelsMatch = (selector, labels) =>
  Object.entries(selector?.matchLabels ?? {}).every(([k, v]) => labels[k] === v) &&
  (selector?.matchExpressions ?? []).every((e) =>
    e.operator === 'In' ? e.values.includes(labels[e.key]) : e.operator === 'Exists' ? e.key in labels : true,
  );

/**
 * Who may reach whom: a service other than the gateway takes traffic only from pods of its own
 * namespace (the gateway; auth also from the services, for its JWKS) and Prometheus; only the
 * gateway is open. The notifier may reach the internet, the ledger its FX provider.
 */
function checkNetworkPolicies(dir, objects, services) {
  const policies = objects.filter((o) => o?.kind === 'NetworkPolicy');
  const edge = services.find((s) => s.role === 'edge');
  const deployments = objects.filter((o) => o?.kind === 'Deployment');
  for (const deployment of deployments) {
    const name = deployment.metadata.name;
    const labels = deployment.spec.template.metadata?.labels ?? {};
    const selecting = policies.filter((p) => labelsMatch(p.spec?.podSelector, labels));
    const ingress = selecting.filter((p) => (p.spec.policyTypes ?? []).includes('Ingress'));
    const egress = selecting.filter((p) => (p.spec.policyTypes ?? []).includes('Egress'));
    const where = `${dir} NetworkPolicy for ${name}`;
    if (!ingress.length) error(where, 'no ingress policy selects it: it would accept traffic from anywhere');
    if (!egress.length) error(where, 'no egress policy selects it');
    if (name !== edge?.name) {
      for (const rule of ingress.flatMap((p) => p.spec.ingress ?? [])) {
        if (!rule.from?.length) error(where, 'an ingress rule without `from` opens it to everyone');
        for (const peer of rule.from ?? []) {
          const monitoring =
            peer.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'] === 'monitoring';
          if (peer.ipBlock || (peer.namespaceSelector && !monitoring))
            error(
              where,
              'takes traffic from outside the namespace (only the gateway, services and Prometheus may call it)',
            );
          if (
            name !== 'auth' &&
            peer.podSelector &&
            peer.podSelector.matchLabels?.['app.kubernetes.io/name'] !== edge?.name
          )
            error(where, 'takes traffic from pods other than the gateway');
        }
      }
    }
    const reachesInternet = egress.some((p) =>
      (p.spec.egress ?? []).some((rule) =>
        (rule.to ?? []).some((peer) => peer.ipBlock?.cidr === '0.0.0.0/0'),
      ),
    );
    const mayReachInternet = ['notifier', 'ledger'].includes(name);
    if (mayReachInternet && !reachesInternet)
      error(where, `${name} must reach the internet (mail and webhooks / FX provider)`);
    if (!mayReachInternet && reachesInternet) error(where, `${name} must not reach the internet`);
  }
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
      // k8s/monitoring renders monitoring resources only, no services.
      if (!objects.some((o) => o?.kind === 'Deployment')) continue;
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
  checkProduction(rendered, services);
  for (const note of notes) console.log(`  ok  ${note}`);
  if (errors.length) {
    for (const e of errors) console.error(`FAIL  ${e}`);
    console.error(`\nvalidate-deploy: ${errors.length} problem(s)`);
    process.exit(1);
  }
  console.log('validate-deploy: all deployment files are valid');
}

main();
