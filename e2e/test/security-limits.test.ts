import { connect, type Socket } from 'node:net';
import { waitFor } from '@finance/shared/testing';
import { rawRequest, type OpenApiSchema, type RawAnswer } from './hostile-support';
import {
  isAdminOperation,
  isOpenOperation,
  credentialClientFor,
  serviceOf,
  stableSnapshot,
  knownSecrets,
  secretsInLogs,
  startSecurityWorld,
  validRequests,
  type SecurityWorld,
} from './security-support';

/**
 * Unrestricted resource consumption (OWASP API4), generated from the OpenAPI document where it
 * can be: oversize bodies, page sizes above the maximum, deep JSON, strings and arrays past their
 * schema's bounds, clients that never finish a request, and the credential endpoints' limits.
 * Every refusal is a problem+json, and nothing of the caller's changes.
 */

const CREDENTIAL_LIMIT = 10;
const PER_PAIR = 3;
const PER_ACCOUNT = 5;

const fieldNames = (answer: RawAnswer) =>
  ((answer.json as { errors?: Array<{ field: string }> } | undefined)?.errors ?? []).map((e) => e.field);

/** The bounds a property's schema sets (directly or in its non-null alternative). */
function boundsOf(schema: OpenApiSchema): { maxLength?: number; maxItems?: number } {
  const flat = (schema.anyOf ?? [schema]).find((s) => s.type !== 'null') ?? schema;
  return { maxLength: flat.maxLength, maxItems: flat.maxItems };
}

