import type { ZodError } from 'zod';
import { MoneyError, toStorableMinorUnits } from '../money';

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

/**
 * The path (`['notes']`, `['tags', 0]`) of the first string in `value`, key or value, that
 * PostgreSQL cannot store as text: one with a NUL character (22021) or that is not well-formed
 * UTF-16 (a lone surrogate, silently turned into U+FFFD). Undefined when there is none.
 *
 * Linear in the size of `value`: each node is visited once and remembers only its parent and its
 * key, so the path is built once, for the node that fails (copying the path at every level made a
 * body nested 45,000 deep cost seconds). Iterative, so no depth can overflow the stack.
 * `onVisit` lets a test count the steps.
 */
export function findUnstorableText(value: unknown, onVisit?: () => void): PropertyKey[] | undefined {
  interface Step {
    value: unknown;
    parent: Step | undefined;
    key: PropertyKey | undefined;
  }
  const pathOf = (step: Step, last?: PropertyKey): PropertyKey[] => {
    const path: PropertyKey[] = last === undefined ? [] : [last];
    for (let at: Step | undefined = step; at?.parent; at = at.parent) path.push(at.key as PropertyKey);
    return path.reverse();
  };
  const pending: Step[] = [{ value, parent: undefined, key: undefined }];
  while (pending.length > 0) {
    const step = pending.pop() as Step;
    onVisit?.();
    const item = step.value;
    if (typeof item === 'string') {
      if (!isStorableText(item)) return pathOf(step);
    } else if (Array.isArray(item)) {
      for (let i = 0; i < item.length; i++) pending.push({ value: item[i], parent: step, key: i });
    } else if (item !== null && typeof item === 'object') {
      for (const [key, child] of Object.entries(item)) {
        if (!isStorableText(key)) return pathOf(step, key);
        pending.push({ value: child, parent: step, key });
      }
    }
  }
  return undefined;
}

function isStorableText(text: string): boolean {
  // eslint-disable-next-line no-control-regex
  return !/\u0000/.test(text) && !/\p{Surrogate}/u.test(text.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g, ''));
}

/** {@link findUnstorableText} as the 400 a request gets for it, naming the field. */
export function unstorableTextProblem(value: unknown, location: string): HttpProblem | undefined {
  const path = findUnstorableText(value);
  if (!path) return undefined;
  return new HttpProblem(400, `The request ${location} is invalid`, {
    errors: [
      { field: joinPath(location, path), message: 'Must not contain NUL characters or unpaired surrogates' },
    ],
  });
}

/**
 * An amount from a request as the minor units it is stored in; too many decimals for the currency
 * (JPY "1.5") or more than a bigint holds is a 400 naming `field`.
 */
export function storableAmount(amount: string, currency: string, field: string): bigint {
  try {
    return toStorableMinorUnits(amount, currency);
  } catch (error) {
    if (error instanceof MoneyError)
      throw new HttpProblem(400, `Invalid amount: ${error.message}`, {
        errors: [{ field, message: error.message }],
      });
    throw error;
  }
}
