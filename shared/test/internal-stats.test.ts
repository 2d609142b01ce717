import { z } from 'zod';
import {
  defineService,
  gatherInternalStats,
  internalStatsSchema,
  newId,
  parseEvent,
  publishEvent,
  serviceConfigFields,
} from '../src';
import { startTestService, waitFor, type TestService } from '../src/testing';

const configSchema = z.object(serviceConfigFields({ port: 0, database: 'finance_statsy' }));

/** A service that counts "widgets" and cannot apply the one event it consumes (so it dead-letters). */
const statsy = defineService({
  name: 'statsy',
  configSchema,
  migrations: [],
  openapi: { title: 'statsy', description: 'Reports its stats' },
  handlers: {
    'ledger.account.created': async () => {
      throw new Error('this read model cannot apply it');
    },
  },
  stats: async ({ dataSource }) => {
    const [row]: Array<{ widgets: number }> = await dataSource.query(`SELECT 7 AS widgets`);
    return row;
  },
  routes: () => [],
});

describe('GET /internal/stats (every service, for the gateway’s GET /admin/stats)', () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService(statsy, { env: { EVENTS_MAX_ATTEMPTS: '1' }, label: 'internal_stats' });
  });
  afterAll(() => service.close());

  const stats = async () => {
    const res = await fetch(`${service.url}/internal/stats`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    return internalStatsSchema.parse(await res.json());
  };

  it('answers the service’s own counts, its outbox and its dead-letter queue, without a token', async () => {
    await waitFor(
      () =>
        service.consumer.deadLetters().then(
          () => true,
          () => false,
        ),
      { description: 'queues declared' },
    );
    expect(await stats()).toEqual({
      service: 'statsy',
      outbox: { pending: 0, oldest_pending_seconds: 0 },
      dead_letters: 0,
      counts: { widgets: 7 },
    });

    // An event it cannot apply ends in its dead-letter queue.
    const event = parseEvent({
      id: newId(),
      type: 'ledger.account.created',
      version: 1,
      occurredAt: new Date().toISOString(),
      userId: newId(),
      correlationId: 'c',
      aggregateId: newId(),
      aggregateVersion: 1,
      payload: { name: 'A', type: 'cash', currency: 'USD', openingBalance: '0.00', archived: false },
    });
    await service.broker.publish(event.type, event);
    await waitFor(async () => ((await stats()).dead_letters ?? 0) >= 1, {
      description: 'a dead letter counted',
    });

    // With its relay stopped, what it writes stays pending in the outbox.
    await service.relay.stop();
    await service.dataSource.transaction((manager) =>
      publishEvent(manager, {
        type: 'ledger.account.created',
        userId: newId(),
        aggregateId: newId(),
        aggregateVersion: 1,
        payload: { name: 'B', type: 'cash', currency: 'USD', openingBalance: '0.00', archived: false },
      }),
    );
    const after = await stats();
    expect(after.outbox.pending).toBe(1);
    expect(after.outbox.oldest_pending_seconds).toBeGreaterThanOrEqual(0);
    expect(after.outbox.oldest_pending_seconds).toBeLessThan(60);
  });

  it('is not in the service’s OpenAPI document', async () => {
    const doc = (await (await fetch(`${service.url}/openapi.json`)).json()) as { paths: object };
    expect(Object.keys(doc.paths)).not.toContain('/internal/stats');
  });

  it('answers empty counts for a service without any, and null dead letters while the broker is away', async () => {
    const answer = await gatherInternalStats({
      service: 'plain',
      dataSource: service.dataSource,
      deadLetters: () => Promise.reject(new Error('broker away')),
    });
    // The outbox row of the test before is still pending (its relay is stopped).
    expect(answer).toEqual({
      service: 'plain',
      outbox: { pending: 1, oldest_pending_seconds: expect.any(Number) },
      dead_letters: null,
      counts: {},
    });
  });
});
