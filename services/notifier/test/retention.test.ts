import { newId } from '@finance/shared';
import { TestTokenIssuer, httpJson, startTestService, type TestService } from '@finance/shared/testing';
import { RETENTION_JOB } from '../src/jobs/retention';
import { notifierConfigSchema } from '../src/config';
import notifier, { type NotifierParts } from '../src/service';
import { budgetExceeded, fastEnv, testUser, userRegistered } from './fixtures';

const DAY = 24 * 3_600_000;

describe('notifier retention', () => {
  const issuer = new TestTokenIssuer();
  let service: TestService<NotifierParts>;
  let offsetMs = 0;

  beforeAll(async () => {
    await issuer.start();
    service = await startTestService(notifier, {
      env: {
        JWKS_URL: issuer.jwksUrl,
        ...fastEnv({ NOTIFICATION_RETENTION_DAYS: '30', DELIVERY_WORKERS: 'false' }),
      },
      clock: () => new Date(Date.now() + offsetMs),
    });
  });
  afterAll(async () => {
    await service?.close();
    await issuer.stop();
  });

  it('deletes read notifications older than the retention, keeping unread and recent ones', async () => {
    const user = testUser();
    await service.consumer.apply(userRegistered(user));
    const token = issuer.token(user.id, { sessionVersion: 1 });
    for (let i = 0; i < 3; i++) await service.consumer.apply(budgetExceeded(user.id, { name: `B${i}` }));
    const feed = (await httpJson('GET', `${service.url}/notifications`, { token })).body.data as Array<{
      id: string;
    }>;
    // Read 40 days ago (the service's clock), read today, never read.
    offsetMs = -40 * DAY;
    await httpJson('POST', `${service.url}/notifications/${feed[0].id}/read`, { token });
    offsetMs = 0;
    await httpJson('POST', `${service.url}/notifications/${feed[1].id}/read`, { token });

    expect(await service.parts.retention.runNow()).toBe(true);
    const left = (await httpJson('GET', `${service.url}/notifications`, { token })).body.data.map(
      (n: { id: string }) => n.id,
    );
    expect(left.sort()).toEqual([feed[1].id, feed[2].id].sort());
    // Its e-mail went with it.
    const emails: unknown[] = await service.dataSource.query(
      `SELECT 1 FROM email_outbox WHERE notification_id = $1`,
      [feed[0].id],
    );
    expect(emails).toHaveLength(0);
  });

  it('runs on one replica at a time: a round while another replica holds the job does nothing', async () => {
    const userId = newId();
    const insertOldLogOnly = () =>
      service.dataSource.query(
        `INSERT INTO notifications (id, user_id, kind, title, body, in_app, created_at)
         VALUES (gen_random_uuid(), $1, 'budget_exceeded', 't', 'b', false, now() - interval '400 days')`,
        [userId],
      );
    const remaining = async () =>
      Number(
        (
          await service.dataSource.query(`SELECT count(*) AS n FROM notifications WHERE user_id = $1`, [
            userId,
          ])
        )[0].n,
      );
    await insertOldLogOnly();
    // Another replica's round: the job's advisory lock, held on a connection of its own.
    const runner = service.dataSource.createQueryRunner();
    await runner.connect();
    try {
      await runner.query(`SELECT pg_advisory_lock(hashtext('finance-tracker:job:' || $1))`, [RETENTION_JOB]);
      expect(await service.parts.retention.runNow()).toBe(false);
      expect(await remaining()).toBe(1);
    } finally {
      await runner.query(`SELECT pg_advisory_unlock(hashtext('finance-tracker:job:' || $1))`, [
        RETENTION_JOB,
      ]);
      await runner.release();
    }
    expect(await service.parts.retention.runNow()).toBe(true);
    expect(await remaining()).toBe(0);
  });

  it('prunes finished webhook deliveries and log-only notifications past the retention', async () => {
    const userId = newId();
    const [{ id: webhookId }] = await service.dataSource.query(
      `INSERT INTO webhooks (id, user_id, url, event_types, secret, created_at, updated_at)
       VALUES (gen_random_uuid(), $1, 'https://example.com/', '{budget_exceeded}', 'whsec_AAAA', now(), now()) RETURNING id`,
      [userId],
    );
    for (const [status, age] of [
      ['succeeded', 40],
      ['failed', 40],
      ['succeeded', 5],
    ] as const)
      await service.dataSource.query(
        `INSERT INTO webhook_deliveries (id, webhook_id, user_id, type, body, status, created_at, completed_at)
         VALUES (gen_random_uuid(), $1, $2, 'webhook_test', '{}', $3, now() - ($4 || ' days')::interval, now() - ($4 || ' days')::interval)`,
        [webhookId, userId, status, String(age)],
      );
    await service.dataSource.query(
      `INSERT INTO notifications (id, user_id, kind, title, body, in_app, created_at)
       VALUES (gen_random_uuid(), $1, 'budget_exceeded', 't', 'b', false, now() - interval '40 days')`,
      [userId],
    );
    expect(await service.parts.retention.runNow()).toBe(true);
    const statuses = await service.dataSource.query(
      `SELECT status FROM webhook_deliveries WHERE user_id = $1 ORDER BY status`,
      [userId],
    );
    expect(statuses).toEqual([{ status: 'succeeded' }]); // the 5-day-old one
    const notifications = await service.dataSource.query(`SELECT 1 FROM notifications WHERE user_id = $1`, [
      userId,
    ]);
    expect(notifications).toHaveLength(0);
  });

  it('refuses a schedule that is not a cron expression, naming the variable', () => {
    const parsed = notifierConfigSchema.safeParse({ RETENTION_SCHEDULE: 'every night' });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0].path).toEqual(['RETENTION_SCHEDULE']);
    expect(notifierConfigSchema.parse({ RETENTION_SCHEDULE: 'off' }).RETENTION_SCHEDULE).toBe('off');
    expect(notifierConfigSchema.parse({}).RETENTION_SCHEDULE).toBe('17 3 * * *');
  });
});
