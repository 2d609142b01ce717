import { Client } from 'pg';
import { z } from 'zod';
import {
  ApiRouter,
  defineService,
  newId,
  parseEvent,
  serviceConfigFields,
  type EventHandlers,
  type RunningService,
} from '../src';
import { startTestService, waitFor, type TestService } from '../src/testing';

const configSchema = z.object(serviceConfigFields({ port: 0, database: 'finance_whoami' }));

/** A service whose one route says which client address it sees; `handlers` are its events. */
function whoAmI(handlers: EventHandlers = {}) {
  return defineService({
    name: 'whoami',
    configSchema,
    migrations: [],
    openapi: { title: 'who am I', description: 'The client address as the service sees it' },
    handlers,
    routes: ({ dataSource }) => {
      const api = new ApiRouter();
      api.get(
        '/slow',
        {
          summary: 'A query that takes a while',
          auth: false,
          responses: { 200: { description: 'done', schema: z.object({ ok: z.boolean() }) } },
        },
        async () => {
          await dataSource.query('SELECT pg_sleep(3)');
          return { ok: true };
        },
      );
      api.get(
        '/whoami',
        {
          summary: 'The client address',
          auth: false,
          responses: { 200: { description: 'ip', schema: z.object({ ip: z.string().optional() }) } },
        },
        (_in, req) => ({ ip: req.ip }),
      );
      return [api];
    },
  });
}

async function startWhoAmI(env: Record<string, string>, handlers?: EventHandlers): Promise<TestService> {
  return startTestService(whoAmI(handlers), { env, label: 'service_whoami' });
}

async function seenIp(service: RunningService, headers: Record<string, string>): Promise<string> {
  const res = await fetch(`${service.url}/whoami`, { headers });
  expect(res.status).toBe(200);
  return ((await res.json()) as { ip: string }).ip;
}

describe('startService: who may say where a request came from', () => {
  const started: TestService[] = [];
  afterAll(async () => {
    for (const service of started) await service.close();
  });

  it('shows a read model that cannot apply an event as degraded in /readyz and in the metrics', async () => {
    const service = await startWhoAmI(
      { EVENTS_MAX_ATTEMPTS: '1' },
      {
        'ledger.account.created': async () => {
          throw new Error('this read model cannot apply it');
        },
      },
    );
    started.push(service);
    const readyz = async () =>
      (await (await fetch(`${service.url}/readyz`)).json()) as {
        status: string;
        checks: Record<string, string>;
      };
    // The broker connects and the queues are declared in the background after start.
    await waitFor(
      () =>
        service.consumer.deadLetters().then(
          () => true,
          () => false,
        ),
      { description: 'queues declared' },
    );
    expect((await readyz()).checks.events).toBe('up');
    const userId = newId();
    const event = parseEvent({
      id: newId(),
      type: 'ledger.account.created',
      version: 1,
      occurredAt: new Date().toISOString(),
      userId,
      correlationId: 'c',
      aggregateId: newId(),
      aggregateVersion: 1,
      payload: { name: 'A', type: 'cash', currency: 'USD', openingBalance: '0.00', archived: false },
    });
    await service.broker.publish(event.type, event);
    await waitFor(() => service.consumer.stats.deadLettered >= 1, { description: 'event dead-lettered' });
    await waitFor(async () => (await readyz()).status === 'degraded', {
      timeoutMs: 40_000,
      description: 'readyz degraded',
    });
    const res = await fetch(`${service.url}/readyz`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { checks: unknown }).checks).toMatchObject({
      db: 'up',
      broker: 'up',
      events: 'degraded',
    });
    const metrics = await (await fetch(`${service.url}/metrics`)).text();
    // At least ours: other test files on the same broker publish that type too, and this read model fails them all.
    expect(metrics).toMatch(
      /events_dead_letter_queue_depth\{consumer="t_service_whoami_[0-9a-f]+"\} [1-9]\d*/,
    );
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

  it('answers 503 with Retry-After when its database connections are cut, and recovers by itself', async () => {
    const service = await startWhoAmI({});
    started.push(service);
    const slow = fetch(`${service.url}/slow`);
    const database = new URL(service.config.DATABASE_URL).pathname.slice(1);
    await waitFor(
      async () =>
        (
          await service.dataSource.query(
            `SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND query LIKE 'SELECT pg_sleep%' AND state = 'active'`,
            [database],
          )
        ).length > 0,
      { description: 'the slow query running' },
    );
    const admin = new Client({ connectionString: service.config.DATABASE_URL });
    await admin.connect();
    await admin.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`,
      [database],
    );
    await admin.end();
    const cut = await slow;
    expect(cut.status).toBe(503);
    expect(cut.headers.get('retry-after')).toBe('2');
    expect(cut.headers.get('content-type')).toContain('application/problem+json');
    // The pool drops the dead connections and the next requests are served.
    await waitFor(async () => (await fetch(`${service.url}/readyz`)).status === 200, {
      description: 'ready again',
    });
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

describe('startService: a start that fails halfway', () => {
  it('closes what it had opened (setup parts, database pool) and rethrows', async () => {
    const closed: string[] = [];
    const broken = defineService({
      name: 'broken',
      configSchema: z.object(serviceConfigFields({ port: 0, database: 'finance_broken' })),
      migrations: [],
      openapi: { title: 'broken', description: 'A route that cannot be registered' },
      setup: () => ({ closers: [{ name: 'a job', close: () => void closed.push('a job') }] }),
      routes: () => {
        throw new Error('no such route');
      },
    });
    await expect(startTestService(broken, { label: 'service_broken' })).rejects.toThrow('no such route');
    expect(closed).toEqual(['a job']);
    const admin = new Client({ connectionString: process.env.TEST_DATABASE_URL });
    await admin.connect();
    try {
      const left = await admin.query(`SELECT 1 FROM pg_stat_activity WHERE application_name = 'broken'`);
      expect(left.rows).toHaveLength(0);
    } finally {
      await admin.end();
    }
  });
});
