import { createHmac, createPrivateKey, createPublicKey, generateKeyPairSync, randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { registeredServices, serviceRouting } from '@finance/shared/registry';
import { httpJson, waitFor } from '@finance/shared/testing';
import {
  documentedOperations,
  login,
  pathParametersOf,
  registerAndLogin,
  renderPath,
  type DocumentedOperation,
  type OpenApiDocument,
  type Person,
} from './hostile-support';
import { ADMIN, capturingLogger, isOpenOperation, secretsInLogs } from './security-support';
import { startSystem, type System } from './system';

/**
 * Broken authentication (OWASP API2): every operation that needs a token, through the gateway and
 * straight at the service that answers it, refuses each kind of bad token with 401 problem+json.
 * The forgeries are made with auth's own signing key (read from its database, as an attacker who
 * stole nothing else could not): each differs from a good token in exactly one way, and a token
 * made the same way without that difference is accepted — so each 401 is about that one thing.
 */

const ISSUER = 'finance-tracker-auth';
const AUDIENCE = 'finance-tracker';
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('tokens against the gateway and every service', () => {
  let system: System;
  const logLines: string[] = [];
  /** Credentials the run handled: none may reach a log line. */
  const seen: Array<[string, string]> = [['the admin password', ADMIN.password]];
  let carol: Person;
  let admin: Person;
  let signingKid: string;
  let signingKey: ReturnType<typeof createPrivateKey>;
  /** Every operation needing a token, with the service that answers it. */
  let guarded: Array<DocumentedOperation & { service: string }>;
  /** Where an operation is asked: at the gateway, and directly at the service behind it. */
  const basesOf = (op: { service: string }) =>
    op.service === 'gateway' ? [system.gateway] : [system.gateway, system.services[op.service].url];
  /**
   * A read that answers 200 to any signed-in user: a GET without path parameters that documents
   * no 404 (GET /currencies/base-change answers 404 until the user changes currency).
   */
  const isProbe = (op: DocumentedOperation) =>
    op.method === 'GET' &&
    pathParametersOf(op.path).length === 0 &&
    !('404' in ((op.operation as { responses?: object }).responses ?? {}));

  beforeAll(async () => {
    system = await startSystem(
      'tokens',
      {
        auth: { ADMIN_EMAIL: ADMIN.email, ADMIN_USERNAME: ADMIN.username, ADMIN_PASSWORD: ADMIN.password },
        gateway: { RATE_LIMIT_PER_MINUTE: '1000000' },
      },
      { logger: capturingLogger(logLines) },
    );
    carol = await registerAndLogin(system.gateway, 'carol', { base_currency: 'EUR' });
    admin = { ...ADMIN, userId: '', token: await login(system.gateway, ADMIN.username, ADMIN.password) };
    const [key] = (await system.services.auth.dataSource.query(
      `SELECT kid, private_key_pem FROM signing_keys WHERE retired_at IS NULL`,
    )) as Array<{ kid: string; private_key_pem: string }>;
    signingKid = key.kid;
    signingKey = createPrivateKey(key.private_key_pem);
    const document = (await httpJson('GET', `${system.gateway}/openapi.json`)).body as OpenApiDocument;
    guarded = documentedOperations(document)
      .filter((op) => !isOpenOperation(op))
      .map((op) => {
        // The gateway's own answers (GET /admin/stats) are asked of the gateway alone.
        if ((op.operation as { 'x-answered-by'?: string })['x-answered-by'] === 'gateway')
          return { ...op, service: 'gateway' };
        // The service answering a path: the registry's most specific matching path.
        const owner = serviceRouting(op.path);
        if (!owner) throw new Error(`${op.key}: no service in the registry routes it`);
        return { ...op, service: owner };
      });
  }, 120_000);
  afterAll(async () => {
    await system?.stop();
  });

  /** A token as auth signs one for `userId`, with `claims` changed (undefined removes a claim). */
  function signed(
    userId: string,
    claims: Record<string, unknown> = {},
    header: Record<string, unknown> = {},
    key = signingKey,
  ): string {
    const now = Math.floor(Date.now() / 1000);
    const payload = Object.fromEntries(
      Object.entries({
        sub: userId,
        role: 'user',
        sv: 0,
        iat: now,
        exp: now + 900,
        iss: ISSUER,
        aud: AUDIENCE,
        jti: randomUUID(),
        ...claims,
      }).filter(([, value]) => value !== undefined),
    );
    return jwt.sign(payload, key, { algorithm: 'RS256', keyid: signingKid, ...header });
  }

  /** The bad tokens, each one difference away from a good one. */
  function forgeries(person: Person, refreshToken: string): Array<[string, string | undefined]> {
    const now = Math.floor(Date.now() / 1000);
    const good = signed(person.userId);
    const [header, payload] = good.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    const publicPem = createPublicKey(signingKey).export({ type: 'spki', format: 'pem' }).toString();
    const hs256Header = b64({ alg: 'HS256', typ: 'JWT', kid: signingKid });
    const hs256 = `${hs256Header}.${payload}`;
    const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    return [
      ['no token', undefined],
      ['not a JWT', 'not-a-token'],
      ['expired', signed(person.userId, { iat: now - 3600, exp: now - 1800 })],
      ['not yet valid', signed(person.userId, { nbf: now + 3600 })],
      ['without exp', signed(person.userId, { exp: undefined })],
      [
        'tampered payload (role admin)',
        `${header}.${b64({ ...claims, role: 'admin' })}.${good.split('.')[2]}`,
      ],
      [
        'tampered payload (another sub)',
        `${header}.${b64({ ...claims, sub: randomUUID() })}.${good.split('.')[2]}`,
      ],
      ['alg none', `${b64({ alg: 'none', typ: 'JWT', kid: signingKid })}.${payload}.`],
      ['alg none, no kid', `${b64({ alg: 'none', typ: 'JWT' })}.${payload}.`],
      [
        'HS256 signed with the public key',
        `${hs256}.${createHmac('sha256', publicPem).update(hs256).digest('base64url')}`,
      ],
      ['unknown kid', signed(person.userId, {}, { keyid: randomUUID() }, stranger)],
      ["the right kid, another key's signature", signed(person.userId, {}, {}, stranger)],
      ['wrong iss', signed(person.userId, { iss: 'someone-else' })],
      ['wrong aud', signed(person.userId, { aud: 'another-app' })],
      ['a role that does not exist', signed(person.userId, { role: 'root' })],
      ['a subject that is not a user id', signed('carol')],
      ['a refresh token as access token', refreshToken],
      ['Basic instead of Bearer', undefined],
    ];
  }

  /** One request of the operation, at the gateway or the service itself; path ids are random. */
  /**
   * One request of the operation, at the gateway or the service itself; path ids are random.
   * Over fetch's kept-alive connections: thousands of them, and the refusal is what is measured.
   */
  async function requestOf(
    op: DocumentedOperation & { service: string },
    base: string,
    token?: string,
    basic = false,
  ): Promise<{ status: number; contentType: string; text: string }> {
    const ids = Object.fromEntries(pathParametersOf(op.path).map((name) => [name, randomUUID()]));
    const headers: Record<string, string> = op.body ? { 'content-type': 'application/json' } : {};
    if (basic)
      headers.authorization = `Basic ${Buffer.from('carol:correct horse battery').toString('base64')}`;
    else if (token) headers.authorization = `Bearer ${token}`;
    const response = await fetch(`${base}${renderPath(op.path, ids)}`, {
      method: op.method,
      headers,
      body: op.body ? '{}' : undefined,
    });
    return {
      status: response.status,
      contentType: response.headers.get('content-type') ?? '',
      text: await response.text(),
    };
  }

  it('answers 401 problem+json to every bad token on every guarded operation, at the gateway and at each service', async () => {
    expect(guarded.length).toBeGreaterThan(40);
    // Every api service is reached directly at least once (the gateway's own answers aside).
    const services = new Set(guarded.map((op) => op.service).filter((service) => service !== 'gateway'));
    expect([...services].sort()).toEqual(
      registeredServices()
        .filter((s) => s.role === 'api' && guarded.some((op) => op.service === s.name))
        .map((s) => s.name)
        .sort(),
    );
    const logged = await httpJson('POST', `${system.gateway}/auth/login`, {
      body: { username: 'carol', password: carol.password },
    });
    const cases = forgeries(carol, logged.body.refresh_token as string);
    seen.push(['a refresh token', logged.body.refresh_token as string], ['a password', carol.password]);
    for (const [label, token] of cases) if (token) seen.push([`a token (${label})`, token]);
    const failures: string[] = [];
    const jobs = guarded.flatMap((op) =>
      basesOf(op).flatMap((base) =>
        cases.map(([label, token]) => async () => {
          const answer = await requestOf(op, base, token, label.startsWith('Basic'));
          const where = `${base === system.gateway ? 'gateway' : op.service} ${op.key} [${label}] → ${answer.status}`;
          if (answer.status !== 401) failures.push(`${where}: ${answer.text.slice(0, 160)}`);
          else if (!answer.contentType.startsWith('application/problem+json'))
            failures.push(`${where}: ${answer.contentType}`);
        }),
      ),
    );
    for (let i = 0; i < jobs.length; i += 24) await Promise.all(jobs.slice(i, i + 24).map((job) => job()));
    expect(failures).toEqual([]);
  }, 120_000);

  it('accepts a token forged the same way without a flaw: every 401 above is about its one flaw', async () => {
    const good = signed(carol.userId);
    for (const op of guarded.filter(isProbe)) {
      if (op.path.startsWith('/admin/')) continue;
      for (const base of basesOf(op)) {
        const answer = await requestOf(op, base, good);
        expect(`${op.key} at ${base} → ${answer.status}`).toBe(`${op.key} at ${base} → 200`);
      }
    }
  });

  it("refuses a deactivated user's unexpired tokens everywhere within seconds, and their refresh token", async () => {
    const dave = await registerAndLogin(system.gateway, 'dave', { base_currency: 'EUR' });
    const refresh = await httpJson('POST', `${system.gateway}/auth/login`, {
      body: { username: 'dave', password: dave.password },
    });
    seen.push(['a refresh token', refresh.body.refresh_token as string]);
    const probes = guarded.filter((op) => isProbe(op) && !op.path.startsWith('/admin/'));
    const statuses = async () =>
      Promise.all(
        probes.flatMap((op) =>
          basesOf(op).map(async (base) => {
            const answer = await requestOf(op, base, dave.token);
            return `${base === system.gateway ? 'gateway' : op.service} ${op.key} ${answer.status}`;
          }),
        ),
      );
    // Before: accepted everywhere (waited on: a busy machine's service may answer a 503 for a moment).
    await waitFor(
      async () => {
        const refused = (await statuses()).filter((line) => !line.endsWith(' 200'));
        if (refused.length > 0) throw new Error(refused.join(', '));
        return true;
      },
      { description: "every service to accept the active user's token" },
    );

    const deactivated = await httpJson('PATCH', `${system.gateway}/admin/users/${dave.userId}`, {
      token: admin.token,
      body: { is_active: false },
    });
    expect(deactivated.status).toBe(200);
    await waitFor(async () => (await statuses()).every((line) => line.endsWith(' 401')), {
      timeoutMs: 10_000,
      description: "every service refuses the deactivated user's token",
    });
    const refreshed = await httpJson('POST', `${system.gateway}/auth/refresh`, {
      body: { refresh_token: refresh.body.refresh_token },
    });
    expect(refreshed.status).toBe(401);
    const again = await httpJson('POST', `${system.gateway}/auth/login`, {
      body: { username: 'dave', password: dave.password },
    });
    expect(again.status).toBe(401);
  });

  it('wrote no password, token or refresh token to any log line of the run', () => {
    expect(logLines.length).toBeGreaterThan(100);
    expect(secretsInLogs(logLines, seen)).toEqual([]);
  });
});
