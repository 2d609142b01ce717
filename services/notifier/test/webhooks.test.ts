import { Webhook } from 'standardwebhooks';
import {
  TestTokenIssuer,
  httpJson,
  startTestService,
  waitFor,
  type TestService,
} from '@finance/shared/testing';
import notifier, { type NotifierParts } from '../src/service';
import {
  budgetExceeded,
  fastEnv,
  oneOfEachKind,
  startDnsServer,
  startWebhookReceiver,
  testUser,
  userRegistered,
  type ReceivedRequest,
  type WebhookReceiver,
} from './fixtures';

const issuer = new TestTokenIssuer();
beforeAll(() => issuer.start());
afterAll(() => issuer.stop());

async function register(service: TestService) {
  const user = testUser();
  await service.consumer.apply(userRegistered(user));
  return { user, token: issuer.token(user.id, { sessionVersion: 1 }) };
}

/** The Standard Webhooks headers of a received request, as the verifier takes them. */
function webhookHeaders(req: ReceivedRequest): Record<string, string> {
  return {
    'webhook-id': String(req.headers['webhook-id']),
    'webhook-timestamp': String(req.headers['webhook-timestamp']),
    'webhook-signature': String(req.headers['webhook-signature']),
  };
}

describe('notifier webhooks', () => {
  let service: TestService<NotifierParts>;
  let receiver: WebhookReceiver;
  const url = (path: string) => `${service.url}${path}`;

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    service = await startTestService(notifier, {
      env: {
        JWKS_URL: issuer.jwksUrl,
        ...fastEnv({ WEBHOOK_MAX_ATTEMPTS: '3', WEBHOOK_DISABLE_AFTER_MS: '0', MAX_WEBHOOKS_PER_USER: '3' }),
      },
    });
  });
  afterAll(async () => {
    await service?.close();
    await receiver?.close();
  });

  async function createHook(
    token: string,
    body: Record<string, unknown>,
    headers: Record<string, string> = {},
  ) {
    return httpJson('POST', url('/webhooks'), { token, body, headers });
  }

  it('creates a webhook with its secret shown once, reads, lists, replaces and deletes it', async () => {
    const { token } = await register(service);
    const created = await createHook(token, {
      url: `${receiver.url}?crud`,
      event_types: ['budget_exceeded'],
      description: 'My receiver',
    });
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe(`/webhooks/${created.body.id}`);
    expect(created.headers.get('etag')).toBe('"1"');
    expect(created.body).toMatchObject({
      url: `${receiver.url}?crud`,
      event_types: ['budget_exceeded'],
      description: 'My receiver',
      active: true,
      version: 1,
    });
    expect(created.body.secret).toMatch(/^whsec_/);

    const read = await httpJson('GET', url(`/webhooks/${created.body.id}`), { token });
    expect(read.status).toBe(200);
    expect(read.body).not.toHaveProperty('secret');
    expect(JSON.stringify(read.body)).not.toContain(created.body.secret.slice(6));
    const list = await httpJson('GET', url('/webhooks'), { token });
    expect(list.body.data.map((w: { id: string }) => w.id)).toEqual([created.body.id]);
    expect(JSON.stringify(list.body)).not.toContain(created.body.secret.slice(6));

    const stale = await httpJson('PUT', url(`/webhooks/${created.body.id}`), {
      token,
      headers: { 'if-match': '"7"' },
      body: { url: receiver.url, event_types: ['goal_completed'] },
    });
    expect(stale.status).toBe(412);
    const replaced = await httpJson('PUT', url(`/webhooks/${created.body.id}`), {
      token,
      headers: { 'if-match': '"1"' },
      body: { url: receiver.url, event_types: ['goal_completed', 'budget_exceeded'], active: false },
    });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({
      url: receiver.url,
      event_types: ['goal_completed', 'budget_exceeded'],
      description: null,
      active: false,
      version: 2,
    });
    expect(replaced.headers.get('etag')).toBe('"2"');
    // A new URL goes through the SSRF guard too, and a refused one changes nothing.
    const internal = await httpJson('PUT', url(`/webhooks/${created.body.id}`), {
      token,
      body: { url: 'http://10.0.0.1/hooks', event_types: ['goal_completed'] },
    });
    expect(internal.status).toBe(422);
    expect(internal.body.errors).toEqual([
      { field: 'body.url', message: expect.stringContaining('private') },
    ]);
    expect((await httpJson('GET', url(`/webhooks/${created.body.id}`), { token })).body).toMatchObject({
      url: receiver.url,
      version: 2,
    });

    const other = await register(service);
    for (const [method, path] of [
      ['GET', `/webhooks/${created.body.id}`],
      ['DELETE', `/webhooks/${created.body.id}`],
      ['POST', `/webhooks/${created.body.id}/test`],
      ['POST', `/webhooks/${created.body.id}/rotate-secret`],
      ['GET', `/webhooks/${created.body.id}/deliveries`],
    ])
      expect((await httpJson(method, url(path), { token: other.token })).status).toBe(404);

    expect((await httpJson('DELETE', url(`/webhooks/${created.body.id}`), { token })).status).toBe(204);
    expect((await httpJson('GET', url(`/webhooks/${created.body.id}`), { token })).status).toBe(404);
  });

  it('refuses bad webhook bodies naming the field', async () => {
    const { token } = await register(service);
    for (const [body, field, status] of [
      [{ url: receiver.url, event_types: [] }, 'body.event_types', 400],
      [{ url: receiver.url, event_types: ['sms_sent'] }, 'body.event_types[0]', 400],
      [{ url: receiver.url, event_types: ['goal_completed', 'goal_completed'] }, 'body.event_types', 400],
      [{ event_types: ['goal_completed'] }, 'body.url', 400],
      [{ url: 'not a url', event_types: ['goal_completed'] }, 'body.url', 400],
      [{ url: 'ftp://example.com/x', event_types: ['goal_completed'] }, 'body.url', 400],
      [{ url: receiver.url, event_types: ['goal_completed'], secret: 'mine' }, 'body.secret', 400],
      [
        { url: receiver.url, event_types: ['goal_completed'], description: 'bell\u0007' },
        'body.description',
        400,
      ],
    ] as const) {
      const res = await createHook(token, body);
      expect({ body, status: res.status }).toEqual({ body, status });
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    }
    expect((await httpJson('GET', url('/webhooks'), { token })).body.data).toHaveLength(0);
  });

  it('honours Idempotency-Key on creation and caps webhooks per user', async () => {
    const { token } = await register(service);
    const body = { url: receiver.url, event_types: ['goal_completed'] };
    const first = await createHook(token, body, { 'idempotency-key': 'create-1' });
    const replay = await createHook(token, body, { 'idempotency-key': 'create-1' });
    expect(first.status).toBe(201);
    expect(replay.status).toBe(201);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.body).toEqual(first.body);
    const reused = await createHook(
      token,
      { ...body, event_types: ['budget_exceeded'] },
      { 'idempotency-key': 'create-1' },
    );
    expect(reused.status).toBe(422);
    expect(reused.body.errors[0].field).toBe('header.Idempotency-Key');
    expect((await httpJson('GET', url('/webhooks'), { token })).body.data).toHaveLength(1);

    expect((await createHook(token, body)).status).toBe(201);
    expect((await createHook(token, body)).status).toBe(201);
    expect((await createHook(token, body)).status).toBe(409); // MAX_WEBHOOKS_PER_USER = 3
  });

  it('delivers a signed event that an independent verifier accepts, retrying after 500 twice', async () => {
    const { user, token } = await register(service);
    const hook = await createHook(token, {
      url: `${receiver.url}/${user.id}`,
      event_types: ['budget_exceeded'],
    });
    receiver.answerWith(500, 500, 200);
    const event = budgetExceeded(user.id);
    await service.consumer.apply(event);
    const mine = () => receiver.requests.filter((r) => r.url === `/hooks/${user.id}`);
    await waitFor(() => mine().length === 3, { description: 'three attempts' });

    const attempts = mine();
    const verifier = new Webhook(hook.body.secret);
    for (const request of attempts) {
      expect(request.headers['content-type']).toBe('application/json');
      const payload = verifier.verify(request.body, webhookHeaders(request)) as Record<string, any>;
      expect(payload).toMatchObject({
        type: 'budget_exceeded',
        timestamp: event.occurredAt,
        data: {
          kind: 'budget_exceeded',
          title: 'Budget “Groceries” exceeded',
          budget_id: event.payload.budgetId,
          details: { spent: '€512.40', limit: '€500.00' },
        },
      });
    }
    // One message: the same id and body on every attempt.
    expect(new Set(attempts.map((r) => r.headers['webhook-id'])).size).toBe(1);
    expect(new Set(attempts.map((r) => r.body)).size).toBe(1);
    expect(attempts[0].headers['webhook-id']).toMatch(/^msg_[0-9a-f-]{36}$/);

    const deliveries = await waitFor(async () => {
      const res = await httpJson('GET', url(`/webhooks/${hook.body.id}/deliveries`), { token });
      return res.body.data[0]?.status === 'succeeded' ? res.body.data : undefined;
    });
    expect(deliveries).toHaveLength(1);
    const [delivery] = deliveries;
    expect(delivery.message_id).toBe(attempts[0].headers['webhook-id']);
    expect(delivery.attempts.map((a: { status_code: number }) => a.status_code)).toEqual([500, 500, 200]);
    expect(delivery.attempts.map((a: { error: string | null }) => a.error)).toEqual([
      'HTTP 500',
      'HTTP 500',
      null,
    ]);
    expect(delivery.attempts[0].response_excerpt).toBe('failing with 500');
    expect(delivery.attempts.every((a: { duration_ms: number }) => a.duration_ms >= 0)).toBe(true);

    // The notification's own log shows the same delivery.
    const [notification] = (await httpJson('GET', url('/notifications'), { token })).body.data;
    const detail = await httpJson('GET', url(`/notifications/${notification.id}`), { token });
    expect(detail.body.deliveries.webhooks.map((d: { id: string }) => d.id)).toEqual([delivery.id]);
  });

  it('delivers only the kinds subscribed to, and none when the webhook channel is off', async () => {
    const { user, token } = await register(service);
    await createHook(token, {
      url: `${receiver.url}/${user.id}`,
      event_types: ['goal_completed', 'import_completed'],
    });
    await httpJson('PATCH', url('/notifications/preferences'), {
      token,
      body: { channels: { import_completed: { webhook: false } } },
    });
    for (const event of oneOfEachKind(user.id)) await service.consumer.apply(event);
    const mine = () => receiver.requests.filter((r) => r.url === `/hooks/${user.id}`);
    await waitFor(() => mine().length >= 1);
    await service.parts.webhookWorker.poller.runOnce();
    const rows = await service.dataSource.query(`SELECT type FROM webhook_deliveries WHERE user_id = $1`, [
      user.id,
    ]);
    expect(rows).toEqual([{ type: 'goal_completed' }]);
    expect(mine().map((r) => JSON.parse(r.body).type)).toEqual(['goal_completed']);
  });

  it('sends a test delivery, and signs with both secrets during a rotation', async () => {
    const { user, token } = await register(service);
    const hook = await createHook(token, {
      url: `${receiver.url}/${user.id}`,
      event_types: ['budget_exceeded'],
    });
    const mine = () => receiver.requests.filter((r) => r.url === `/hooks/${user.id}`);

    const test = await httpJson('POST', url(`/webhooks/${hook.body.id}/test`), { token });
    expect(test.status).toBe(202);
    expect(test.body).toMatchObject({
      type: 'webhook_test',
      status: 'pending',
      message_id: `msg_${test.body.delivery_id}`,
    });
    await waitFor(() => mine().length === 1);
    const [tested] = mine();
    expect(new Webhook(hook.body.secret).verify(tested.body, webhookHeaders(tested))).toMatchObject({
      type: 'webhook_test',
      data: { webhook_id: hook.body.id },
    });
    expect(tested.headers['webhook-signature']).not.toContain(' ');

    const rotated = await httpJson('POST', url(`/webhooks/${hook.body.id}/rotate-secret`), { token });
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).toMatch(/^whsec_/);
    expect(rotated.body.secret).not.toBe(hook.body.secret);
    expect(Date.parse(rotated.body.previous_secret_expires_at)).toBeGreaterThan(Date.now());
    await httpJson('POST', url(`/webhooks/${hook.body.id}/test`), { token });
    await waitFor(() => mine().length === 2);
    const during = mine()[1];
    expect(String(during.headers['webhook-signature']).split(' ')).toHaveLength(2);
    for (const secret of [hook.body.secret, rotated.body.secret])
      expect(() => new Webhook(secret).verify(during.body, webhookHeaders(during))).not.toThrow();

    // After the grace period only the new secret signs.
    await service.dataSource.query(
      `UPDATE webhooks SET previous_secret_expires_at = now() - interval '1 second' WHERE id = $1`,
      [hook.body.id],
    );
    await httpJson('POST', url(`/webhooks/${hook.body.id}/test`), { token });
    await waitFor(() => mine().length === 3);
    const after = mine()[2];
    expect(String(after.headers['webhook-signature']).split(' ')).toHaveLength(1);
    expect(() => new Webhook(rotated.body.secret).verify(after.body, webhookHeaders(after))).not.toThrow();
    expect(() => new Webhook(hook.body.secret).verify(after.body, webhookHeaders(after))).toThrow();
  });

  it('fails a delivery after the last attempt, switches a failing endpoint off and tells the user in-app', async () => {
    const { user, token } = await register(service);
    const failing = await startWebhookReceiver({
      respond: (_req, res) => {
        res.writeHead(503).end('down for maintenance');
        return true;
      },
    });
    try {
      const hook = await createHook(token, { url: failing.url, event_types: ['budget_exceeded'] });
      await service.consumer.apply(budgetExceeded(user.id));
      const deliveries = await waitFor(async () => {
        const res = await httpJson('GET', url(`/webhooks/${hook.body.id}/deliveries`), { token });
        return res.body.data[0]?.status === 'failed' ? res.body.data : undefined;
      });
      expect(failing.requests).toHaveLength(3);
      expect(deliveries[0].attempts.map((a: { status_code: number }) => a.status_code)).toEqual([
        503, 503, 503,
      ]);
      expect(deliveries[0].attempts[2].response_excerpt).toBe('down for maintenance');

      const webhook = await waitFor(async () => {
        const res = await httpJson('GET', url(`/webhooks/${hook.body.id}`), { token });
        return res.body.active === false ? res.body : undefined;
      });
      expect(webhook.disabled_reason).toMatch(/HTTP 503/);
      expect(webhook.disabled_at).not.toBeNull();
      const feed = await httpJson('GET', url('/notifications?kind=webhook_disabled'), { token });
      expect(feed.body.data).toEqual([
        expect.objectContaining({ kind: 'webhook_disabled', data: { webhook_id: hook.body.id } }),
      ]);
      // Off: nothing more is queued for it, and a test is refused until it is switched on again.
      await service.consumer.apply(budgetExceeded(user.id));
      expect((await httpJson('POST', url(`/webhooks/${hook.body.id}/test`), { token })).status).toBe(409);
      const on = await httpJson('PUT', url(`/webhooks/${hook.body.id}`), {
        token,
        body: { url: failing.url, event_types: ['budget_exceeded'], active: true },
      });
      expect(on.body).toMatchObject({
        active: true,
        disabled_at: null,
        disabled_reason: null,
        failing_since: null,
      });
    } finally {
      await failing.close();
    }
  });

  it('does not follow a redirect, and keeps only an excerpt of a long answer', async () => {
    const { user, token } = await register(service);
    const target = await startWebhookReceiver({ host: '127.0.0.3' });
    const redirecting = await startWebhookReceiver({
      respond: (req, res) => {
        if (req.url.endsWith('/long')) res.writeHead(200).end('x'.repeat(100_000));
        else res.writeHead(302, { location: target.url }).end();
        return true;
      },
    });
    try {
      const hook = await createHook(token, { url: redirecting.url, event_types: ['budget_exceeded'] });
      await httpJson('POST', url(`/webhooks/${hook.body.id}/test`), { token });
      const [delivery] = await waitFor(async () => {
        const res = await httpJson('GET', url(`/webhooks/${hook.body.id}/deliveries`), { token });
        return res.body.data[0]?.attempts.length >= 1 ? res.body.data : undefined;
      });
      expect(delivery.attempts[0]).toMatchObject({
        status_code: 302,
        error: `redirect not followed (302 to ${target.url})`,
      });
      await waitFor(async () => {
        const res = await httpJson('GET', url(`/webhooks/${hook.body.id}/deliveries`), { token });
        return res.body.data[0]?.status === 'failed';
      });
      expect(target.requests).toHaveLength(0);

      const long = await createHook(token, {
        url: `${redirecting.url}/long`,
        event_types: ['budget_exceeded'],
      });
      await httpJson('POST', url(`/webhooks/${long.body.id}/test`), { token });
      const [answered] = await waitFor(async () => {
        const res = await httpJson('GET', url(`/webhooks/${long.body.id}/deliveries`), { token });
        return res.body.data[0]?.status === 'succeeded' ? res.body.data : undefined;
      });
      expect(answered.attempts[0].response_excerpt).toBe('x'.repeat(512));
      expect(user).toBeDefined();
    } finally {
      await redirecting.close();
      await target.close();
    }
  });

  it('pages deliveries newest first', async () => {
    const { user, token } = await register(service);
    const hook = await createHook(token, {
      url: `${receiver.url}/${user.id}`,
      event_types: ['budget_exceeded'],
    });
    for (let i = 0; i < 3; i++) await httpJson('POST', url(`/webhooks/${hook.body.id}/test`), { token });
    const first = await httpJson('GET', url(`/webhooks/${hook.body.id}/deliveries?limit=2`), { token });
    expect(first.body.data).toHaveLength(2);
    const second = await httpJson(
      'GET',
      url(`/webhooks/${hook.body.id}/deliveries?limit=2&cursor=${first.body.next_cursor}`),
      { token },
    );
    expect(second.body.data).toHaveLength(1);
    expect(second.body.next_cursor).toBeNull();
    const created = [...first.body.data, ...second.body.data].map(
      (d: { created_at: string }) => d.created_at,
    );
    expect([...created].sort().reverse()).toEqual(created);
  });
});