describe('resource limits', () => {
  let world: SecurityWorld;

  beforeAll(async () => {
    world = await startSecurityWorld('limits', {
      gateway: {
        AUTH_RATE_LIMIT_PER_MINUTE: String(CREDENTIAL_LIMIT),
        HEADERS_TIMEOUT_MS: '1000',
        REQUEST_TIMEOUT_MS: '2000',
      },
      auth: { LOGIN_MAX_FAILURES: String(PER_PAIR), LOGIN_MAX_FAILURES_PER_ACCOUNT: String(PER_ACCOUNT) },
    });
  }, 120_000);
  afterAll(async () => {
    await world?.system.stop();
  });

  const tokenFor = (op: { path: string; operation: { security?: unknown[] } }) =>
    isOpenOperation(op as never) ? undefined : isAdminOperation(op) ? world.admin.token : world.alice.token;

  it('answers 413 to an oversize body on every operation, at the gateway and at its service, and 400 to deep JSON', async () => {
    const requests = validRequests(world.a);
    const failures: string[] = [];
    const before = await stableSnapshot(world.api, world.a);
    const bodyOf = (bytes: number) => JSON.stringify({ name: 'x'.repeat(bytes) });
    const deep = `{"name":${'['.repeat(10_000)}${']'.repeat(10_000)}}`;
    const justTooDeep = `{"name":${'['.repeat(32)}${']'.repeat(32)}}`;
    const jobs = world.operations
      .filter((op) => op.body)
      .flatMap((op) => {
        const path = requests[op.key].path;
        const direct = world.system.services[serviceOf(op.path)].url;
        const cases: Array<[string, string, string, number]> = [
          ['1.1 MB at the gateway', world.api, bodyOf(1_100_000), 413],
          ["200 kB at the gateway (the service's limit)", world.api, bodyOf(200_000), 413],
          ['200 kB at the service', direct, bodyOf(200_000), 413],
          ['10,000 deep at the gateway', world.api, deep, 400],
          ['10,000 deep at the service', direct, deep, 400],
          ['33 deep at the gateway', world.api, justTooDeep, 400],
        ];
        return cases.map(([label, base, body, status]) => async () => {
          const answer = await rawRequest(op.method, base, path, {
            token: tokenFor(op),
            body,
            localAddress: credentialClientFor(op.path),
          });
          if (answer.status !== status || !answer.contentType.startsWith('application/problem+json'))
            failures.push(`${op.key} [${label}] → ${answer.status} ${answer.contentType}`);
        });
      });
    expect(jobs.length).toBeGreaterThan(100);
    for (let i = 0; i < jobs.length; i += 8) await Promise.all(jobs.slice(i, i + 8).map((job) => job()));
    expect(failures).toEqual([]);
    expect(await stableSnapshot(world.api, world.a)).toEqual(before);
  }, 120_000);

  it('answers 413 to an upload over its limit on every file-upload operation, at the gateway and at its service', async () => {
    const requests = validRequests(world.a);
    // Operations taking a file (a media type other than JSON or a login form: the ECB's CSV).
    const fileTypeOf = (op: (typeof world.operations)[number]) =>
      Object.keys(
        (op.operation as { requestBody?: { content?: Record<string, unknown> } }).requestBody?.content ?? {},
      ).find((type) => type !== 'application/json' && type !== 'application/x-www-form-urlencoded');
    const uploads = world.operations.filter((op) => fileTypeOf(op) !== undefined);
    expect(uploads.length).toBeGreaterThan(0);
    // Past the gateway's IMPORT_BODY_LIMIT (20 MB) and the route's own 20 MB.
    const huge = 'Date,USD\n' + '2026-01-02,1.0321\n'.repeat(1_300_000);
    const failures: string[] = [];
    for (const op of uploads)
      for (const base of [world.api, world.system.services[serviceOf(op.path)].url]) {
        const answer = await rawRequest(op.method, base, requests[op.key].path, {
          token: tokenFor(op),
          body: huge,
          contentType: fileTypeOf(op),
        });
        if (answer.status !== 413 || !answer.contentType.startsWith('application/problem+json'))
          failures.push(`${op.key} at ${base} → ${answer.status} ${answer.contentType}`);
      }
    expect(failures).toEqual([]);
  }, 120_000);

  it('refuses a page size above the maximum on every paginated operation with 400 naming limit', async () => {
    const requests = validRequests(world.a);
    const failures: string[] = [];
    const paginated = world.operations.filter((op) =>
      (op.operation.parameters ?? []).some((p) => p.in === 'query' && p.name === 'limit'),
    );
    expect(paginated.length).toBeGreaterThan(8);
    for (const op of paginated) {
      const limit = op.operation.parameters?.find((p) => p.name === 'limit')?.schema;
      const maximum = limit?.maximum;
      if (maximum === undefined) {
        failures.push(`${op.key}: limit has no documented maximum`);
        continue;
      }
      const [path, query] = requests[op.key].path.split('?');
      const at = (value: number) =>
        rawRequest(op.method, world.api, `${path}?${query ? `${query}&` : ''}limit=${value}`, {
          token: tokenFor(op),
          localAddress: credentialClientFor(op.path),
        });
      const over = await at(maximum + 1);
      if (over.status !== 400 || !fieldNames(over).includes('query.limit'))
        failures.push(
          `${op.key} limit=${maximum + 1} → ${over.status} naming ${JSON.stringify(fieldNames(over))}`,
        );
      const most = await at(maximum);
      if (most.status !== 200) failures.push(`${op.key} limit=${maximum} → ${most.status}`);
    }
    expect(failures).toEqual([]);
  });

  it('refuses every string and array one past its documented bound with 400 naming it, and stores nothing', async () => {
    const requests = validRequests(world.a);
    const failures: string[] = [];
    const before = await stableSnapshot(world.api, world.a);
    let count = 0;
    for (const op of world.operations.filter((o) => o.body?.properties)) {
      const request = requests[op.key];
      for (const [field, schema] of Object.entries(op.body?.properties ?? {})) {
        const { maxLength, maxItems } = boundsOf(schema);
        const values: unknown[] = [];
        if (maxLength !== undefined) values.push('x'.repeat(maxLength + 1));
        if (maxItems !== undefined) values.push(Array.from({ length: maxItems + 1 }, (_, i) => `item${i}`));
        for (const value of values) {
          count += 1;
          const answer = await rawRequest(op.method, world.api, request.path, {
            token: tokenFor(op),
            body: JSON.stringify({ ...request.body, [field]: value }),
            localAddress: credentialClientFor(op.path),
          });
          const named = fieldNames(answer);
          if (
            answer.status !== 400 ||
            !named.some((f) => f === `body.${field}` || f.startsWith(`body.${field}`))
          )
            failures.push(
              `${op.key} body.${field} one too long → ${answer.status} naming ${JSON.stringify(named)}`,
            );
        }
      }
    }
    expect(count).toBeGreaterThan(20);
    expect(failures).toEqual([]);
    expect(await stableSnapshot(world.api, world.a)).toEqual(before);
  }, 120_000);

  /** Opens a connection, writes `text` and never more; resolves with what the server said before closing it. */
  function stall(text: string): Promise<{ socket: Socket; received: () => string; closed: () => boolean }> {
    const url = new URL(world.api);
    return new Promise((resolve, reject) => {
      let received = '';
      let closed = false;
      const socket = connect({ host: url.hostname, port: Number(url.port) }, () => {
        socket.write(text);
        resolve({ socket, received: () => received, closed: () => closed });
      });
      socket.on('data', (chunk) => (received += chunk.toString('utf8')));
      socket.on('close', () => (closed = true));
      socket.on('error', reject);
    });
  }

  it('times out a client that never finishes its headers or its body (slow loris), with 408', async () => {
    const partialHeaders = await stall('GET /users/me HTTP/1.1\r\nHost: gateway\r\nX-Slow: ');
    const partialBody = await stall(
      `POST /accounts HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer ${world.alice.token}\r\n` +
        'Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"name":"slo',
    );
    for (const [label, client] of [
      ['partial headers', partialHeaders],
      ['partial body', partialBody],
    ] as const) {
      await waitFor(() => client.closed(), {
        timeoutMs: 15_000,
        description: `the gateway to close a ${label}`,
      });
      expect(`${label}: ${client.received().split('\r\n')[0]}`).toBe(
        `${label}: HTTP/1.1 408 Request Timeout`,
      );
    }
  });

  it("locks an account after repeated failures from strangers' addresses, yet its owner logs in from a known one", async () => {
    const { username, password } = world.alice;
    const attempt = (localAddress: string, secret: string) =>
      rawRequest('POST', world.api, '/auth/login', {
        body: JSON.stringify({ username, password: secret }),
        localAddress,
      });
    // Strangers: PER_PAIR wrong guesses from each of three addresses, more than the account allows.
    const answers: RawAnswer[] = [];
    for (const address of ['127.0.0.31', '127.0.0.32', '127.0.0.33'])
      for (let i = 0; i <= PER_PAIR; i += 1) answers.push(await attempt(address, 'a wrong guess'));
    const locked = answers.filter((a) => a.status === 429);
    expect(locked.length).toBeGreaterThan(0);
    for (const answer of locked) {
      expect(answer.contentType).toContain('application/problem+json');
      const retryAfter = Number(answer.headers['retry-after']);
      // A lock ends: back-off is capped (LOGIN_BACKOFF_MAX_SECONDS, 900 s by default).
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(900);
    }
    // A stranger with the right password is held too; the owner, from the address she logged in from, is not.
    expect((await attempt('127.0.0.34', password)).status).toBe(429);
    expect((await attempt('127.0.0.1', password)).status).toBe(200);
  });

  it('limits login and register per client address with 429 and Retry-After, leaving other clients alone', async () => {
    const from = '127.0.0.41';
    const statuses: number[] = [];
    for (let i = 0; i < CREDENTIAL_LIMIT; i += 1) {
      const path = i % 2 === 0 ? '/auth/login' : '/auth/register';
      const answer = await rawRequest('POST', world.api, path, { body: '{}', localAddress: from });
      statuses.push(answer.status);
    }
    expect(statuses.filter((status) => status === 429)).toEqual([]);
    for (const path of ['/auth/login', '/auth/register']) {
      const answer = await rawRequest('POST', world.api, path, { body: '{}', localAddress: from });
      expect(answer.status).toBe(429);
      expect(answer.contentType).toContain('application/problem+json');
      expect(Number(answer.headers['retry-after'])).toBeGreaterThan(0);
    }
    // Another address is counted apart.
    const other = await rawRequest('POST', world.api, '/auth/login', {
      body: '{}',
      localAddress: '127.0.0.42',
    });
    expect(other.status).toBe(400);
  });

  it('wrote no password, hash, token or webhook secret to any log line of the run', () => {
    expect(world.logLines.length).toBeGreaterThan(100);
    expect(secretsInLogs(world.logLines, knownSecrets(world))).toEqual([]);
  });
});
