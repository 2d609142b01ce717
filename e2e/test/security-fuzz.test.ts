import fc from 'fast-check';
import {
  pathParametersOf,
  rawRequest,
  type DocumentedOperation,
  type OpenApiSchema,
  type RawAnswer,
} from './hostile-support';
import {
  SECURITY_HEADERS,
  answerFlaws,
  credentialClientFor,
  knownSecrets,
  secretsInLogs,
  stableSnapshot,
  startSecurityWorld,
  tokenOf,
  validRequests,
  type SecurityWorld,
  type ValidRequest,
} from './security-support';

/**
 * Property-based fuzzing from the merged OpenAPI document (fast-check). For every operation,
 * requests are generated from its valid one: random noise on any field and query parameter
 * (unicode of every plane, control characters, huge and negative numbers, NaN and infinities,
 * impossible dates, wrong types, nesting), plus at least one change its schema certainly refuses
 * (a wrong type, a required field missing, an unknown field or query parameter, a malformed path
 * id). The property: a 4xx problem+json, never a 5xx or a success, and neither user's data changes.
 *
 * Seeded and reproducible: FUZZ_SEED (default below) and FUZZ_RUNS per operation (default 12 in
 * `npm test`; `npm run fuzz` runs 300). A failure prints the seed, the shrunk request and the
 * fast-check path to replay it.
 */

const ALLOWED_ORIGIN = 'https://finance.example.com';
const RUNS = Number(process.env.FUZZ_RUNS ?? 12);
const SEED = Number(process.env.FUZZ_SEED ?? 20_261_201);

/** One generated request. */
interface Generated {
  path: string;
  /** The body as sent (JSON text), when the operation takes one. */
  body?: string;
  /** What certainly makes it invalid, for the report. */
  because: string;
}

const typesOf = (schema: OpenApiSchema): Set<string> => {
  const out = new Set<string>();
  for (const s of schema.anyOf ?? [schema]) {
    if (s.enum || s.const !== undefined) out.add('string');
    for (const t of Array.isArray(s.type) ? s.type : s.type ? [s.type] : []) out.add(t);
  }
  if (out.has('integer')) out.add('number');
  return out;
};

/** Values of any JSON type, with the edges parsers and databases trip on. */
const anyValue: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.string({ unit: 'grapheme', maxLength: 20 }),
    fc.constantFrom(
      '',
      ' ',
      '\u0000',
      '\u202Eevil',
      '\u001b[31m',
      '💸'.repeat(50),
      'NaN',
      'Infinity',
      '-0',
      '1e400',
      '0x10',
      '2025-02-30',
      '0000-00-00',
      '9999-12-31T25:61:61Z',
      '-1',
      '99999999999999999999',
      '../../etc/passwd',
      "' OR 1=1 --",
      '{{7*7}}',
      '<script>',
    ),
    fc.integer(),
    fc.double(),
    fc.constantFrom(Number.MAX_SAFE_INTEGER * 1024, -Number.MAX_SAFE_INTEGER * 1024, 1e308, -1e308, -0, 0.1),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.string({ maxLength: 8 }), tie('value'), { maxKeys: 3 }),
  ),
})).value;

/** A value of a JSON type the schema does not allow; undefined when it allows any. */
function wrongTypeFor(schema: OpenApiSchema): fc.Arbitrary<unknown> | undefined {
  if (schema.not !== undefined) return anyValue;
  const types = typesOf(schema);
  if (types.size === 0) return undefined;
  const options: Array<fc.Arbitrary<unknown>> = [];
  if (!types.has('string')) options.push(fc.string({ unit: 'binary', maxLength: 20 }));
  if (!types.has('number'))
    options.push(fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true })));
  if (!types.has('boolean')) options.push(fc.boolean());
  if (!types.has('null')) options.push(fc.constant(null));
  if (!types.has('array')) options.push(fc.array(anyValue, { maxLength: 3 }));
  if (!types.has('object'))
    options.push(fc.dictionary(fc.string({ maxLength: 6 }), anyValue, { maxKeys: 2 }));
  return options.length > 0 ? fc.oneof(...options) : undefined;
}

