// Validates one Kubernetes resource against the official OpenAPI schemas shipped in kubernetes-models.
// Their validators accept unknown fields, so a typo (`readinesProbe:`) would pass; we also report
// every field the schema never looked at, by watching which properties the validator reads.
'use strict';

/** The model class of a top-level kind, or null when kubernetes-models does not know it. */
function modelFor(apiVersion, kind) {
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') return null;
  if (!/^([a-z0-9.-]+\/)?v[0-9a-z]+$/.test(apiVersion) || !/^[A-Z][A-Za-z0-9]*$/.test(kind)) return null;
  try {
    const Model = require(`kubernetes-models/${apiVersion}/${kind}`)[kind];
    // Sub-types (Container, PodSpec...) have no apiVersion/kind of their own: not a resource.
    return Model && Model.apiVersion === apiVersion && Model.kind === kind ? Model : null;
  } catch {
    return null;
  }
}

/** A read-tracking view of `value`: every property the validator reads is recorded in `seen`. */
function tracked(value, seen) {
  if (value === null || typeof value !== 'object') return value;
  if (!seen.has(value)) seen.set(value, new Set());
  return new Proxy(value, {
    get(target, key, receiver) {
      if (typeof key === 'string') seen.get(target).add(key);
      return tracked(Reflect.get(target, key, receiver), seen);
    },
  });
}

function unreadFields(value, seen, at, out) {
  if (value === null || typeof value !== 'object') return out;
  const read = seen.get(value);
  if (Array.isArray(value)) {
    value.forEach((item, i) => unreadFields(item, seen, `${at}[${i}]`, out));
    return out;
  }
  for (const key of Object.keys(value)) {
    if (!read || !read.has(key)) out.push(`${at}.${key}`.replace(/^\./, ''));
    else unreadFields(value[key], seen, `${at}.${key}`, out);
  }
  return out;
}

function describeAjvError(e) {
  const where = (e.instancePath || '/').replace(/^\//, '').replace(/\//g, '.') || '(root)';
  if (e.keyword === 'required')
    return `${where === '(root)' ? '' : `${where}.`}${e.params.missingProperty} is required`;
  if (e.keyword === 'enum') return `${where} must be one of ${e.params.allowedValues.join(', ')}`;
  return `${where} ${e.message ?? e.keyword}`;
}

/**
 * @param {unknown} object a parsed YAML document
 * @param {{ allowCustom?: boolean }} options allowCustom: skip kinds from non-Kubernetes API groups (CRDs)
 * @returns {{ errors: string[], skipped?: string }}
 */
function validateResource(object, { allowCustom = false } = {}) {
  if (!object || typeof object !== 'object' || Array.isArray(object))
    return { errors: ['a document must be a mapping'] };
  const { apiVersion, kind } = object;
  if (!apiVersion || !kind) return { errors: ['apiVersion and kind are required'] };
  const Model = modelFor(apiVersion, kind);
  if (!Model) {
    const group = String(apiVersion).split('/')[0];
    const custom = String(apiVersion).includes('/') && group.includes('.') && !group.endsWith('k8s.io');
    if (custom && allowCustom)
      return {
        errors: [],
        skipped: `custom resource ${apiVersion} ${kind} (kubernetes-models has no schema for CRDs)`,
      };
    return {
      errors: [`unknown kind ${kind} in ${apiVersion} (not in the Kubernetes schemas of kubernetes-models)`],
    };
  }
  if (!object.metadata?.name) return { errors: ['metadata.name is required'] };
  const model = new Model(object);
  try {
    model.validate();
  } catch (e) {
    return { errors: (e.errors ?? [{ message: e.message }]).map(describeAjvError) };
  }
  const seen = new Map();
  Model.prototype.validate.call(tracked(model, seen));
  const unknown = unreadFields(model, seen, '', []);
  return { errors: unknown.map((field) => `unknown field ${field}`) };
}

module.exports = { validateResource, modelFor };
