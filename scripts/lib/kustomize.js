// Renders a kustomization the way `kubectl kustomize` does, for the subset of kustomize this
// repository uses: resources (files and kustomization folders), namespace, images, replicas and
// strategic-merge patches. Anything else is an error, so a new feature cannot slip through unvalidated
// (extend this file, or switch CI to a real kustomize binary, when one is needed).
'use strict';
const fs = require('fs');
const path = require('path');
const YAML = require('yaml');

class KustomizeError extends Error {
  constructor(message, file) {
    super(message);
    this.name = 'KustomizeError';
    this.file = file;
  }
}

const FILE_NAMES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];
const SUPPORTED = new Set(['apiVersion', 'kind', 'resources', 'namespace', 'images', 'replicas', 'patches']);
const CLUSTER_SCOPED = new Set([
  'Namespace',
  'ClusterRole',
  'ClusterRoleBinding',
  'CustomResourceDefinition',
  'PersistentVolume',
  'StorageClass',
  'IngressClass',
  'PriorityClass',
  'ValidatingWebhookConfiguration',
  'MutatingWebhookConfiguration',
]);
const POD_TEMPLATE_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job']);

function kustomizationFile(dir) {
  return FILE_NAMES.map((name) => path.join(dir, name)).find((file) => fs.existsSync(file));
}

function isKustomizationDir(dir) {
  return Boolean(kustomizationFile(dir));
}

function readDocuments(file) {
  if (!fs.existsSync(file)) throw new KustomizeError('file not found', file);
  const documents = YAML.parseAllDocuments(fs.readFileSync(file, 'utf8'));
  for (const doc of documents) {
    if (doc.errors.length) throw new KustomizeError(`YAML: ${doc.errors[0].message}`, file);
  }
  return documents.map((doc) => doc.toJS()).filter((object) => object !== null);
}

const isObject = (value) => value !== null && typeof value === 'object' && !Array.isArray(value);
const clone = (value) => structuredClone(value);

/** Lists of named items (containers, env, volumes, ports) merge item by item, like kubectl. */
function strategicMerge(base, patch) {
  if (isObject(base) && isObject(patch)) {
    const out = { ...base };
    for (const [key, value] of Object.entries(patch)) {
      if (value === null) delete out[key];
      else out[key] = key in base ? strategicMerge(base[key], value) : clone(value);
    }
    return out;
  }
  const named = (list) => list.every((item) => isObject(item) && typeof item.name === 'string');
  if (Array.isArray(base) && Array.isArray(patch) && named(base) && named(patch)) {
    const out = base.map((item) => {
      const change = patch.find((p) => p.name === item.name);
      return change ? strategicMerge(item, change) : item;
    });
    for (const item of patch) if (!base.some((b) => b.name === item.name)) out.push(clone(item));
    return out;
  }
  return clone(patch);
}

function splitImage(image) {
  const at = image.indexOf('@');
  const withoutDigest = at >= 0 ? image.slice(0, at) : image;
  const colon = withoutDigest.lastIndexOf(':');
  const hasTag = colon > withoutDigest.lastIndexOf('/');
  return { name: hasTag ? withoutDigest.slice(0, colon) : withoutDigest };
}

function podSpecs(object) {
  if (POD_TEMPLATE_KINDS.has(object.kind)) return [object.spec?.template?.spec].filter(Boolean);
  if (object.kind === 'CronJob') return [object.spec?.jobTemplate?.spec?.template?.spec].filter(Boolean);
  if (object.kind === 'Pod') return [object.spec].filter(Boolean);
  return [];
}

function identity(object) {
  return `${object?.kind}/${object?.metadata?.name}`;
}

/**
 * @returns {{ resources: Array<{ object: object, source: string }>, files: Set<string> }}
 *   the rendered resources (each with the file it came from) and every file the render read
 */