/** Query text of anything: wrong types, unicode, repeated parameters. */
const anyQueryValue = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.integer().map(String),
  fc.double().map(String),
  fc.constantFrom('', 'NaN', '-1', '1e400', '2025-02-30', 'true', '[]', '%00'),
);

/** Generated requests of one operation: noise on its valid request, then one change it must refuse. */
function requestsOf(op: DocumentedOperation, valid: ValidRequest): fc.Arbitrary<Generated> {
  const [path, query = ''] = valid.path.split('?');
  const properties = Object.entries(op.body?.properties ?? {});
  const queryParameters = (op.operation.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name);
  const declared = new Set([...properties.map(([name]) => name), ...queryParameters]);
  const freshName = fc.stringMatching(/^[a-z][a-z_]{0,15}$/).filter((name) => !declared.has(name));

  const bodyNoise = fc.record(Object.fromEntries(properties.map(([name]) => [name, anyValue])), {
    requiredKeys: [],
  });
  const queryNoise = fc.record(Object.fromEntries(queryParameters.map((name) => [name, anyQueryValue])), {
    requiredKeys: [],
  });

  type Change = (body: Record<string, unknown> | undefined, params: URLSearchParams, ids: string[]) => string;
  const changes: Array<fc.Arbitrary<Change>> = [
    fc.tuple(freshName, anyQueryValue).map(([name, value]) => (_b, params) => {
      params.append(name, value);
      return `undeclared query.${name}`;
    }),
  ];
  if (op.body) {
    changes.push(
      fc.tuple(freshName, anyValue).map(([name, value]) => (body) => {
        if (body) body[name] = value;
        return `unknown body.${name}`;
      }),
    );
    for (const field of op.body.required ?? [])
      changes.push(
        fc.constant((body: Record<string, unknown> | undefined) => {
          if (body) delete body[field];
          return `body.${field} missing`;
        }),
      );
    for (const [name, schema] of properties) {
      const wrong = wrongTypeFor(schema);
      if (wrong)
        changes.push(
          wrong.map((value) => (body: Record<string, unknown> | undefined) => {
            if (body) body[name] = value;
            return `body.${name} of a wrong type`;
          }),
        );
    }
  }
  const ids = pathParametersOf(op.path);
  if (ids.length > 0)
    changes.push(
      fc
        .tuple(
          fc.nat({ max: ids.length - 1 }),
          fc
            .string({ unit: 'binary', minLength: 1, maxLength: 40 })
            .filter((text) => !/^\.{1,2}$/.test(text)),
        )
        .map(([index, text]) => (_b, _p, segments) => {
          segments[index] = encodeURIComponent(text);
          return `path ${ids[index]} malformed`;
        }),
    );

  return fc
    .record({ bodyNoise, queryNoise, change: fc.oneof(...changes) })
    .map(({ bodyNoise: noise, queryNoise: qnoise, change }) => {
      const body = valid.body || op.body ? { ...valid.body, ...noise } : undefined;
      const params = new URLSearchParams(query);
      for (const [name, value] of Object.entries(qnoise)) params.set(name, value as string);
      // The path's own ids, in order, so that one can be replaced.
      const literals = op.path.split(/\{\w+\}/);
      const pattern = new RegExp(
        `^${literals.map((l) => l.replace(/[.*+?^$()|[\]\\]/g, '\\$&')).join('([^/]+)')}$`,
      );
      const segments = pattern.exec(path)?.slice(1) ?? [];
      const because = change(body, params, segments);
      const rendered = literals.map((literal, i) => literal + (segments[i] ?? '')).join('');
      const search = params.toString();
      return {
        path: search ? `${rendered}?${search}` : rendered,
        body: body === undefined ? undefined : JSON.stringify(body),
        because,
      };
    });
}

