type JsonObject = Record<string, unknown>;

/** The edge's limits, as configured, for the descriptions of the answers they cause. */
export interface EdgeLimits {
  bodyLimitBytes: number;
  importBodyLimitBytes: number;
  ratePerMinute: number;
  credentialRatePerMinute: number;
  maxHeaderBytes: number;
  maxRequestHeaders: number;
  upstreamTimeoutMs: number;
}

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/** The problem document the gateway answers with; its own name, so no service's `Problem` can clash with it. */
const GATEWAY_PROBLEM = {
  type: 'object',
  description: 'RFC 9457 problem details, answered by the gateway itself',
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    request_id: { type: 'string' },
  },
  required: ['type', 'title', 'status', 'detail', 'request_id'],
};

const problemContent = {
  'application/problem+json': { schema: { $ref: '#/components/schemas/GatewayProblem' } },
};
const stringHeader = (description: string) => ({ description, schema: { type: 'string' } });

function kilobytes(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${Math.round(bytes / 1024 / 1024)} MB` : `${Math.round(bytes / 1024)} KB`;
}

/** The answers the gateway gives on its own, before or instead of a service, as OpenAPI response components. */
export function gatewayResponseComponents(limits: EdgeLimits): Record<string, JsonObject> {
  const response = (description: string, headers?: JsonObject) => ({
    description: `Answered by the gateway. ${description}`,
    ...(headers ? { headers } : {}),
    content: problemContent,
  });
  return {
    GatewayUnauthorized: response(
      'The access token is missing, invalid, expired or revoked (a signed-out session, a changed password, a deleted or deactivated user); the request did not reach the service.',
      { 'WWW-Authenticate': stringHeader('`Bearer`, with `error="invalid_token"` for a bad token') },
    ),
    GatewayPayloadTooLarge: response(
      `The request body is larger than ${kilobytes(limits.bodyLimitBytes)} (${kilobytes(limits.importBodyLimitBytes)} on /import/*), declared or streamed.`,
    ),
    GatewayTooManyRequests: response(
      `Rate limit: ${limits.ratePerMinute} requests per minute per user (per client address without a token); ` +
        `POST /auth/login and POST /auth/register: ${limits.credentialRatePerMinute} per minute per client address.`,
      {
        'Retry-After': stringHeader('Seconds until the window resets'),
        RateLimit: stringHeader('Remaining quota (IETF draft 8)'),
        'RateLimit-Policy': stringHeader('The limit and window (IETF draft 8)'),
      },
    ),
    GatewayRequestHeaderFieldsTooLarge: response(
      `The request line and headers are larger than ${kilobytes(limits.maxHeaderBytes)}, or there are more than ${limits.maxRequestHeaders} header fields.`,
    ),
    GatewayBadGateway: response('The service owning this path is unavailable.'),
    GatewayTimeout: response(
      `The service owning this path did not answer within ${limits.upstreamTimeoutMs / 1000} s.`,
    ),
  };
}

/** Status → component, on every operation; 401 only where the gateway checks a token. */
const ON_EVERY_OPERATION: Record<string, string> = {
  '413': 'GatewayPayloadTooLarge',
  '429': 'GatewayTooManyRequests',
  '431': 'GatewayRequestHeaderFieldsTooLarge',
  '502': 'GatewayBadGateway',
  '504': 'GatewayTimeout',
};

export interface GatewayAnswersOptions {
  limits: EdgeLimits;
  /** Whether the gateway lets `method path` through without an access token. */
  isPublic: (method: string, path: string) => boolean;
}

/**
 * Adds the gateway's own answers to a merged document: the response components and the
 * `GatewayProblem` schema, referenced from every operation. A status an operation already
 * documents is left as the service wrote it (its description is the more specific one).
 */
export function withGatewayAnswers(document: JsonObject, options: GatewayAnswersOptions): JsonObject {
  const paths = (document.paths ?? {}) as Record<string, JsonObject>;
  const outPaths: Record<string, JsonObject> = {};
  for (const [path, item] of Object.entries(paths)) {
    const outItem: JsonObject = { ...item };
    for (const method of HTTP_METHODS) {
      const operation = item[method] as JsonObject | undefined;
      if (!operation || typeof operation !== 'object') continue;
      const responses = { ...((operation.responses ?? {}) as JsonObject) };
      const added: Record<string, string> = { ...ON_EVERY_OPERATION };
      if (!options.isPublic(method.toUpperCase(), path)) added['401'] = 'GatewayUnauthorized';
      for (const [status, name] of Object.entries(added))
        responses[status] ??= { $ref: `#/components/responses/${name}` };
      outItem[method] = { ...operation, responses };
    }
    outPaths[path] = outItem;
  }
  const components = (document.components ?? {}) as Record<string, JsonObject>;
  return {
    ...document,
    paths: outPaths,
    components: {
      ...components,
      schemas: { ...components.schemas, GatewayProblem: GATEWAY_PROBLEM },
      responses: { ...components.responses, ...gatewayResponseComponents(options.limits) },
    },
  };
}

/**
 * The methods the document lists for a concrete request path (`/accounts/7` matches
 * `/accounts/{id}`; a literal segment beats a parameter), with HEAD wherever GET is and
 * OPTIONS; undefined when no documented path matches.
 */
export function documentedMethods(paths: Record<string, unknown>, requestPath: string): string[] | undefined {
  const segments = trimSlash(requestPath).split('/');
  let best: { literals: number; item: JsonObject } | undefined;
  for (const [template, item] of Object.entries(paths)) {
    const parts = trimSlash(template).split('/');
    if (parts.length !== segments.length || typeof item !== 'object' || item === null) continue;
    let literals = 0;
    const matches = parts.every((part, i) => {
      if (/^\{[^/{}]+\}$/.test(part)) return segments[i] !== '';
      literals++;
      return part === segments[i];
    });
    if (matches && (!best || literals > best.literals)) best = { literals, item: item as JsonObject };
  }
  if (!best) return undefined;
  const methods = HTTP_METHODS.filter((method) => best.item[method] !== undefined).map((m) =>
    m.toUpperCase(),
  );
  if (methods.includes('GET') && !methods.includes('HEAD')) methods.push('HEAD');
  if (!methods.includes('OPTIONS')) methods.push('OPTIONS');
  return methods;
}

function trimSlash(path: string): string {
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}
