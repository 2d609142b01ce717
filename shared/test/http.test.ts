import { z } from 'zod';
import jwt from 'jsonwebtoken';
import { generateKeyPairSync } from 'node:crypto';
import {
  ApiRouter,
  MAX_JSON_DEPTH,
  findUnstorableText,
  jsonNestsDeeperThan,
  Readiness,
  TokenVerifier,
  authenticate,
  createServiceApp,
  notFound,
  pageSchema,
  paginationQuery,
  positiveAmount,
} from '../src';
import {
  TestTokenIssuer,
  TEST_AUDIENCE,
  TEST_ISSUER,
  httpJson,
  startHttpServer,
  testLogger,
  waitFor,
  type RunningServer,
} from '../src/testing';

// Subjects are user ids: the verifier refuses a token whose `sub` is not a UUID.
const U1 = '00000000-0000-4000-8000-000000000001';
const U2 = '00000000-0000-4000-8000-000000000002';
const U3 = '00000000-0000-4000-8000-000000000003';

describe('service app: validation, errors, auth, OpenAPI', () => {
  const issuer = new TestTokenIssuer();
  let server: RunningServer;
  let reached = 0;

  beforeAll(async () => {
    await issuer.start();
    const verifier = new TokenVerifier({
      jwksUrl: issuer.jwksUrl,
      issuer: TEST_ISSUER,
      audience: TEST_AUDIENCE,
    });
    const api = new ApiRouter({ authenticate: authenticate(verifier) });
    api.post(
      '/things',
      {
        summary: 'Create a thing',
        body: z.object({ name: z.string().min(1), amount: positiveAmount }),
        responses: {
          201: {
            description: 'Created',
            schema: z.object({ name: z.string(), amount: z.string(), owner: z.string() }),
          },
        },
      },
      ({ body, user }) => {
        reached++;
        return { ...body, owner: user.id };
      },
    );
    api.get(
      '/things',
      {
        summary: 'List',
        query: z.object(paginationQuery),
        responses: { 200: { description: 'A page', schema: pageSchema(z.object({ n: z.number() })) } },
      },
      ({ query }) => ({ data: [{ n: query.limit }], next_cursor: null }),
    );
    api.get(
      '/things/:id',
      { summary: 'One', params: z.object({ id: z.uuid() }), responses: { 200: { description: 'ok' } } },
      () => {
        throw notFound('Thing');
      },
    );
    api.post(
      '/defaulted',
      {
        summary: 'A body that may be left out',
        auth: false,
        body: z.object({ date: z.string().optional() }).default({}),
        responses: { 200: { description: 'ok', schema: z.object({ date: z.string().nullable() }) } },
      },
      ({ body }) => ({ date: body.date ?? null }),
    );
    api.get('/boom', { summary: 'Bug', auth: false, responses: { 200: { description: 'never' } } }, () => {
      throw new Error('secret internal detail');
    });
    const app = createServiceApp({
      logger: testLogger(),
      readiness: new Readiness({ db: () => true }),
      openapi: { title: 't', version: '1' },
      routers: [api],
    });
    server = await startHttpServer(app);
  });
  afterAll(async () => {
    await server.close();
    await issuer.stop();
  });

  it('runs a valid, authenticated request and answers with the first 2xx', async () => {
    const res = await httpJson('POST', `${server.url}/things`, {
      token: issuer.token(U1),
      body: { name: 'a', amount: 12.5 },
    });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ name: 'a', amount: '12.5', owner: U1 });
    expect(res.headers.get('x-request-id')).toMatch(/[0-9a-f-]{36}/);
  });

  it('rejects unknown and invalid fields with a 400 problem naming each field', async () => {
    const before = reached;
    const res = await httpJson('POST', `${server.url}/things`, {
      token: issuer.token(U1),
      body: { name: '', amount: '1', role: 'admin' },
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(res.body.errors).toEqual(
      expect.arrayContaining([
        { field: 'body.name', message: expect.any(String) },
        { field: 'body.role', message: 'Unknown field' },
      ]),
    );
    expect(res.body.request_id).toBeTruthy();
    expect(reached).toBe(before);
  });

  it('answers malformed JSON, wrong media type and bad query values with 4xx problems', async () => {
    const token = issuer.token(U1);
    const bad = await httpJson('POST', `${server.url}/things`, {
      token,
      body: '{"name":',
      headers: { 'content-type': 'application/json' },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.detail).toMatch(/not valid JSON/);
    const text = await httpJson('POST', `${server.url}/things`, {
      token,
      body: 'name=a',
      headers: { 'content-type': 'text/plain' },
    });
    expect(text.status).toBe(415);
    const limit = await httpJson('GET', `${server.url}/things?limit=500`, { token });
    expect(limit.status).toBe(400);
    expect(limit.body.errors[0].field).toBe('query.limit');
    const ok = await httpJson('GET', `${server.url}/things?limit=7`, { token });
    expect(ok.body.data).toEqual([{ n: 7 }]);
  });

  it('accepts only "Bearer <token>" exactly', async () => {
    const token = issuer.token(U1);
    for (const header of [
      `Bearer ${token} extra`,
      `Bearer ${token},${token}`,
      `Basic ${token}`,
      `Bearer`,
      token,
    ]) {
      const res = await httpJson('GET', `${server.url}/things`, { headers: { authorization: header } });
      expect({ header: header.slice(0, 12), status: res.status }).toEqual({
        header: header.slice(0, 12),
        status: 401,
      });
    }
    const ok = await httpJson('GET', `${server.url}/things`, {
      headers: { authorization: `bearer ${token}` },
    });
    expect(ok.status).toBe(200);
  });

  it('marks personal answers private and token-less answers no-store, errors included', async () => {
    const token = issuer.token(U1);
    const page = await httpJson('GET', `${server.url}/things`, { token });
    expect(page.headers.get('cache-control')).toBe('private, no-cache');
    const problem = await httpJson('GET', `${server.url}/things?limit=0`, { token });
    expect(problem.headers.get('cache-control')).toBe('private, no-cache');
    const open = await httpJson('GET', `${server.url}/boom`);
    expect(open.headers.get('cache-control')).toBe('no-store');
  });

  it('answers OPTIONS deliberately: 204 with the methods of the path, 404 for an unknown path', async () => {
    const things = await fetch(`${server.url}/things`, { method: 'OPTIONS' });
    expect(things.status).toBe(204);
    expect(things.headers.get('allow')).toBe('POST, GET, HEAD, OPTIONS');
    const one = await fetch(`${server.url}/things/abc`, { method: 'OPTIONS' });
    expect(one.headers.get('allow')).toBe('GET, HEAD, OPTIONS');
    const none = await fetch(`${server.url}/nothing-here`, { method: 'OPTIONS' });
    expect(none.status).toBe(404);
    expect(none.headers.get('content-type')).toContain('application/problem+json');
  });

  it('refuses a body nested deeper than the limit before parsing it, however deep', async () => {
    const token = issuer.token(U1);
    const nested = (depth: number) =>
      `{"name":"a","amount":"1","x":${'['.repeat(depth - 1)}${']'.repeat(depth - 1)}}`;
    const before = reached;
    for (const depth of [MAX_JSON_DEPTH + 1, 45_000]) {
      const res = await httpJson('POST', `${server.url}/things`, {
        token,
        body: nested(depth),
        headers: { 'content-type': 'application/json' },
      });
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(res.body.detail).toMatch(`deeper than ${MAX_JSON_DEPTH} levels`);
    }
    // At the limit the body is parsed and validated as usual (here: x is an unknown field).
    const atLimit = await httpJson('POST', `${server.url}/things`, {
      token,
      body: nested(MAX_JSON_DEPTH),
      headers: { 'content-type': 'application/json' },
    });
    expect(atLimit.status).toBe(400);
    expect(atLimit.body.errors).toEqual([{ field: 'body.x', message: 'Unknown field' }]);
    // Brackets inside strings are text, not nesting.
    const inString = await httpJson('POST', `${server.url}/things`, {
      token,
      body: { name: '['.repeat(1000) + '"\\', amount: '1' },
    });
    expect(inString.status).toBe(201);
    expect(reached).toBe(before + 1);
  });

  it('refuses unknown, bracketed and repeated query parameters on every route, naming them', async () => {
    const token = issuer.token(U1);
    const cases: Array<[string, string]> = [
      ['/things?unknown=1', 'query.unknown'],
      ['/things?limit[]=5', 'query.limit[]'],
      ['/things?limit=5&limit=6', 'query.limit'],
      ['/things?cursor=a&cursor=b', 'query.cursor'],
      // A route that declares no query parameters takes none.
      [`/things/${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}?expand=all`, 'query.expand'],
    ];
    for (const [path, field] of cases) {
      const res = await httpJson('GET', `${server.url}${path}`, { token });
      expect({ path, status: res.status }).toEqual({ path, status: 400 });
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    }
  });

  it('rejects missing, tampered, unsigned, wrong-audience and HS256 tokens', async () => {
    const url = `${server.url}/things`;
    const good = issuer.token(U1);
    const [h, p] = good.split('.');
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const attempts = [
      undefined,
      `${h}.${Buffer.from(JSON.stringify({ sub: U2, role: 'admin' })).toString('base64url')}.${good.split('.')[2]}`,
      `${Buffer.from(JSON.stringify({ alg: 'none', kid: issuer.kid })).toString('base64url')}.${p}.`,
      jwt.sign({ role: 'user' }, pair.privateKey, {
        algorithm: 'RS256',
        keyid: issuer.kid,
        subject: U1,
        issuer: TEST_ISSUER,
        audience: TEST_AUDIENCE,
      }),
      jwt.sign({ role: 'user' }, 'public-key-as-secret', {
        algorithm: 'HS256',
        keyid: issuer.kid,
        subject: U1,
        issuer: TEST_ISSUER,
        audience: TEST_AUDIENCE,
      }),
      issuer.token(U1, { expiresInSeconds: -10 }),
      issuer.token(U1, { expiresInSeconds: null }),
      // Signed by the right key, yet claims no user could hold.
      issuer.token('not-a-user-id'),
      issuer.token(U1, { role: 'root' }),
      issuer.token(U1, { sessionVersion: -1 }),
    ];
    for (const token of attempts) {
      const res = await httpJson('POST', url, { token, body: { name: 'a', amount: '1' } });
      expect(res.status).toBe(401);
    }
  });

  it('renders operational errors as problems and hides bugs behind a generic 500', async () => {
    const nf = await httpJson('GET', `${server.url}/things/3f0e7d3c-8a4b-4d1e-9c2a-1b2c3d4e5f60`, {
      token: issuer.token(U1),
    });
    expect(nf.status).toBe(404);
    expect(nf.body.detail).toBe('Thing not found');
    const boom = await httpJson('GET', `${server.url}/boom`);
    expect(boom.status).toBe(500);
    expect(JSON.stringify(boom.body)).not.toContain('secret');
    const none = await httpJson('GET', `${server.url}/nope`);
    expect(none.status).toBe(404);
  });

  it('serves health, readiness, metrics and an OpenAPI document built from the schemas', async () => {
    expect((await httpJson('GET', `${server.url}/healthz`)).status).toBe(200);
    expect((await httpJson('GET', `${server.url}/readyz`)).body).toEqual({
      status: 'ready',
      checks: { db: 'up' },
    });
    const metrics = await fetch(`${server.url}/metrics`);
    expect(await metrics.text()).toContain('http_request_duration_seconds');
    const doc = (await httpJson('GET', `${server.url}/openapi.json`)).body;
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.paths['/things'].post.requestBody.content['application/json'].schema.required).toEqual([
      'name',
      'amount',
    ]);
    expect(doc.paths['/things/{id}'].get.parameters[0]).toMatchObject({
      name: 'id',
      in: 'path',
      required: true,
    });
    expect(doc.paths['/things'].get.parameters.map((p: { name: string }) => p.name)).toEqual([
      'limit',
      'cursor',
    ]);
    // A route naming no tag is grouped by its path's first segment.
    expect(doc.paths['/things/{id}'].get.tags).toEqual(['things']);
  });

  it('refuses unknown fields in a body that defaults to {} as in any other body', async () => {
    const refused = await httpJson('POST', `${server.url}/defaulted`, { body: { role: 'admin' } });
    expect(refused.status).toBe(400);
    expect(refused.body.errors.map((e: { field: string }) => e.field)).toEqual(['body.role']);
    const left = await httpJson('POST', `${server.url}/defaulted`, { body: { date: '2026-01-01' } });
    expect(left.body).toEqual({ date: '2026-01-01' });
  });

  it('refuses a tag outside the one naming rule when the route is registered', () => {
    const api = new ApiRouter({});
    const spec = { summary: 's', auth: false, responses: { 200: { description: 'ok' } } } as const;
    expect(() => api.get('/a', { ...spec, tags: ['Exports'] }, () => undefined)).toThrow(
      /tag 'Exports' is not lowercase/,
    );
    expect(() => api.get('/b', { ...spec, tags: ['budget status'] }, () => undefined)).toThrow(
      /tag 'budget status'/,
    );
    expect(() => api.get('/c', { ...spec, tags: ['budget-status'] }, () => undefined)).not.toThrow();
  });
});

