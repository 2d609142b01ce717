import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newId } from '@finance/shared';
import {
  TestTokenIssuer,
  httpJson,
  startTestService,
  waitFor,
  waitForInbox,
  type TestService,
} from '@finance/shared/testing';
import notifier, { type NotifierParts } from '../src/service';
import {
  budgetExceeded,
  fastEnv,
  oneOfEachKind,
  testUser,
  userDeleted,
  userRegistered,
  userUpdated,
} from './fixtures';

interface NotificationBody {
  id: string;
  kind: string;
  title: string;
  body: string;
  data: Record<string, string | null>;
  created_at: string;
  read_at: string | null;
}

describe('notifier: in-app notifications and preferences', () => {
  const issuer = new TestTokenIssuer();
  let service: TestService<NotifierParts>;
  let mailDir: string;
  const url = (path: string) => `${service.url}${path}`;

  beforeAll(async () => {
    await issuer.start();
    mailDir = await mkdtemp(join(tmpdir(), 'notifier-mail-'));
    service = await startTestService(notifier, {
      env: { JWKS_URL: issuer.jwksUrl, ...fastEnv({ MAIL_DIR: mailDir }) },
    });
  });
  afterAll(async () => {
    await service?.close();
    await issuer.stop();
    await rm(mailDir, { recursive: true, force: true });
  });

  async function registered(overrides = {}) {
    const user = testUser(overrides);
    await service.consumer.apply(userRegistered(user));
    return { user, token: issuer.token(user.id, { sessionVersion: 1 }) };
  }

  const feed = async (token: string, query = '') =>
    (
      await httpJson<{ data: NotificationBody[]; next_cursor: string | null }>(
        'GET',
        url(`/notifications${query}`),
        { token },
      )
    ).body;

  it('is alive, ready and documents its API', async () => {
    expect((await httpJson('GET', url('/readyz'))).status).toBe(200);
    const openapi = await httpJson('GET', url('/openapi.json'));
    expect(Object.keys(openapi.body.paths)).toEqual(
      expect.arrayContaining([
        '/notifications',
        '/notifications/preferences',
        '/notifications/unread-count',
        '/notifications/{id}',
        '/webhooks',
        '/webhooks/{id}/deliveries',
      ]),
    );
  });

  it('turns every consumed event into one in-app notification with ids to link', async () => {
    const { user, token } = await registered();
    const events = oneOfEachKind(user.id);
    for (const event of events) expect(await service.consumer.apply(event)).toBe(true);
    const { data } = await feed(token);
    expect(data.map((n) => n.kind).sort()).toEqual(
      [
        'budget_exceeded',
        'budget_removed',
        'budget_threshold_reached',
        'goal_completed',
        'goal_milestone_reached',
        'import_completed',
        'monthly_report_ready',
        'recurring_generated',
        'recurring_upcoming',
      ].sort(),
    );
    const byKind = Object.fromEntries(data.map((n) => [n.kind, n]));
    expect(byKind.budget_exceeded).toMatchObject({
      title: 'Budget “Groceries” exceeded',
      body: 'You have spent €512.40 of €500.00 (102.48%) between 2026-01-01 and 2026-01-31.',
      read_at: null,
    });
    const exceeded = events[1] as ReturnType<typeof budgetExceeded>;
    expect(byKind.budget_exceeded.data).toEqual({
      budget_id: exceeded.payload.budgetId,
      category_id: exceeded.payload.categoryId,
    });
    expect(byKind.budget_removed.title).toBe('Budget “Pets” was removed');
    expect(byKind.monthly_report_ready.title).toBe('Your report for January 2026 is ready');
    expect(Object.keys(byKind.goal_completed.data)).toEqual(['goal_id']);
    expect(Object.keys(byKind.recurring_generated.data).sort()).toEqual(['recurring_id', 'transaction_id']);
    expect(Object.keys(byKind.import_completed.data)).toEqual(['import_id']);
    expect(Object.keys(byKind.monthly_report_ready.data)).toEqual(['report_id']);
    // Newest first.
    const times = data.map((n) => n.created_at);
    expect([...times].sort().reverse()).toEqual(times);
  });

  it('stores one notification for an event delivered twice (inbox and the broker)', async () => {
    const { user, token } = await registered();
    const event = budgetExceeded(user.id);
    expect(await service.consumer.apply(event)).toBe(true);
    expect(await service.consumer.apply(event)).toBe(false);
    // Twice through RabbitMQ as well, as a publisher's retry would.
    const again = budgetExceeded(user.id);
    const duplicatesBefore = service.consumer.stats.duplicates;
    await service.broker.publish(again.type, again);
    await service.broker.publish(again.type, again);
    await waitForInbox(service.dataSource, service.consumerName, again.id);
    await waitFor(() => service.consumer.stats.duplicates > duplicatesBefore, {
      description: 'the second copy',
    });
    const [{ count }] = await service.dataSource.query(
      `SELECT count(*)::int AS count FROM notifications WHERE user_id = $1`,
      [user.id],
    );
    expect(count).toBe(2);
    expect((await feed(token)).data).toHaveLength(2);
    const [{ mails }] = await service.dataSource.query(
      `SELECT count(*)::int AS mails FROM email_outbox WHERE user_id = $1`,
      [user.id],
    );
    expect(mails).toBe(2);
  });

  it('filters unread and by kind, pages with a cursor, counts unread, reads and deletes', async () => {
    const { user, token } = await registered();
    for (let i = 0; i < 5; i++)
      await service.consumer.apply(budgetExceeded(user.id, { name: `Budget ${i}` }));
    await service.consumer.apply(oneOfEachKind(user.id)[3]); // a goal milestone
    expect((await httpJson('GET', url('/notifications/unread-count'), { token })).body).toEqual({ count: 6 });

    const first = await feed(token, '?limit=4');
    expect(first.data).toHaveLength(4);
    expect(first.next_cursor).not.toBeNull();
    const second = await feed(token, `?limit=4&cursor=${first.next_cursor}`);
    expect(second.data).toHaveLength(2);
    expect(second.next_cursor).toBeNull();
    expect(new Set([...first.data, ...second.data].map((n) => n.id)).size).toBe(6);

    expect((await feed(token, '?kind=goal_milestone_reached')).data.map((n) => n.kind)).toEqual([
      'goal_milestone_reached',
    ]);
    const target = first.data[0];
    const read = await httpJson<NotificationBody>('POST', url(`/notifications/${target.id}/read`), { token });
    expect(read.status).toBe(200);
    expect(read.body.read_at).not.toBeNull();
    // Reading again keeps the first read time.
    const again = await httpJson<NotificationBody>('POST', url(`/notifications/${target.id}/read`), {
      token,
    });
    expect(again.body.read_at).toBe(read.body.read_at);
    expect((await feed(token, '?unread=true')).data.map((n) => n.id)).not.toContain(target.id);
    expect((await feed(token, '?unread=false')).data.map((n) => n.id)).toEqual([target.id]);
    expect((await httpJson('GET', url('/notifications/unread-count'), { token })).body).toEqual({ count: 5 });

    expect((await httpJson('POST', url('/notifications/read-all'), { token })).body).toEqual({ updated: 5 });
    expect((await httpJson('GET', url('/notifications/unread-count'), { token })).body).toEqual({ count: 0 });

    expect((await httpJson('DELETE', url(`/notifications/${target.id}`), { token })).status).toBe(204);
    expect((await httpJson('GET', url(`/notifications/${target.id}`), { token })).status).toBe(404);
    expect((await httpJson('DELETE', url(`/notifications/${target.id}`), { token })).status).toBe(404);
    expect((await feed(token)).data).toHaveLength(5);
  });

  it('keeps each user to their own notifications and refuses bad input naming the field', async () => {
    const ada = await registered();
    const bob = await registered();
    await service.consumer.apply(budgetExceeded(ada.user.id));
    const [mine] = (await feed(ada.token)).data;
    for (const [method, path] of [
      ['GET', `/notifications/${mine.id}`],
      ['POST', `/notifications/${mine.id}/read`],
      ['DELETE', `/notifications/${mine.id}`],
    ])
      expect((await httpJson(method, url(path), { token: bob.token })).status).toBe(404);
    expect((await feed(bob.token)).data).toHaveLength(0);
    expect((await httpJson('POST', url('/notifications/read-all'), { token: bob.token })).body).toEqual({
      updated: 0,
    });
    expect((await feed(ada.token, '?unread=true')).data).toHaveLength(1);

    expect((await httpJson('GET', url('/notifications'))).status).toBe(401);
    for (const [query, field] of [
      ['?kind=nonsense', 'query.kind'],
      ['?unread=yes', 'query.unread'],
      ['?limit=0', 'query.limit'],
      ['?cursor=garbage', 'query.cursor'],
      ['?colour=red', 'query.colour'],
    ]) {
      const res = await httpJson('GET', url(`/notifications${query}`), { token: ada.token });
      expect(res.status).toBe(400);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    }
    expect((await httpJson('GET', url('/notifications/not-a-uuid'), { token: ada.token })).status).toBe(400);
  });

  it('serves preferences with the defaults, replaces and patches them with versions', async () => {
    const { token } = await registered({ timezone: 'America/New_York' });
    const initial = await httpJson('GET', url('/notifications/preferences'), { token });
    expect(initial.status).toBe(200);
    expect(initial.headers.get('etag')).toBe('"0"');
    expect(initial.body).toMatchObject({
      version: 0,
      quiet_hours: null,
      timezone: 'America/New_York',
      updated_at: null,
    });
    expect(initial.body.channels.budget_exceeded).toEqual({ in_app: true, email: true, webhook: true });
    expect(initial.body.channels.budget_threshold_reached).toEqual({
      in_app: true,
      email: false,
      webhook: true,
    });

    const patched = await httpJson('PATCH', url('/notifications/preferences'), {
      token,
      headers: { 'if-match': '"0"' },
      body: {
        channels: { budget_exceeded: { email: false } },
        quiet_hours: { start: '22:00', end: '07:00' },
      },
    });
    expect(patched.status).toBe(200);
    expect(patched.headers.get('etag')).toBe('"1"');
    expect(patched.body.channels.budget_exceeded).toEqual({ in_app: true, email: false, webhook: true });
    expect(patched.body.channels.goal_completed.email).toBe(true);
    expect(patched.body.quiet_hours).toEqual({ start: '22:00', end: '07:00' });

    // Stale If-Match → 412 and nothing changes; the same patch again keeps the version.
    const stale = await httpJson('PATCH', url('/notifications/preferences'), {
      token,
      headers: { 'if-match': '"0"' },
      body: { quiet_hours: null },
    });
    expect(stale.status).toBe(412);
    const same = await httpJson('PATCH', url('/notifications/preferences'), {
      token,
      body: { channels: { budget_exceeded: { email: false } } },
    });
    expect(same.body.version).toBe(1);

    // PUT replaces: what is left out returns to its default.
    const replaced = await httpJson('PUT', url('/notifications/preferences'), {
      token,
      body: { channels: { goal_completed: { email: false, webhook: false } } },
    });
    expect(replaced.body.version).toBe(2);
    expect(replaced.body.channels.budget_exceeded.email).toBe(true);
    expect(replaced.body.channels.goal_completed).toEqual({ in_app: true, email: false, webhook: false });
    expect(replaced.body.quiet_hours).toBeNull();
    const read = await httpJson('GET', url('/notifications/preferences'), { token });
    expect(read.body).toEqual(replaced.body);
  });

  it('refuses bad preferences naming the field, changing nothing', async () => {
    const { token } = await registered();
    for (const [body, field] of [
      [{ channels: { unknown_kind: { email: true } } }, 'body.channels.unknown_kind'],
      [{ channels: { budget_exceeded: { sms: true } } }, 'body.channels.budget_exceeded.sms'],
      [{ channels: { budget_exceeded: { email: 'yes' } } }, 'body.channels.budget_exceeded.email'],
      [{ quiet_hours: { start: '24:00', end: '07:00' } }, 'body.quiet_hours.start'],
      [{ quiet_hours: { start: '7:00', end: '08:00' } }, 'body.quiet_hours.start'],
      [{ quiet_hours: { start: '22:00', end: '22:00' } }, 'body.quiet_hours.end'],
      [{ quiet_hours: { start: '22:00' } }, 'body.quiet_hours.end'],
      [{ channels: null }, 'body.channels'],
      [{ timezone: 'UTC' }, 'body.timezone'],
    ] as const) {
      const res = await httpJson('PATCH', url('/notifications/preferences'), { token, body });
      expect(res.status).toBe(400);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    }
    expect((await httpJson('GET', url('/notifications/preferences'), { token })).body.version).toBe(0);
  });

  it('sends each kind only to the channels the user chose', async () => {
    const { user, token } = await registered();
    await httpJson('PUT', url('/notifications/preferences'), {
      token,
      body: {
        channels: {
          budget_exceeded: { in_app: false, email: true },
          goal_completed: { in_app: false, email: false, webhook: false },
          budget_threshold_reached: { email: true },
        },
      },
    });
    const [threshold, exceeded, , , completed] = oneOfEachKind(user.id);
    for (const event of [threshold, exceeded, completed]) await service.consumer.apply(event);
    // Not in-app: not in the feed, but stored with its e-mail so its delivery log can be read.
    expect((await feed(token)).data.map((n) => n.kind)).toEqual(['budget_threshold_reached']);
    const rows: Array<{ kind: string; in_app: boolean; emails: number }> = await service.dataSource.query(
      `SELECT n.kind, n.in_app, (SELECT count(*)::int FROM email_outbox e WHERE e.notification_id = n.id) AS emails
       FROM notifications n WHERE n.user_id = $1 ORDER BY n.kind`,
      [user.id],
    );
    expect(rows).toEqual([
      { kind: 'budget_exceeded', in_app: false, emails: 1 },
      { kind: 'budget_threshold_reached', in_app: true, emails: 1 },
    ]);
  });

  it('without SMTP writes mails as .eml files and shows the delivery on the notification', async () => {
    const { user, token } = await registered();
    await service.consumer.apply(budgetExceeded(user.id));
    const [notification] = (await feed(token)).data;
    const detail = await waitFor(async () => {
      const res = await httpJson('GET', url(`/notifications/${notification.id}`), { token });
      return res.body.deliveries.email[0]?.status === 'sent' ? res.body : undefined;
    });
    const [email] = detail.deliveries.email;
    expect(email).toMatchObject({ to: user.email, status: 'sent', last_error: null });
    expect(email.attempts).toEqual([expect.objectContaining({ attempt: 1, ok: true, error: null })]);
    const files = await readdir(mailDir);
    expect(files).toContain(`${email.id}.eml`);
    const eml = await readFile(join(mailDir, `${email.id}.eml`), 'utf8');
    expect(eml).toContain(`To: ${user.email}`);
    expect(eml).toContain('Subject: =?UTF-8?');
  });

  it('notes an e-mail it could not send for want of an address', async () => {
    // An event for a user auth has told nothing about: no address.
    const userId = newId();
    const token = issuer.token(userId);
    await service.consumer.apply(budgetExceeded(userId));
    const [notification] = (await feed(token)).data;
    const detail = await httpJson('GET', url(`/notifications/${notification.id}`), { token });
    expect(detail.body.deliveries.email).toEqual([
      expect.objectContaining({
        status: 'skipped',
        to: null,
        last_error: 'No e-mail address is known for the user',
      }),
    ]);
  });

  it("refuses a token revoked by auth.user.updated and a deleted user's, purging everything of theirs", async () => {
    const { user, token } = await registered();
    await service.consumer.apply(budgetExceeded(user.id));
    const hook = await httpJson('POST', url('/webhooks'), {
      token,
      body: { url: 'http://127.0.0.1:9/hooks', event_types: ['budget_exceeded'] },
    });
    expect(hook.status).toBe(201);
    await httpJson('PATCH', url('/notifications/preferences'), {
      token,
      body: { quiet_hours: { start: '01:00', end: '02:00' } },
    });
    await service.consumer.apply(budgetExceeded(user.id));

    // auth raised the session version: the old token is refused.
    await service.consumer.apply(userUpdated(user, 2, 2));
    expect((await httpJson('GET', url('/notifications'), { token })).status).toBe(401);
    const fresh = issuer.token(user.id, { sessionVersion: 2 });
    expect((await httpJson('GET', url('/notifications'), { token: fresh })).status).toBe(200);

    await service.consumer.apply(userDeleted(user, 3));
    for (const table of [
      'notifications',
      'email_outbox',
      'webhooks',
      'webhook_deliveries',
      'notification_preferences',
      'idempotency_keys',
    ]) {
      const rows: unknown[] = await service.dataSource.query(`SELECT 1 FROM ${table} WHERE user_id = $1`, [
        user.id,
      ]);
      expect({ table, rows: rows.length }).toEqual({ table, rows: 0 });
    }
    const directory = await service.dataSource.query(
      `SELECT email, username FROM user_directory WHERE user_id = $1`,
      [user.id],
    );
    expect(directory).toEqual([{ email: null, username: null }]);
    expect((await httpJson('GET', url('/notifications'), { token: fresh })).status).toBe(401);
    // Writes with a still-unexpired token of the deleted user are refused and store nothing.
    const write = await httpJson('POST', url('/webhooks'), {
      token: fresh,
      body: { url: 'http://127.0.0.1:9/hooks', event_types: ['budget_exceeded'] },
    });
    expect(write.status).toBe(401);
    expect(
      (await httpJson('PUT', url('/notifications/preferences'), { token: fresh, body: {} })).status,
    ).toBe(401);
    for (const table of ['webhooks', 'notification_preferences']) {
      const rows: unknown[] = await service.dataSource.query(`SELECT 1 FROM ${table} WHERE user_id = $1`, [
        user.id,
      ]);
      expect(rows).toHaveLength(0);
    }
    // A late event of the deleted user stores nothing.
    await service.consumer.apply(budgetExceeded(user.id));
    const after: unknown[] = await service.dataSource.query(
      `SELECT 1 FROM notifications WHERE user_id = $1`,
      [user.id],
    );
    expect(after).toHaveLength(0);
  });

  it('keeps the contacts of auth.user events for e-mail', async () => {
    const { user } = await registered();
    const [row] = await service.dataSource.query(
      `SELECT email, username, timezone FROM user_directory WHERE user_id = $1`,
      [user.id],
    );
    expect(row).toEqual({ email: user.email, username: user.username, timezone: user.timezone });
  });
});