function renderKustomization(dir, stack = []) {
  const file = kustomizationFile(dir);
  if (!file) throw new KustomizeError('no kustomization.yaml here', dir);
  if (stack.includes(file))
    throw new KustomizeError(`kustomizations include each other: ${[...stack, file].join(' -> ')}`, file);
  const [spec] = readDocuments(file);
  if (!isObject(spec)) throw new KustomizeError('empty kustomization', file);
  for (const key of Object.keys(spec)) {
    if (!SUPPORTED.has(key)) {
      throw new KustomizeError(
        `kustomization field "${key}" is not supported by scripts/lib/kustomize.js (supported: ${[...SUPPORTED].join(', ')})`,
        file,
      );
    }
  }
  const files = new Set([file]);
  let resources = [];

  for (const entry of spec.resources ?? []) {
    if (/^[a-z]+:\/\//.test(entry) || entry.startsWith('github.com/')) {
      throw new KustomizeError(`remote resource ${entry} cannot be validated offline`, file);
    }
    const target = path.resolve(dir, entry);
    if (fs.existsSync(target) && fs.statSync(target).isDirectory()) {
      const inner = renderKustomization(target, [...stack, file]);
      inner.files.forEach((f) => files.add(f));
      resources.push(...inner.resources);
    } else {
      if (!fs.existsSync(target)) throw new KustomizeError(`resource ${entry} does not exist`, file);
      files.add(target);
      resources.push(...readDocuments(target).map((object) => ({ object, source: target })));
    }
  }

  const seen = new Map();
  for (const { object, source } of resources) {
    const id = identity(object);
    if (seen.has(id))
      throw new KustomizeError(`${id} is defined twice (${seen.get(id)} and ${source})`, file);
    seen.set(id, source);
  }

  for (const patch of spec.patches ?? []) {
    let documents;
    if (patch.path) {
      const patchFile = path.resolve(dir, patch.path);
      files.add(patchFile);
      documents = readDocuments(patchFile);
    } else if (typeof patch.patch === 'string') {
      documents = YAML.parseAllDocuments(patch.patch).map((d) => d.toJS());
    } else {
      throw new KustomizeError('a patch needs "path" or "patch"', file);
    }
    for (const document of documents) {
      if (Array.isArray(document))
        throw new KustomizeError(
          'JSON 6902 patches are not supported here; use a strategic-merge patch',
          file,
        );
      const kind = patch.target?.kind ?? document.kind;
      const name = patch.target?.name ?? document.metadata?.name;
      const matches = resources.filter(
        (r) => r.object.kind === kind && (!name || new RegExp(`^${name}$`).test(r.object.metadata?.name)),
      );
      if (matches.length === 0)
        throw new KustomizeError(
          `patch ${patch.path ?? '(inline)'} targets ${kind}/${name}, which no resource is`,
          file,
        );
      for (const match of matches) {
        const { apiVersion: _a, kind: _k, metadata, ...body } = document;
        const merged = strategicMerge(match.object, body);
        if (metadata)
          merged.metadata = strategicMerge(match.object.metadata, {
            ...metadata,
            name: match.object.metadata.name,
          });
        match.object = merged;
      }
    }
  }

  for (const { name, count } of spec.replicas ?? []) {
    const matches = resources.filter(
      (r) =>
        ['Deployment', 'StatefulSet', 'ReplicaSet'].includes(r.object.kind) &&
        r.object.metadata?.name === name,
    );
    if (matches.length === 0)
      throw new KustomizeError(`replicas: no Deployment or StatefulSet named ${name}`, file);
    if (!Number.isInteger(count) || count < 0)
      throw new KustomizeError(`replicas: count of ${name} must be a whole number`, file);
    for (const match of matches) match.object = strategicMerge(match.object, { spec: { replicas: count } });
  }

  for (const image of spec.images ?? []) {
    let used = false;
    resources = resources.map((r) => {
      const object = clone(r.object);
      for (const podSpec of podSpecs(object)) {
        for (const container of [...(podSpec.containers ?? []), ...(podSpec.initContainers ?? [])]) {
          if (typeof container.image !== 'string' || splitImage(container.image).name !== image.name)
            continue;
          used = true;
          const name = image.newName ?? image.name;
          container.image = image.digest
            ? `${name}@${image.digest}`
            : image.newTag
              ? `${name}:${image.newTag}`
              : name;
        }
      }
      return { ...r, object };
    });
    if (!used) throw new KustomizeError(`images: no container uses ${image.name}`, file);
  }

  if (spec.namespace) {
    for (const r of resources) {
      if (CLUSTER_SCOPED.has(r.object.kind)) continue;
      r.object = strategicMerge(r.object, { metadata: { namespace: spec.namespace } });
    }
  }
  return { resources, files };
}

module.exports = { renderKustomization, isKustomizationDir, strategicMerge, KustomizeError };