describe('TokenVerifier cache of verified tokens', () => {
  const issuer = new TestTokenIssuer();
  beforeAll(() => issuer.start());
  afterAll(() => issuer.stop());
  const verifierFor = () =>
    new TokenVerifier({
      jwksUrl: issuer.jwksUrl,
      issuer: TEST_ISSUER,
      audience: TEST_AUDIENCE,
      minRefetchIntervalMs: 0,
    });
  const statusOf = (promise: Promise<unknown>) =>
    promise.then(
      () => 200,
      (error: { status?: number }) => error.status,
    );

  it('accepts a verified token again only until its exp', async () => {
    const verifier = verifierFor();
    const token = issuer.token(U1, { expiresInSeconds: 2 });
    expect(await verifier.verify(token)).toMatchObject({ id: U1, role: 'user' });
    expect(await verifier.verify(token)).toMatchObject({ id: U1 });
    // jsonwebtoken rounds exp to whole seconds: wait on the condition, at most a few seconds.
    await waitFor(async () => (await statusOf(verifier.verify(token))) === 401, { timeoutMs: 5_000 });
  });

  it('answers a tampered copy of a cached token with 401', async () => {
    const verifier = verifierFor();
    const genuine = issuer.token(U3);
    expect(await verifier.verify(genuine)).toMatchObject({ id: U3, role: 'user' });
    const [header, payload, signature] = genuine.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    const promoted = Buffer.from(JSON.stringify({ ...claims, role: 'admin' })).toString('base64url');
    expect(await statusOf(verifier.verify(`${header}.${promoted}.${signature}`))).toBe(401);
    expect(await verifier.verify(genuine)).toMatchObject({ role: 'user' });
  });

  it('drops a cached token once its key has left the JWKS', async () => {
    const verifier = verifierFor();
    const token = issuer.token(U2);
    expect(await verifier.verify(token)).toMatchObject({ id: U2 });
    issuer.retireKey();
    await verifier.jwks.refresh();
    expect(await statusOf(verifier.verify(token))).toBe(401);
  });
});

