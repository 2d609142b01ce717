import { Webhook } from 'standardwebhooks';
import { httpJson, waitFor } from '@finance/shared/testing';
import {
  startSmtpReceiver,
  startWebhookReceiver,
  type SmtpReceiver,
  type WebhookReceiver,
} from '../../services/notifier/test/fixtures';
import { startSystem, type System } from './system';

/**
 * The notifier end to end, through the gateway, with every service really running: a budget
 * exceeded by a new transaction reaches the user in-app, by e-mail (received by a real SMTP server)
 * and by a signed webhook (verified by an independent Standard Webhooks implementation).
 */
describe('notifications through the gateway', () => {
  let system: System;
  let api: string;
  let smtp: SmtpReceiver;
  let receiver: WebhookReceiver;
  const today = new Date().toISOString().slice(0, 10);
  const monthStart = `${today.slice(0, 7)}-01`;

  beforeAll(async () => {
    smtp = await startSmtpReceiver();
    receiver = await startWebhookReceiver();
    system = await startSystem('e2e_notifier', {
      notifier: {
        SMTP_URL: smtp.url,
        // The receiver runs on this machine: allowed explicitly, as in development.
        WEBHOOK_ALLOWED_NETWORKS: '127.0.0.0/8',
        DELIVERY_POLL_MS: '50',
      },
    });
    api = system.gateway;
  });
  afterAll(async () => {
    await system?.stop();
    await smtp?.stop();
    await receiver?.close();
  });

  it('tells the user in-app, by e-mail and by webhook when a new expense exceeds a budget', async () => {
    const username = 'notified';
    const email = 'notified@example.com';
    const registered = await httpJson('POST', `${api}/auth/register`, {
      body: { email, username, password: 'correct horse battery' },
    });
    expect(registered.status).toBe(201);
    const login = await httpJson('POST', `${api}/auth/login`, {
      body: { username, password: 'correct horse battery' },
    });
    const token = login.body.access_token as string;

    const hook = await httpJson('POST', `${api}/webhooks`, {
      token,
      headers: { 'idempotency-key': 'journey-hook' },
      body: { url: receiver.url, event_types: ['budget_exceeded'] },
    });
    expect(hook.status).toBe(201);

    const categories = await waitFor(async () => {
      const res = await httpJson('GET', `${api}/categories`, { token });
      return res.status === 200 && res.body.data.length > 0 ? res.body.data : undefined;
    });
    const groceries = categories.find((c: { name: string }) => c.name === 'Groceries');
    const budget = await waitFor(async () => {
      const res = await httpJson('POST', `${api}/budgets`, {
        token,
        body: {
          name: 'Food',
          category_id: groceries.id,
          amount: '100.00',
          period: 'monthly',
          start_date: monthStart,
        },
      });
      return res.status === 201 ? res.body : undefined;
    });
    const spent = await httpJson('POST', `${api}/transactions`, {
      token,
      body: {
        amount: '150.00',
        description: 'big shop',
        transaction_type: 'expense',
        date: today,
        category_id: groceries.id,
      },
    });
    expect(spent.status).toBe(201);

    // In-app.
    const notification = await waitFor(async () => {
      const res = await httpJson('GET', `${api}/notifications?kind=budget_exceeded`, { token });
      return res.body.data?.[0];
    });
    expect(notification).toMatchObject({
      kind: 'budget_exceeded',
      title: 'Budget “Food” exceeded',
      data: { budget_id: budget.id, category_id: groceries.id },
      read_at: null,
    });
    expect(
      (await httpJson('GET', `${api}/notifications/unread-count`, { token })).body.count,
    ).toBeGreaterThanOrEqual(1);

    // E-mail, in the user's base currency (USD by default).
    const mail = await waitFor(() => smtp.mails.find((m) => m.envelopeTo.includes(email)));
    expect(mail.parsed.subject).toBe('Budget “Food” exceeded');
    expect(mail.parsed.html).toContain('$150.00');
    expect(mail.parsed.text).toMatch(/Available: +\$100\.00/);

    // Webhook, verified by an independent implementation.
    const delivered = await waitFor(() =>
      receiver.requests.find((r) => JSON.parse(r.body).type === 'budget_exceeded'),
    );
    const payload = new Webhook(hook.body.secret).verify(delivered.body, {
      'webhook-id': String(delivered.headers['webhook-id']),
      'webhook-timestamp': String(delivered.headers['webhook-timestamp']),
      'webhook-signature': String(delivered.headers['webhook-signature']),
    }) as { data: Record<string, unknown> };
    expect(payload.data).toMatchObject({ notification_id: notification.id, budget_id: budget.id });

    // The delivery log of the notification shows both.
    const detail = await waitFor(async () => {
      const res = await httpJson('GET', `${api}/notifications/${notification.id}`, { token });
      const d = res.body.deliveries;
      return d?.email[0]?.status === 'sent' && d.webhooks[0]?.status === 'succeeded' ? res.body : undefined;
    });
    expect(detail.deliveries.webhooks[0].message_id).toBe(delivered.headers['webhook-id']);

    // Read, and the count goes down.
    expect((await httpJson('POST', `${api}/notifications/read-all`, { token })).status).toBe(200);
    expect((await httpJson('GET', `${api}/notifications/unread-count`, { token })).body.count).toBe(0);
  });
});
