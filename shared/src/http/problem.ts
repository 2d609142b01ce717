import type { ZodError } from 'zod';

/** One field that failed validation: a JSON path (`body.amount`, `query.limit`) and why. */
export interface FieldError {
  field: string;
  message: string;
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  412: 'Precondition Failed',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  428: 'Precondition Required',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

export function titleFor(status: number): string {
  return TITLES[status] ?? 'Error';
}

/**
 * An operational error that becomes an RFC 9457 problem+json answer.
 * Throw it anywhere in a request; the shared error handler renders it.
 */
export class HttpProblem extends Error {
  readonly status: number;
  readonly title: string;
  readonly detail: string;
  readonly errors?: FieldError[];
  readonly type: string;
  readonly headers?: Record<string, string>;
  readonly extensions?: Record<string, unknown>;

  constructor(
    status: number,
    detail: string,
    options: {
      title?: string;
      errors?: FieldError[];
      type?: string;
      headers?: Record<string, string>;
      extensions?: Record<string, unknown>;
    } = {},
  ) {
    super(detail);
    this.name = 'HttpProblem';
    this.status = status;
    this.detail = detail;
    this.title = options.title ?? titleFor(status);
    this.errors = options.errors;
    this.type = options.type ?? 'about:blank';
    this.headers = options.headers;
    this.extensions = options.extensions;
  }
}

export const badRequest = (detail: string, errors?: FieldError[]) => new HttpProblem(400, detail, { errors });
export const unauthorized = (detail = 'Authentication is required') =>
  new HttpProblem(401, detail, { headers: { 'WWW-Authenticate': 'Bearer' } });
export const forbidden = (detail = 'You are not allowed to do this') => new HttpProblem(403, detail);
export const notFound = (what = 'Resource') => new HttpProblem(404, `${what} not found`);
export const conflict = (detail: string, errors?: FieldError[]) => new HttpProblem(409, detail, { errors });
export const preconditionFailed = (detail: string) => new HttpProblem(412, detail);
export const unprocessable = (detail: string, errors?: FieldError[]) =>
  new HttpProblem(422, detail, { errors });

/** Zod issues as field errors, each path prefixed with where it came from (`body`, `query`, `params`). */
export function fieldErrorsFromZod(error: ZodError, location?: string): FieldError[] {
  const out: FieldError[] = [];
  for (const issue of error.issues) {
    // An unknown key is reported once per key, at that key's own path, so clients see which field to drop.
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        out.push({ field: joinPath(location, [...issue.path, key]), message: 'Unknown field' });
      }
      continue;
    }
    out.push({ field: joinPath(location, issue.path), message: issue.message });
  }
  return out;
}

function joinPath(location: string | undefined, path: readonly PropertyKey[]): string {
  const parts = path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p)));
  let joined = '';
  for (const part of parts) joined += part.startsWith('[') ? part : joined ? `.${part}` : part;
  if (!location) return joined || '(root)';
  return joined ? (joined.startsWith('[') ? `${location}${joined}` : `${location}.${joined}`) : location;
}