/** What is wrong with an answer to a request its schema refuses; undefined when it is right. */
function judge(world: SecurityWorld, answer: RawAnswer): string | undefined {
  const flaws = answerFlaws(world, answer, true);
  if (flaws.length > 0) return flaws.join('; ');
  if (answer.status < 400 || answer.status >= 500)
    return `answered ${answer.status}: ${answer.text.slice(0, 300)}`;
  if (!answer.contentType.startsWith('application/problem+json')) return `content-type ${answer.contentType}`;
  const problem = answer.json as { status?: number } | undefined;
  if (problem?.status !== answer.status) return `problem status ${problem?.status} on a ${answer.status}`;
  return undefined;
}

describe('fuzzing every operation from the OpenAPI document', () => {
  let world: SecurityWorld;

  beforeAll(async () => {
    world = await startSecurityWorld('fuzz', { gateway: { CORS_ORIGINS: ALLOWED_ORIGIN } });
  }, 120_000);
  afterAll(async () => {
    await world?.system.stop();
  });

  it(
    `answers ${RUNS} generated invalid requests per operation with a 4xx problem and changes nothing (seed ${SEED})`,
    async () => {
      // Bob fuzzes his own operations (admin ones as the admin); Alice's data is the bystander's.
      const requests = validRequests(world.b);
      const failures: string[] = [];
      // One user after the other: a snapshot is already some sixty reads at once.
      const snapshots = async () => [
        await stableSnapshot(world.api, world.a),
        await stableSnapshot(world.api, world.b),
      ];
      let before = await snapshots();
      let sent = 0;
      /** One operation's generated requests; what failed, in the report. */
      const fuzz = async (op: DocumentedOperation) => {
        const valid = requests[op.key];
        if (!valid) {
          failures.push(`${op.key}: no valid request to generate from`);
          return;
        }
        const token = tokenOf(world, op, world.b);
        const details = await fc.check(
          fc.asyncProperty(requestsOf(op, valid), async (request) => {
            sent += 1;
            const answer = await rawRequest(op.method, world.api, request.path, {
              token,
              body: request.body,
              localAddress: credentialClientFor(op.path),
            });
            const wrong = judge(world, answer);
            if (wrong) throw new Error(`${request.because}: ${wrong}`);
          }),
          { seed: SEED, numRuns: RUNS, endOnFailure: process.env.FUZZ_SHRINK !== 'true' },
        );
        if (details.failed) failures.push(`${op.key}: ${fc.defaultReportMessage(details)?.slice(0, 1500)}`);
      };
      // Operations side by side (each one's requests in sequence), both users' data compared after each group.
      const GROUP = 4;
      for (let i = 0; i < world.operations.length; i += GROUP) {
        const group = world.operations.slice(i, i + GROUP);
        await Promise.all(group.map(fuzz));
        const after = await snapshots();
        try {
          expect(after).toEqual(before);
        } catch (error) {
          const keys = group.map((op) => op.key).join(', ');
          failures.push(`one of ${keys}: data changed: ${(error as Error).message.slice(0, 1500)}`);
        }
        before = after;
      }
      console.log(
        `fuzz: ${sent} generated requests over ${world.operations.length} operations, seed ${SEED}`,
      );
      expect(failures).toEqual([]);
    },
    60_000 + RUNS * 3_000,
  );

  /** Answers of every kind the gateway gives, each with what it is. */
  async function answersOfEveryKind(): Promise<Array<[string, RawAnswer]>> {
    const requests = validRequests(world.b);
    const token = world.bob.token;
    const out: Array<[string, RawAnswer]> = [];
    for (const op of world.operations.filter((o) => o.method === 'GET'))
      out.push([
        `${op.key} (200)`,
        await rawRequest('GET', world.api, requests[op.key].path, { token: tokenOf(world, op, world.b) }),
      ]);
    const more: Array<[string, Promise<RawAnswer>]> = [
      ['no token', rawRequest('GET', world.api, '/accounts')],
      ['a forged token', rawRequest('GET', world.api, '/accounts', { token: 'a.b.c' })],
      ['an unknown path', rawRequest('GET', world.api, '/nothing/here', { token })],
      ['an unknown id', rawRequest('GET', world.api, `/accounts/${world.a.holdings.accounts[0]}`, { token })],
      ['a malformed id', rawRequest('GET', world.api, '/accounts/%E0%A4%A', { token })],
      ['malformed JSON', rawRequest('POST', world.api, '/accounts', { token, body: '{"name":' })],
      ['an invalid body', rawRequest('POST', world.api, '/accounts', { token, body: '{"name":1}' })],
      [
        'a body too large',
        rawRequest('POST', world.api, '/accounts', {
          token,
          body: JSON.stringify({ name: 'x'.repeat(1_100_000) }),
        }),
      ],
      [
        'headers too large',
        rawRequest('GET', world.api, '/accounts', { token, headers: { 'x-big': 'x'.repeat(20_000) } }),
      ],
      ['a method not allowed', rawRequest('PATCH', world.api, '/accounts', { token, body: '{}' })],
      [
        'a wrong password',
        rawRequest('POST', world.api, '/auth/login', {
          body: JSON.stringify({ username: world.bob.username, password: 'wrong password' }),
          localAddress: credentialClientFor('/auth/login'),
        }),
      ],
      ['a user on an admin route', rawRequest('GET', world.api, '/admin/users', { token })],
      [
        'a precondition failed',
        rawRequest('PUT', world.api, `/accounts/${world.b.holdings.accounts[0]}`, {
          token,
          body: JSON.stringify({ name: 'x', type: 'cash' }),
          headers: { 'if-match': '"999"' },
        }),
      ],
      ['the OpenAPI document', rawRequest('GET', world.api, '/openapi.json')],
      ['the docs', rawRequest('GET', world.api, '/docs')],
      ['health', rawRequest('GET', world.api, '/healthz')],
      [
        'a preflight',
        rawRequest('OPTIONS', world.api, '/accounts', {
          headers: { origin: ALLOWED_ORIGIN, 'access-control-request-method': 'POST' },
        }),
      ],
    ];
    for (const [label, answer] of more) out.push([label, await answer]);
    return out;
  }

  it('sets the security headers on every kind of answer and shows no internals in any error', async () => {
    const answers = await answersOfEveryKind();
    const failures = answers.flatMap(([label, answer]) =>
      answerFlaws(world, answer, true).map((flaw) => `${label} → ${answer.status}: ${flaw}`),
    );
    expect(failures).toEqual([]);
    // The judge finds what it looks for: an answer without the headers, showing SQL, is reported.
    const bare = {
      status: 500,
      contentType: 'text/plain',
      headers: {},
      json: undefined,
      text: 'QueryFailedError',
    };
    expect(answerFlaws(world, bare, true)).toHaveLength(Object.keys(SECURITY_HEADERS).length + 1);
    // The answers really are of every kind: successes and the errors listed.
    const statuses = new Set(answers.map(([, answer]) => answer.status));
    for (const status of [200, 401, 404, 400, 413, 431, 403, 412]) expect(statuses).toContain(status);
  });

  it('shows no internals in errors answered by each service directly', async () => {
    const failures: string[] = [];
    for (const [name, service] of Object.entries(world.system.services)) {
      const requests: Array<[string, Promise<RawAnswer>]> = [
        ['an unknown path', rawRequest('GET', service.url, '/nothing/here', { token: world.bob.token })],
        ['no token', rawRequest('GET', service.url, '/users/me')],
        [
          'malformed JSON',
          rawRequest('POST', service.url, '/anything', { token: world.bob.token, body: '{"a":' }),
        ],
        [
          'a body too large',
          rawRequest('POST', service.url, '/anything', {
            token: world.bob.token,
            body: JSON.stringify({ a: 'x'.repeat(200_000) }),
          }),
        ],
        ['a malformed path', rawRequest('GET', service.url, '/%E0%A4%A', { token: world.bob.token })],
      ];
      for (const [label, pending] of requests) {
        const answer = await pending;
        for (const flaw of answerFlaws(world, answer, false))
          failures.push(`${name} ${label} → ${answer.status}: ${flaw}`);
        if (answer.status >= 500) failures.push(`${name} ${label} → ${answer.status}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('answers CORS only to the configured origin, and the services none at all', async () => {
    const preflight = (origin: string, base = world.api) =>
      rawRequest('OPTIONS', base, '/accounts', {
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization',
        },
      });
    const allowed = await preflight(ALLOWED_ORIGIN);
    expect(allowed.headers['access-control-allow-origin']).toBe(ALLOWED_ORIGIN);
    for (const origin of [
      'https://evil.example',
      'null',
      'https://finance.example.com.evil.example',
      'http://finance.example.com',
    ]) {
      const answer = await preflight(origin);
      expect(`${origin}: ${String(answer.headers['access-control-allow-origin'])}`).toBe(
        `${origin}: undefined`,
      );
      const simple = await rawRequest('GET', world.api, '/accounts', {
        token: world.bob.token,
        headers: { origin },
      });
      expect(simple.status).toBe(200);
      expect(simple.headers['access-control-allow-origin']).toBeUndefined();
      expect(simple.headers['access-control-allow-credentials']).toBeUndefined();
    }
    for (const service of Object.values(world.system.services)) {
      const answer = await preflight(ALLOWED_ORIGIN, service.url);
      expect(answer.headers['access-control-allow-origin']).toBeUndefined();
    }
  });

  it('wrote no password, hash, token, refresh token or webhook secret to any log line of the run', async () => {
    // Secrets that pass through: a login's refresh token, its rotation, a webhook secret rotated.
    const secrets = knownSecrets(world);
    const loggedIn = await rawRequest('POST', world.api, '/auth/login', {
      body: JSON.stringify({ username: world.bob.username, password: world.bob.password }),
      localAddress: credentialClientFor('/auth/login'),
    });
    const first = (loggedIn.json as { refresh_token: string }).refresh_token;
    const refreshed = await rawRequest('POST', world.api, '/auth/refresh', {
      body: JSON.stringify({ refresh_token: first }),
      localAddress: credentialClientFor('/auth/refresh'),
    });
    const second = (refreshed.json as { refresh_token: string }).refresh_token;
    // Presented again from elsewhere: a reuse, which auth logs.
    await rawRequest('POST', world.api, '/auth/refresh', {
      body: JSON.stringify({ refresh_token: first }),
      localAddress: '127.0.9.9',
    });
    const rotated = await rawRequest(
      'POST',
      world.api,
      `/webhooks/${world.b.holdings.webhooks[0]}/rotate-secret`,
      {
        token: world.bob.token,
      },
    );
    expect(rotated.status).toBe(200);
    const webhookSecret = JSON.stringify(rotated.json).match(/whsec_[A-Za-z0-9+/=_-]+/)?.[0];
    expect(webhookSecret).toBeDefined();
    secrets.push(
      ['a refresh token', first],
      ['a refresh token', second],
      ['a webhook secret', webhookSecret as string],
    );
    // Changing a password logs it through auth too.
    const changed = await rawRequest('PUT', world.api, '/users/me/password', {
      token: world.alice.token,
      body: JSON.stringify({
        current_password: world.alice.password,
        new_password: 'a brand new password 7',
      }),
    });
    expect(changed.status).toBeLessThan(300);
    secrets.push(['a new password', 'a brand new password 7']);

    // Lines were captured from every service and the gateway: the scan saw the run.
    const services = new Set(
      world.logLines.map((line) => (JSON.parse(line) as { service?: string }).service),
    );
    for (const name of [...Object.keys(world.system.services), 'gateway']) expect(services).toContain(name);
    expect(secretsInLogs(world.logLines, secrets)).toEqual([]);
    // The scan finds what it looks for: a line holding one of them is reported, by service and message.
    const planted = JSON.stringify({ service: 'auth', msg: 'planted', token: second });
    expect(secretsInLogs([planted], secrets)).toEqual(['auth: planted holds a refresh token']);
  });
});
