import { z } from 'zod';
import type { UpstreamName } from './route-table';

type Json = unknown;
type JsonObject = Record<string, Json>;

/** The part of a service's /openapi.json the gateway relies on; anything else is carried along. */
export const serviceDocumentSchema = z.looseObject({
  openapi: z.string().startsWith('3.'),
  paths: z.record(z.string(), z.record(z.string(), z.unknown())).default({}),
  components: z.record(z.string(), z.record(z.string(), z.unknown())).optional(),
  tags: z.array(z.looseObject({ name: z.string() })).optional(),
});
export type ServiceDocument = z.output<typeof serviceDocumentSchema>;

export type ServiceDocumentSource =
  { service: UpstreamName; document: ServiceDocument } | { service: UpstreamName; unavailable: string };

export interface MergeOptions {
  title: string;
  version: string;
  description: string;
  /** Whether the gateway routes `path` to `service`; paths it would not route are left out. */
  routes: (service: UpstreamName, path: string) => boolean;
}

/** The gateway's security schemes: Swagger UI's "Authorize" logs in through the gateway. */
const SECURITY_SCHEMES = {
  OAuth2Password: { type: 'oauth2', flows: { password: { tokenUrl: '/auth/login', scopes: {} } } },
  BearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
};

function isObject(value: Json): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Rewrites `$ref`s to renamed components, everywhere in `value`. */
function rewriteRefs(value: Json, renames: Map<string, string>): Json {
  if (renames.size === 0) return value;
  if (Array.isArray(value)) return value.map((item) => rewriteRefs(item, renames));
  if (!isObject(value)) return value;
  const out: JsonObject = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] =
      key === '$ref' && typeof item === 'string' ? (renames.get(item) ?? item) : rewriteRefs(item, renames);
  }
  return out;
}

/** Stable JSON for comparing two component definitions regardless of key order. */
function canonical(value: Json): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (!isObject(value)) return JSON.stringify(value);
  return `{${Object.keys(value)
    .sort()
    .map((key) => `${JSON.stringify(key)}:${canonical(value[key])}`)
    .join(',')}}`;
}

/**
 * Merges the services' OpenAPI documents into the one document the gateway serves.
 * Components with the same name and the same definition (like `Problem`) are shared; a name
 * two services define differently is prefixed with the later service's name (`ledger_Account`),
 * and that service's `$ref`s follow the rename. Security schemes are the gateway's own.
 */
export function mergeOpenApiDocuments(sources: ServiceDocumentSource[], options: MergeOptions): JsonObject {
  const paths: Record<string, JsonObject> = {};
  const components: Record<string, JsonObject> = {};
  const tags = new Map<string, JsonObject>();
  const unavailable: string[] = [];

  for (const source of sources) {
    if ('unavailable' in source) {
      unavailable.push(`${source.service} (${source.unavailable})`);
      continue;
    }
    const { service, document } = source;
    const renames = new Map<string, string>();
    const additions: Array<[kind: string, name: string, definition: Json]> = [];
    for (const [kind, entries] of Object.entries(document.components ?? {})) {
      if (kind === 'securitySchemes') continue;
      const existing = (components[kind] ??= {});
      for (const [name, definition] of Object.entries(entries)) {
        if (name in existing && canonical(existing[name]) !== canonical(definition)) {
          let renamed = `${service}_${name}`;
          for (let n = 2; renamed in existing; n++) renamed = `${service}_${name}_${n}`;
          renames.set(`#/components/${kind}/${name}`, `#/components/${kind}/${renamed}`);
          additions.push([kind, renamed, definition]);
        } else if (!(name in existing)) {
          additions.push([kind, name, definition]);
        }
      }
    }
    // Renames are known only after all names are seen, so definitions are rewritten afterwards.
    for (const [kind, name, definition] of additions)
      components[kind][name] = rewriteRefs(definition, renames);
    for (const [path, item] of Object.entries(document.paths)) {
      if (options.routes(service, path) && !(path in paths))
        paths[path] = rewriteRefs(item, renames) as JsonObject;
    }
    for (const tag of document.tags ?? []) if (!tags.has(tag.name)) tags.set(tag.name, tag);
  }

  const description = unavailable.length
    ? `${options.description}\n\n**Unavailable right now** (their endpoints are missing from this document): ${unavailable.join(', ')}.`
    : options.description;
  return {
    openapi: '3.1.0',
    info: { title: options.title, version: options.version, description },
    paths: Object.fromEntries(Object.entries(paths).sort(([a], [b]) => a.localeCompare(b))),
    components: { ...components, securitySchemes: SECURITY_SCHEMES },
    security: [{ OAuth2Password: [] }, { BearerAuth: [] }],
    ...(tags.size ? { tags: [...tags.values()] } : {}),
  };
}