describe('notifier webhook SSRF guard (allow-list off)', () => {
  let service: TestService<NotifierParts>;

  beforeAll(async () => {
    service = await startTestService(notifier, {
      env: { JWKS_URL: issuer.jwksUrl, ...fastEnv({ WEBHOOK_ALLOWED_NETWORKS: '' }) },
    });
  });
  afterAll(() => service?.close());

  it.each([
    ['http://127.0.0.1/hooks', 'loopback'],
    ['http://10.0.0.1/hooks', 'private'],
    ['http://169.254.169.254/latest/meta-data/', 'link-local'],
    ['http://[::1]/hooks', 'loopback'],
    ['http://[::ffff:127.0.0.1]/hooks', 'loopback (IPv4 inside IPv6)'],
    ['http://[fd00::1]/hooks', 'unique-local'],
    ['https://192.168.0.10/hooks', 'private'],
    ['http://0.0.0.0:8080/', 'this network'],
    ['http://localhost/hooks', 'loopback'],
    ['http://2130706433/', 'loopback'],
    ['http://0x7f.1/', 'loopback'],
    ['http://93.184.216.34:22/', 'Port 22 is not allowed'],
  ])('refuses %s at creation (%s)', async (target, reason) => {
    const user = testUser();
    const res = await httpJson('POST', `${service.url}/webhooks`, {
      token: issuer.token(user.id),
      body: { url: target, event_types: ['budget_exceeded'] },
    });
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual([{ field: 'body.url', message: expect.stringContaining(reason) }]);
    const rows: unknown[] = await service.dataSource.query(`SELECT 1 FROM webhooks WHERE user_id = $1`, [
      user.id,
    ]);
    expect(rows).toHaveLength(0);
  });

  it('refuses at delivery a URL that became internal, without connecting', async () => {
    const { user, token } = await register(service);
    // Stored as if it had passed (its host was public then): the check at delivery still refuses it.
    const [{ id }] = await service.dataSource.query(
      `INSERT INTO webhooks (id, user_id, url, event_types, secret, created_at, updated_at)
       VALUES (gen_random_uuid(), $1, 'http://127.0.0.1/hooks', '{budget_exceeded}', 'whsec_AAAA', now(), now())
       RETURNING id`,
      [user.id],
    );
    await service.consumer.apply(budgetExceeded(user.id));
    const [delivery] = await waitFor(async () => {
      const res = await httpJson('GET', `${service.url}/webhooks/${id}/deliveries`, { token });
      return res.body.data[0]?.attempts.length ? res.body.data : undefined;
    });
    // Refused before any connection (a connection to port 80 here would be ECONNREFUSED).
    expect(delivery.attempts[0].error).toMatch(/^refused: .*loopback/);
    expect(delivery.attempts[0].status_code).toBeNull();
  });
});