describe('walks over client input are linear', () => {
  it('visits each node of a deep body once and still names the bad field', () => {
    let deep: unknown = 'bad\u0000';
    const depth = 20_000;
    for (let i = 0; i < depth; i++) deep = [deep];
    let steps = 0;
    const path = findUnstorableText({ notes: deep }, () => steps++);
    expect(path).toHaveLength(depth + 1);
    expect(path?.[0]).toBe('notes');
    // The root object, the "notes" array chain and the string: one step each.
    expect(steps).toBe(depth + 2);
  });

  it('measures nesting on the raw bytes, ignoring brackets in strings', () => {
    const bytes = (text: string) => Buffer.from(text, 'utf8');
    expect(jsonNestsDeeperThan(bytes('[[[]]]'), 3)).toBe(false);
    expect(jsonNestsDeeperThan(bytes('[[[[]]]]'), 3)).toBe(true);
    expect(jsonNestsDeeperThan(bytes('{"a":"[[[[[[","b":"\\\\"}'), 1)).toBe(false);
    expect(jsonNestsDeeperThan(bytes('{"a":"\\\\","b":[[1]]}'), 1)).toBe(true);
    expect(jsonNestsDeeperThan(bytes('{"a":"\\"[[[["}'), 1)).toBe(false);
    expect(jsonNestsDeeperThan(bytes('[{"a":[{"b":1}]}]'), 3)).toBe(true);
  });
});
