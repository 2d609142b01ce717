import { generateKeyPairSync } from 'node:crypto';
import { request } from 'node:http';
import pino from 'pino';
import type { DataSource } from 'typeorm';
import { Readiness, databaseCheck, openDatabase } from '@finance/shared';
import {
  createTestDatabase,
  dropTestDatabase,
  httpJson,
  startHttpServer,
  testLogger,
  type RunningServer,
} from '@finance/shared/testing';
import type { Logger } from '@finance/shared';
import { buildAuth, type AuthParts } from '../src/app';
import { parseAuthConfig, type AuthConfig } from '../src/config';
import { authDataSource } from '../src/data/data-source';
import { KeyRing } from '../src/data/key-ring';

export interface RunningAuth {
  url: string;
  databaseUrl: string;
  dataSource: DataSource;
  config: AuthConfig;
  keys: KeyRing;
  /** The instances the app serves with. */
  parts: AuthParts;
  server: RunningServer;
  /** Another app instance (a second replica, or the same one restarted with other env) on the same database. */
  startReplica(env?: Record<string, string>): Promise<{ url: string; keys: KeyRing; close(): Promise<void> }>;
  close(): Promise<void>;
}

export function rsaPrivateKeyPem(): string {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}

async function startInstance(dataSource: DataSource, config: AuthConfig, logger: Logger) {
  const keys = new KeyRing(dataSource, {
    accessTokenTtlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
    privateKeyPem: config.JWT_PRIVATE_KEY,
  });
  await keys.activate();
  const { app, parts } = buildAuth({
    config,
    dataSource,
    logger,
    readiness: new Readiness({ db: databaseCheck(dataSource) }),
    keys,
  });
  return { keys, parts, server: await startHttpServer(app) };
}

/**
 * The auth app on its own fresh database, listening on an ephemeral port; bcrypt cost 4 for speed.
 * `logger` lets a test read what the service logs.
 */
export async function startAuth(
  label: string,
  env: Record<string, string> = {},
  logger: Logger = testLogger('auth'),
): Promise<RunningAuth> {
  const databaseUrl = await createTestDatabase(label);
  const base = { NODE_ENV: 'test', BCRYPT_ROUNDS: '4', DATABASE_URL: databaseUrl };
  const config = parseAuthConfig({ ...base, ...env });
  const dataSource = await openDatabase(authDataSource(databaseUrl, 4));
  const { keys, parts, server } = await startInstance(dataSource, config, logger);
  const replicas: RunningServer[] = [];
  return {
    url: server.url,
    databaseUrl,
    dataSource,
    config,
    keys,
    parts,
    server,
    async startReplica(replicaEnv = {}) {
      const replica = await startInstance(dataSource, parseAuthConfig({ ...base, ...replicaEnv }), logger);
      replicas.push(replica.server);
      return { url: replica.server.url, keys: replica.keys, close: () => replica.server.close() };
    },
    async close() {
      await Promise.all([server, ...replicas].map((s) => s.close().catch(() => undefined)));
      await dataSource.destroy();
      await dropTestDatabase(databaseUrl);
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
