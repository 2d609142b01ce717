import express, { type Request, type RequestHandler, type Response, type Router } from 'express';
import { z, ZodDefault, ZodObject, ZodOptional, type ZodType } from 'zod';
import { HttpProblem, fieldErrorsFromZod, unstorableTextProblem } from './problem';
import type { AuthenticatedUser } from './authenticate';

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
type Schema = ZodType | undefined;
type Out<S extends Schema> = S extends ZodType ? z.output<S> : undefined;

export interface ResponseSpec {
  description: string;
  /** JSON body schema; omit for an empty answer (204) or a non-JSON one. */
  schema?: ZodType;
  /** Defaults to application/json when a schema is given. */
  contentType?: string;
  headers?: Record<string, { description: string }>;
}

type Responses = Record<number, ResponseSpec>;
type SuccessStatus = 200 | 201 | 202 | 203 | 206;
/**
 * What a handler may return: the input of one of its 2xx response schemas (sent as JSON with the
 * route's first 2xx status), or nothing when it answered itself (a stream, a 204).
 */
type SuccessBody<R> = {
  [K in keyof R & SuccessStatus]: R[K] extends { schema: infer S extends ZodType } ? z.input<S> : never;
}[keyof R & SuccessStatus];
type Answer<R> = SuccessBody<R> | undefined | void;

/** The one spelling of an OpenAPI tag across services, so the merged document has one group per name. */
const TAG_NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

export interface RouteSpec<
  B extends Schema,
  Q extends Schema,
  P extends Schema,
  R extends Responses = Responses,
> {
  summary: string;
  description?: string;
  /**
   * Groups in the OpenAPI document (Swagger UI's sections): lowercase words joined by `-`
   * (`exports`, `budget-status`). Default: the path's first segment (`/accounts/:id` → `accounts`).
   */
  tags?: string[];
  /** JSON request body. An object schema is made strict: unknown fields are rejected. */
  body?: B;
  /** Extra request media types the body may also arrive as (e.g. the OAuth2 password form). */
  bodyMediaTypes?: string[];
  /**
   * A body the handler reads from the request stream itself (a file upload, too large to buffer):
   * its media types and what each carries, for the OpenAPI document only; the router neither reads
   * nor validates it. Not together with `body`.
   */
  streamedBody?: Record<string, ZodType>;
  /**
   * Query parameters. Made strict like bodies: an unknown parameter (`?unknown=1`, `?from[]=x`)
   * is a 400 naming it, and a repeated one (`?q=a&q=b`) where the schema expects one value is a
   * 400 naming it too, on every route alike.
   */
  query?: Q;
  params?: P;
  headers?: Record<string, { description: string; required?: boolean }>;
  responses: R;
  /** Routes are authenticated unless this is false. */
  auth?: boolean;
  /** Only callers with this role may pass (after authentication). */
  role?: string;
}

export interface RouteInput<B extends Schema, Q extends Schema, P extends Schema> {
  body: Out<B>;
  query: Out<Q>;
  params: Out<P>;
  /** The verified caller; present on every authenticated route. */
  user: AuthenticatedUser;
}

export type RouteHandler<
  B extends Schema,
  Q extends Schema,
  P extends Schema,
  R extends Responses = Responses,
> = (input: RouteInput<B, Q, P>, req: Request, res: Response) => Answer<R> | Promise<Answer<R>>;

export interface RegisteredRoute {
  method: Method;
  path: string;
  spec: RouteSpec<Schema, Schema, Schema>;
}

const NO_QUERY = z.object({});

/**
 * Every answer says how it may be cached, set here once for every route: a caller's own data is
 * `private, no-cache` (kept only by the caller, revalidated with its ETag); the answers of routes
 * without a token (logins, refreshes: tokens) are `no-store`. A handler may set something stricter
 * (exports: `no-store`).
 */
function cacheControl(value: string): RequestHandler {
  return (_req, res, next) => {
    res.set('Cache-Control', value);
    next();
  };
}

function strict<S extends ZodType>(schema: S): S {
  if (schema instanceof ZodObject) return schema.strict() as unknown as S;
  // An optional body, or one defaulting to `{}`, is still an object whose unknown fields are refused.
  if (schema instanceof ZodDefault)
    return strict(schema.unwrap() as ZodType).default(schema.def.defaultValue as never) as unknown as S;
  if (schema instanceof ZodOptional) return strict(schema.unwrap() as ZodType).optional() as unknown as S;
  return schema;
}

function parseOrThrow(schema: ZodType, value: unknown, location: string): unknown {
  // Checked before the schema, so no route can pass such text on to PostgreSQL (which refuses a NUL).
  const unstorable = unstorableTextProblem(value, location);
  if (unstorable) throw unstorable;
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new HttpProblem(400, `The request ${location} is invalid`, {
      errors: fieldErrorsFromZod(result.error, location),
    });
  }
  return result.data;
}

