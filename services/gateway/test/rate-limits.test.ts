import { randomUUID } from 'node:crypto';
import { createClient } from 'redis';
import {
  TEST_AUDIENCE,
  TEST_ISSUER,
  TestTokenIssuer,
  httpJson,
  startHttpServer,
  testLogger,
  type RunningServer,
} from '@finance/shared/testing';
import { buildApp } from '../src/app';
import { gatewayConfig, startRecordingUpstream, type RecordingUpstream } from './upstreams';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

describe('gateway rate limits', () => {
  const issuer = new TestTokenIssuer();
  let auth: RecordingUpstream;
  let ledger: RecordingUpstream;
  const servers: RunningServer[] = [];
  let env: Record<string, string>;

  const start = async (extra: Record<string, string>, deps: Partial<Parameters<typeof buildApp>[1]> = {}) => {
    const server = await startHttpServer(
      buildApp(gatewayConfig({ ...env, ...extra }), { logger: testLogger(), ...deps }),
    );
    servers.push(server);
    return server;
  };

  beforeAll(async () => {
    await issuer.start();
    auth = await startRecordingUpstream('auth');
    ledger = await startRecordingUpstream('ledger');
    env = {
      JWKS_URL: issuer.jwksUrl,
      JWT_ISSUER: TEST_ISSUER,
      JWT_AUDIENCE: TEST_AUDIENCE,
      AUTH_URL: auth.url,
      LEDGER_URL: ledger.url,
    };
  });

  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
    await Promise.all([auth.close(), ledger.close(), issuer.stop()]);
  });

  it('limits login and register per IP with 429 problem+json and Retry-After', async () => {
    const gateway = await start({ AUTH_RATE_LIMIT_PER_MINUTE: '3', RATE_LIMIT_PER_MINUTE: '100' });
    const statuses: number[] = [];
    for (const path of ['/auth/login', '/auth/register', '/auth/login']) {
      statuses.push(
        (await httpJson('POST', `${gateway.url}${path}`, { body: { username: 'u', password: 'p' } })).status,
      );
    }
    expect(statuses).toEqual([200, 200, 200]);
    const before = auth.received.length;
    const limited = await httpJson('POST', `${gateway.url}/auth/register`, { body: { username: 'u' } });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('content-type')).toContain('application/problem+json');
    expect(limited.body).toMatchObject({ status: 429, title: 'Too Many Requests' });
    expect(limited.headers.get('cache-control')).toBe('no-store');
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(auth.received).toHaveLength(before);
    // The strict limit is for password endpoints only: refresh is still open.
    expect((await httpJson('POST', `${gateway.url}/auth/refresh`, { body: {} })).status).toBe(200);
  });

  it('limits each user separately, and anonymous callers by IP', async () => {
    const gateway = await start({ RATE_LIMIT_PER_MINUTE: '2' });
    const ana = issuer.token(randomUUID());
    const bob = issuer.token(randomUUID());
    expect((await httpJson('GET', `${gateway.url}/accounts`, { token: ana })).status).toBe(200);
    expect((await httpJson('GET', `${gateway.url}/accounts`, { token: ana })).status).toBe(200);
    const limited = await httpJson('GET', `${gateway.url}/accounts`, { token: ana });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
    // Another user on the same address has a budget of their own.
    expect((await httpJson('GET', `${gateway.url}/accounts`, { token: bob })).status).toBe(200);
    // Requests with bad tokens are counted per IP too, then refused.
    expect((await httpJson('GET', `${gateway.url}/accounts`, { token: 'bad' })).status).toBe(401);
    expect((await httpJson('GET', `${gateway.url}/accounts`)).status).toBe(401);
    expect((await httpJson('GET', `${gateway.url}/accounts`, { token: 'bad' })).status).toBe(429);
  });

  it('shares counters between replicas through Redis', async () => {
    const redis = createClient({ url: REDIS_URL });
    await redis.connect();
    try {
      const deps = {
        redisCommand: (...args: string[]) => redis.sendCommand(args) as Promise<any>,
        // A fresh prefix, so other runs sharing this Redis do not count here.
        redisPrefix: `test:gateway:${randomUUID()}:`,
      };
      const replicaA = await start({ RATE_LIMIT_PER_MINUTE: '3' }, deps);
      const replicaB = await start({ RATE_LIMIT_PER_MINUTE: '3' }, deps);
      const user = issuer.token(randomUUID());
      const statuses = [];
      for (const replica of [replicaA, replicaB, replicaA, replicaB]) {
        statuses.push((await httpJson('GET', `${replica.url}/accounts`, { token: user })).status);
      }
      expect(statuses).toEqual([200, 200, 200, 429]);
      const keys = await redis.keys(`${deps.redisPrefix}*`);
      expect(keys.length).toBeGreaterThan(0);
      await redis.del(keys);
    } finally {
      await redis.close();
    }
  });

  it('lets requests through while Redis is down, and limits again once it is back', async () => {
    const redis = createClient({ url: REDIS_URL });
    await redis.connect();
    let redisDown = true;
    try {
      const deps = {
        redisCommand: async (...args: string[]): Promise<any> => {
          if (redisDown) throw new Error('connection refused');
          return redis.sendCommand(args);
        },
        redisPrefix: `test:gateway:${randomUUID()}:`,
      };
      const gateway = await start({ RATE_LIMIT_PER_MINUTE: '1' }, deps);
      const user = issuer.token(randomUUID());
      const down = [];
      for (let i = 0; i < 3; i++)
        down.push((await httpJson('GET', `${gateway.url}/accounts`, { token: user })).status);
      expect(down).toEqual([200, 200, 200]);
      redisDown = false;
      const back = [];
      for (let i = 0; i < 3; i++)
        back.push((await httpJson('GET', `${gateway.url}/accounts`, { token: user })).status);
      // The first request after recovery reloads the counting script (and passes uncounted),
      // then counting resumes: without the reload, limits would stay off for good.
      expect(back).toEqual([200, 200, 429]);
      const keys = await redis.keys(`${deps.redisPrefix}*`);
      if (keys.length) await redis.del(keys);
    } finally {
      await redis.close();
    }
  });
});
