import { z } from 'zod';
import {
  ApiRouter,
  createDataSource,
  createServiceApp,
  inboxMigrations,
  outboxMigrations,
  serviceConfigFields,
  startService,
  type RunningService,
} from '../src';
import { createTestDatabase, dropTestDatabase, testAmqpUrl, testLogger } from '../src/testing';

const configSchema = z.object(serviceConfigFields({ port: 0, database: 'unused' }));

/** A service whose one route says which client address it sees. */
async function startWhoAmI(env: Record<string, string>): Promise<RunningService & { databaseUrl: string }> {
  const databaseUrl = await createTestDatabase('service_forwarding');
  const config = configSchema.parse({
    PORT: '0',
    HOST: '127.0.0.1',
    DATABASE_URL: databaseUrl,
    AMQP_URL: testAmqpUrl(),
    LOG_LEVEL: 'silent',
    ...env,
  });
  const service = await startService({
    name: 'whoami',
    config,
    logger: testLogger(),
    createDataSource: (c) =>
      createDataSource({
        url: c.DATABASE_URL,
        entities: [],
        migrations: [...outboxMigrations, ...inboxMigrations],
      }),
    wire: ({ logger, readiness }) => {
      const api = new ApiRouter();
      api.get(
        '/whoami',
        { summary: 'The client address', auth: false, responses: { 200: { description: 'ip' } } },
        (_in, req) => ({
          ip: req.ip,
        }),
      );
      return {
        app: createServiceApp({ logger, readiness, openapi: { title: 't', version: '1' }, routers: [api] }),
      };
    },
  });
  return Object.assign(service, { databaseUrl });
}

async function seenIp(service: RunningService, headers: Record<string, string>): Promise<string> {
  const res = await fetch(`${service.url}/whoami`, { headers });
  expect(res.status).toBe(200);
  return ((await res.json()) as { ip: string }).ip;
}

describe('startService: who may say where a request came from', () => {
  const started: Array<RunningService & { databaseUrl: string }> = [];
  afterAll(async () => {
    for (const service of started) {
      await service.stop();
      await dropTestDatabase(service.databaseUrl);
    }
  });

  it('believes X-Forwarded-For from a trusted proxy that presents the shared secret, and only then', async () => {
    const service = await startWhoAmI({ PROXY_SECRET: 'a-long-enough-secret-value' });
    started.push(service);
    expect(await seenIp(service, { 'x-forwarded-for': '9.9.9.9' })).toBe('127.0.0.1');
    expect(
      await seenIp(service, { 'x-forwarded-for': '9.9.9.9', 'x-proxy-secret': 'wrong-secret-of-same-size!' }),
    ).toBe('127.0.0.1');
    expect(
      await seenIp(service, {
        'x-forwarded-for': '8.8.8.8, 9.9.9.9',
        'x-proxy-secret': 'a-long-enough-secret-value',
      }),
    ).toBe('9.9.9.9');
  });

  it('ignores forwarding headers from a peer outside TRUSTED_PROXIES', async () => {
    const service = await startWhoAmI({ TRUSTED_PROXIES: '10.0.0.0/8' });
    started.push(service);
    expect(await seenIp(service, { 'x-forwarded-for': '9.9.9.9' })).toBe('127.0.0.1');
  });

  it('refuses a TRUSTED_PROXIES value it cannot read, naming the variable', () => {
    const result = configSchema.safeParse({ TRUSTED_PROXIES: 'not an address' });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0].path).toEqual(['TRUSTED_PROXIES']);
  });
});