/**
 * An express router whose routes carry their own zod schemas. The same schemas validate
 * each request (400 problem+json naming the field) and describe the route in /openapi.json,
 * so the documentation cannot drift from the code. A handler's return value, if any, is sent
 * as JSON with the route's first 2xx status.
 */
export class ApiRouter {
  readonly router: Router = express.Router();
  readonly routes: RegisteredRoute[] = [];

  constructor(private readonly options: { authenticate?: RequestHandler } = {}) {}

  get<Q extends Schema = undefined, P extends Schema = undefined, R extends Responses = Responses>(
    path: string,
    spec: RouteSpec<undefined, Q, P, R>,
    handler: RouteHandler<undefined, Q, P, R>,
  ) {
    return this.add('get', path, spec, handler);
  }
  post<
    B extends Schema = undefined,
    Q extends Schema = undefined,
    P extends Schema = undefined,
    R extends Responses = Responses,
  >(path: string, spec: RouteSpec<B, Q, P, R>, handler: RouteHandler<B, Q, P, R>) {
    return this.add('post', path, spec, handler);
  }
  put<
    B extends Schema = undefined,
    Q extends Schema = undefined,
    P extends Schema = undefined,
    R extends Responses = Responses,
  >(path: string, spec: RouteSpec<B, Q, P, R>, handler: RouteHandler<B, Q, P, R>) {
    return this.add('put', path, spec, handler);
  }
  patch<
    B extends Schema = undefined,
    Q extends Schema = undefined,
    P extends Schema = undefined,
    R extends Responses = Responses,
  >(path: string, spec: RouteSpec<B, Q, P, R>, handler: RouteHandler<B, Q, P, R>) {
    return this.add('patch', path, spec, handler);
  }
  delete<
    B extends Schema = undefined,
    Q extends Schema = undefined,
    P extends Schema = undefined,
    R extends Responses = Responses,
  >(path: string, spec: RouteSpec<B, Q, P, R>, handler: RouteHandler<B, Q, P, R>) {
    return this.add('delete', path, spec, handler);
  }

  private add<B extends Schema, Q extends Schema, P extends Schema, R extends Responses>(
    method: Method,
    path: string,
    spec: RouteSpec<B, Q, P, R>,
    handler: RouteHandler<B, Q, P, R>,
  ): this {
    for (const tag of spec.tags ?? [])
      if (!TAG_NAME.test(tag))
        throw new Error(
          `Route ${method.toUpperCase()} ${path}: tag '${tag}' is not lowercase words joined by '-' (one naming rule for every service's OpenAPI tags)`,
        );
    const body = spec.body ? strict(spec.body) : undefined;
    // A route without query parameters takes none: `?anything=` is as unknown there as anywhere.
    const query = strict(spec.query ?? NO_QUERY);
    const successStatus = Number(
      Object.keys(spec.responses).find((s) => Number(s) >= 200 && Number(s) < 300) ?? 200,
    );
    const chain: RequestHandler[] = [cacheControl(spec.auth === false ? 'no-store' : 'private, no-cache')];
    if (spec.auth !== false) {
      if (!this.options.authenticate)
        throw new Error(`Route ${method.toUpperCase()} ${path} needs an authenticate middleware`);
      chain.push(this.options.authenticate);
      if (spec.role) {
        const role = spec.role;
        chain.push((req, _res, next) =>
          next(req.user?.role === role ? undefined : new HttpProblem(403, `This needs the ${role} role`)),
        );
      }
    }
    chain.push(async (req, res) => {
      const hasBody =
        Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
      if (body && hasBody) {
        const accepted = ['application/json', ...(spec.bodyMediaTypes ?? [])];
        if (!req.is(accepted)) {
          throw new HttpProblem(415, `The request body must be one of: ${accepted.join(', ')}`);
        }
      }
      const input = {
        body: body ? parseOrThrow(body, req.body ?? {}, 'body') : undefined,
        query: parseOrThrow(query, req.query, 'query'),
        params: spec.params ? parseOrThrow(spec.params, req.params, 'params') : undefined,
        user: req.user as AuthenticatedUser,
      } as RouteInput<B, Q, P>;
      const result = await handler(input, req, res);
      if (result !== undefined && !res.headersSent) res.status(successStatus).json(result);
      else if (!res.headersSent && successStatus === 204) res.status(204).end();
    });
    this.router[method](path, ...chain);
    this.routes.push({
      method,
      path,
      spec: { ...spec, body, query: spec.query ? query : undefined } as RouteSpec<Schema, Schema, Schema>,
    });
    return this;
  }
}
