import { z, ZodObject, type ZodType } from 'zod';
import type { ApiRouter, ResponseSpec } from './api-router';

type JsonObject = Record<string, unknown>;

const PROBLEM_SCHEMA: JsonObject = {
  type: 'object',
  description: 'RFC 9457 problem details',
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    errors: {
      type: 'array',
      items: { type: 'object', properties: { field: { type: 'string' }, message: { type: 'string' } } },
    },
    request_id: { type: 'string' },
  },
  required: ['type', 'title', 'status'],
};

/** Converts a zod schema to JSON Schema (OpenAPI 3.1 dialect), hoisting named schemas to components. */
class SchemaConverter {
  readonly components: Record<string, unknown> = { Problem: PROBLEM_SCHEMA };

  convert(schema: ZodType, io: 'input' | 'output'): JsonObject {
    const json = z.toJSONSchema(schema, {
      io,
      unrepresentable: 'any',
      target: 'draft-2020-12',
    }) as JsonObject;
    delete json.$schema;
    const defs = json.$defs as Record<string, unknown> | undefined;
    delete json.$defs;
    if (defs) for (const [name, def] of Object.entries(defs)) this.components[name] ??= this.rewriteRefs(def);
    return this.rewriteRefs(json) as JsonObject;
  }

  private rewriteRefs(value: unknown): unknown {
    return JSON.parse(JSON.stringify(value).replaceAll('"#/$defs/', '"#/components/schemas/'));
  }
}

function toOpenApiPath(path: string): string {
  return path.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, '{$1}');
}

function parametersOf(converter: SchemaConverter, schema: ZodType | undefined, where: 'query' | 'path') {
  if (!(schema instanceof ZodObject)) return [];
  return Object.entries(schema.shape as Record<string, ZodType>).map(([name, field]) => {
    const json = converter.convert(field, 'input');
    const optional = field.safeParse(undefined).success;
    return {
      name,
      in: where,
      required: where === 'path' || !optional,
      ...(typeof json.description === 'string' ? { description: json.description } : {}),
      schema: json,
    };
  });
}

function responseOf(converter: SchemaConverter, status: number, spec: ResponseSpec) {
  const contentType = spec.contentType ?? (spec.schema ? 'application/json' : undefined);
  return {
    description: spec.description,
    ...(spec.headers
      ? {
          headers: Object.fromEntries(
            Object.entries(spec.headers).map(([k, v]) => [
              k,
              { description: v.description, schema: { type: 'string' } },
            ]),
          ),
        }
      : {}),
    ...(contentType
      ? {
          content: {
            [contentType]: {
              schema: spec.schema
                ? converter.convert(spec.schema, 'output')
                : { type: 'string', format: 'binary' },
            },
          },
        }
      : {}),
    ...(status >= 400
      ? { content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } }
      : {}),
  };
}

export interface OpenApiInfo {
  title: string;
  version: string;
  description?: string;
}

/** A route's group when it names none: its path's first segment (`/.well-known/jwks.json` → `well-known`). */
function defaultTagOf(path: string): string {
  const segment = path.split('/').find((part) => part !== '' && !part.startsWith(':')) ?? 'root';
  return (
    segment
      .replace(/^\.+/, '')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '') || 'root'
  );
}

/** Builds one service's OpenAPI 3.1 document from its routers' registered routes. */
export function buildOpenApiDocument(info: OpenApiInfo, routers: ApiRouter[]): JsonObject {
  const converter = new SchemaConverter();
  const paths: Record<string, Record<string, unknown>> = {};
  for (const { method, path, spec } of routers.flatMap((r) => r.routes)) {
    const responses: Record<string, unknown> = {};
    for (const [status, response] of Object.entries(spec.responses))
      responses[status] = responseOf(converter, Number(status), response);
    if (spec.body || spec.query || spec.params)
      responses['400'] ??= responseOf(converter, 400, { description: 'Invalid input' });
    if (spec.auth !== false)
      responses['401'] ??= responseOf(converter, 401, { description: 'Missing or invalid access token' });
    const bodySchema = spec.body ? converter.convert(spec.body, 'input') : undefined;
    const operation: JsonObject = {
      summary: spec.summary,
      ...(spec.description ? { description: spec.description } : {}),
      tags: spec.tags ?? [defaultTagOf(path)],
      // Who may call it beyond being signed in (clients and the generated security suites read it).
      ...(spec.role ? { 'x-required-role': spec.role } : {}),
      operationId: `${method}${toOpenApiPath(path).replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ''))}`,
      parameters: [
        ...parametersOf(converter, spec.params, 'path'),
        ...parametersOf(converter, spec.query, 'query'),
        ...Object.entries(spec.headers ?? {}).map(([name, h]) => ({
          name,
          in: 'header',
          required: h.required ?? false,
          description: h.description,
          schema: { type: 'string' },
        })),
      ],
      ...(spec.streamedBody
        ? {
            requestBody: {
              required: true,
              content: Object.fromEntries(
                Object.entries(spec.streamedBody).map(([t, schema]) => [
                  t,
                  { schema: converter.convert(schema, 'input') },
                ]),
              ),
            },
          }
        : bodySchema
          ? {
              requestBody: {
                required: true,
                content: Object.fromEntries(
                  ['application/json', ...(spec.bodyMediaTypes ?? [])].map((t) => [
                    t,
                    { schema: bodySchema },
                  ]),
                ),
              },
            }
          : {}),
      responses,
      ...(spec.auth === false ? { security: [] } : {}),
    };
    (paths[toOpenApiPath(path)] ??= {})[method] = operation;
  }
  return {
    openapi: '3.1.0',
    info,
    paths,
    components: {
      schemas: converter.components,
      securitySchemes: {
        // Swagger UI's "Authorize" sends username + password to the login endpoint as a form.
        OAuth2Password: { type: 'oauth2', flows: { password: { tokenUrl: '/auth/login', scopes: {} } } },
        BearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
      },
    },
    security: [{ OAuth2Password: [] }, { BearerAuth: [] }],
  };
}
