import { generateKeyPairSync } from 'node:crypto';
import { request } from 'node:http';
import pino from 'pino';
import { DEFAULT_RETRY_DELAYS_MS, parseConfig, startService, type Logger } from '@finance/shared';
import {
  createTestDatabase,
  deleteTestQueues,
  dropTestDatabase,
  httpJson,
  startTestBroker,
  startTestService,
  testAmqpUrl,
  uniqueName,
  type TestService,
} from '@finance/shared/testing';
import auth from '../src/service';
import type { AuthParts } from '../src/parts';

/** A started auth service; `parts` are the instances it serves with (key ring, stores, hasher…). */
export type AuthService = TestService<AuthParts>;

export function rsaPrivateKeyPem(): string {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}

/** What every test auth runs with beyond the harness's defaults: bcrypt cost 4, for speed. */
const TEST_ENV = { NODE_ENV: 'test', BCRYPT_ROUNDS: '4' };

export interface StartAuthOptions {
  env?: Record<string, string>;
  clock?: () => Date;
  /** A logger whose lines the test reads (see {@link capturingLogger}). */
  logger?: Logger;
}

/** Auth started from its definition as main.ts starts it (startService), on a fresh database with queues of its own. */
export async function startAuth(label: string, options: StartAuthOptions = {}): Promise<AuthService> {
  const env = { ...TEST_ENV, ...options.env };
  if (options.logger) return startAuthLoggingTo(options.logger, label, env, options.clock);
  return startTestService(auth, { env, clock: options.clock, label });
}

/**
 * Another replica of `primary` on the same database (or the same service restarted with other
 * environment): every table, key and user is shared. The harness also makes it an empty database
 * of its own, which it never uses and drops at close; `primary`'s is left alone.
 */
export async function startReplica(
  primary: AuthService,
  options: Omit<StartAuthOptions, 'logger'> = {},
): Promise<AuthService> {
  return startTestService(auth, {
    env: { ...TEST_ENV, ...options.env, DATABASE_URL: primary.config.DATABASE_URL },
    clock: options.clock,
    label: 'auth_replica',
  });
}

/**
 * startTestService with a logger of the test's (the harness takes none yet): the same start —
 * definition, fresh database, own queues, ephemeral loopback port — and the same cleanup.
 */
async function startAuthLoggingTo(
  logger: Logger,
  label: string,
  env: Record<string, string>,
  clock?: () => Date,
): Promise<AuthService> {
  const databaseUrl = await createTestDatabase(label);
  const consumerName = uniqueName(label);
  const config = parseConfig(auth.configSchema, {
    PORT: '0',
    HOST: '127.0.0.1',
    DATABASE_URL: databaseUrl,
    AMQP_URL: testAmqpUrl(),
    ...env,
  });
  const service = await startService(auth, { config, consumerName, clock, logger });
  await service.broker.whenConnected();
  return Object.assign(service, {
    consumerName,
    async close() {
      await service.stop();
      const broker = await startTestBroker(`${label}-cleanup`);
      await deleteTestQueues(broker, consumerName, DEFAULT_RETRY_DELAYS_MS.length);
      await broker.stop();
      await dropTestDatabase(databaseUrl);
    },
  });
}

/**
 * A service clock a test moves on with `advance`. It runs with real time from `start`, or, when
 * `frozen`, stands still between advances (so no rule's outcome depends on how long a step took).
 */
export function testClock(
  start: Date = new Date(),
  options: { frozen?: boolean } = {},
): { now: () => Date; advance(ms: number): void } {
  let offsetMs = start.getTime() - (options.frozen ? 0 : Date.now());
  return {
    now: () => new Date((options.frozen ? 0 : Date.now()) + offsetMs),
    advance: (ms) => {
      offsetMs += ms;
    },
  };
}

let counter = 0;
/** A unique, valid registration body. */
export function newAccount(overrides: Record<string, unknown> = {}) {
  counter += 1;
  const tag = `${Date.now().toString(36)}${counter}`;
  return {
    email: `user${tag}@example.com`,
    username: `user_${tag}`,
    password: 'correct horse battery',
    ...overrides,
  } as { email: string; username: string; password: string } & Record<string, unknown>;
}

export async function registerAndLogin(url: string, overrides: Record<string, unknown> = {}) {
  const account = newAccount(overrides);
  const registered = await httpJson('POST', `${url}/auth/register`, { body: account });
  if (registered.status !== 201) throw new Error(`register failed: ${JSON.stringify(registered.body)}`);
  const login = await httpJson('POST', `${url}/auth/login`, {
    body: { email: account.email, password: account.password },
  });
  if (login.status !== 200) throw new Error(`login failed: ${JSON.stringify(login.body)}`);
  return {
    account,
    user: registered.body as { id: string; email: string; username: string; role: string },
    accessToken: login.body.access_token as string,
    refreshToken: login.body.refresh_token as string,
  };
}

export function formBody(fields: Record<string, string>): { body: string; headers: Record<string, string> } {
  return {
    body: new URLSearchParams(fields).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  };
}

/**
 * JSON over HTTP from a chosen loopback address (any of 127.0.0.0/8): the service sees that
 * client address on the socket itself, so tests of per-address rules trust no forwarding header.
 */
export function httpJsonFrom<T = any>(
  clientIp: string,
  method: string,
  url: string,
  options: { body?: unknown; token?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; headers: Headers; body: T }> {
  const headers: Record<string, string> = { ...options.headers };
  const payload =
    options.body === undefined
      ? undefined
      : typeof options.body === 'string'
        ? options.body
        : JSON.stringify(options.body);
  if (payload !== undefined) {
    headers['content-type'] ??= 'application/json';
    headers['content-length'] = String(Buffer.byteLength(payload));
  }
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, localAddress: clientIp, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = text;
        try {
          body = text ? JSON.parse(text) : undefined;
        } catch {
          // not JSON: keep the text
        }
        const answerHeaders = new Headers();
        for (const [name, value] of Object.entries(res.headers))
          if (value !== undefined) answerHeaders.set(name, Array.isArray(value) ? value.join(', ') : value);
        resolve({ status: res.statusCode ?? 0, headers: answerHeaders, body: body as T });
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/** A pino logger whose JSON lines a test can read (`lines()`), e.g. to see a lock-out recorded. */
export function capturingLogger(): { logger: Logger; lines(): Array<Record<string, unknown>> } {
  const captured: string[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void captured.push(line) });
  return { logger, lines: () => captured.map((line) => JSON.parse(line) as Record<string, unknown>) };
}