describe('notifier webhook SSRF guard against DNS rebinding', () => {
  it('connects only to addresses it checked, however the name resolves in between', async () => {
    const dns = await startDnsServer();
    // The allowed receiver on 127.0.0.2; an "internal" one on 127.0.0.1, same port.
    const allowed = await startWebhookReceiver({ host: '127.0.0.2' });
    const internal = await startWebhookReceiver({ host: '127.0.0.1', port: allowed.port });
    const service = await startTestService(notifier, {
      env: {
        JWKS_URL: issuer.jwksUrl,
        ...fastEnv({ WEBHOOK_ALLOWED_NETWORKS: '127.0.0.2/32', WEBHOOK_DNS_SERVERS: dns.address }),
      },
    });
    try {
      const { user, token } = await register(service);
      const hookUrl = `http://hooks.rebind.test:${allowed.port}/hooks`;
      dns.answer('hooks.rebind.test', '127.0.0.2');
      const hook = await httpJson('POST', `${service.url}/webhooks`, {
        token,
        body: { url: hookUrl, event_types: ['budget_exceeded'] },
      });
      expect(hook.status).toBe(201);

      // While the name points at the allowed address, deliveries go there.
      await httpJson('POST', `${service.url}/webhooks/${hook.body.id}/test`, { token });
      await waitFor(() => allowed.requests.length === 1);
      expect(
        new Webhook(hook.body.secret).verify(allowed.requests[0].body, webhookHeaders(allowed.requests[0])),
      ).toBeTruthy();

      // Rebinding between the check and the connection: the first answer is fine, the next internal.
      dns.answer('hooks.rebind.test', '127.0.0.2', '127.0.0.1');
      await httpJson('POST', `${service.url}/webhooks/${hook.body.id}/test`, { token });
      const deliveries = await waitFor(async () => {
        const res = await httpJson('GET', `${service.url}/webhooks/${hook.body.id}/deliveries`, { token });
        const latest = res.body.data[0];
        return latest?.attempts.length >= 1 && latest.id !== res.body.data[1]?.id ? res.body.data : undefined;
      });
      expect(deliveries[0].attempts[0].error).toMatch(/^refused: .*127\.0\.0\.1.*loopback/);
      expect(internal.requests).toHaveLength(0);
      expect(allowed.requests).toHaveLength(1);
      // The check resolved once and the connection once more: two questions for that delivery.
      expect(dns.queries.filter((q) => q === 'hooks.rebind.test').length).toBeGreaterThanOrEqual(4);

      // A name that now resolves to loopback outright is refused at creation too.
      dns.answer('evil.rebind.test', '127.0.0.1');
      const refused = await httpJson('POST', `${service.url}/webhooks`, {
        token,
        body: { url: `http://evil.rebind.test:${allowed.port}/`, event_types: ['budget_exceeded'] },
      });
      expect(refused.status).toBe(422);
      expect(user).toBeDefined();
    } finally {
      await service.close();
      await allowed.close();
      await internal.close();
      await dns.close();
    }
  });
});
