import {
  TestTokenIssuer,
  httpJson,
  startTestService,
  waitFor,
  type TestService,
} from '@finance/shared/testing';
import { localMinuteOfDay } from '../src/domain/quiet-hours';
import { clockOfMinutes } from '../src/domain/preferences';
import notifier, { type NotifierParts } from '../src/service';
import {
  budgetExceeded,
  fastEnv,
  freePort,
  oneOfEachKind,
  startSmtpReceiver,
  testUser,
  userRegistered,
  type SmtpReceiver,
} from './fixtures';

const issuer = new TestTokenIssuer();
beforeAll(() => issuer.start());
afterAll(() => issuer.stop());

async function register(service: TestService, overrides = {}) {
  const user = testUser(overrides);
  await service.consumer.apply(userRegistered(user));
  return { user, token: issuer.token(user.id, { sessionVersion: 1 }) };
}

async function emailRows(service: TestService, userId: string) {
  return (await service.dataSource.query(
    `SELECT id, status, attempts, next_attempt_at, created_at FROM email_outbox WHERE user_id = $1 ORDER BY created_at`,
    [userId],
  )) as Array<{
    id: string;
    status: string;
    attempts: number;
    next_attempt_at: Date | null;
    created_at: Date;
  }>;
}

describe('notifier e-mail over SMTP', () => {
  let smtp: SmtpReceiver;
  let service: TestService<NotifierParts>;
  /** The service's clock runs this far ahead of the real one (quiet hours). */
  let offsetMs = 0;

  beforeAll(async () => {
    smtp = await startSmtpReceiver();
    service = await startTestService(notifier, {
      env: {
        JWKS_URL: issuer.jwksUrl,
        ...fastEnv({ SMTP_URL: smtp.url, MAIL_FROM: 'Finance Tracker <alerts@finance.test>' }),
      },
      clock: () => new Date(Date.now() + offsetMs),
    });
  });
  afterAll(async () => {
    await service?.close();
    await smtp?.stop();
  });

  const mailsTo = (address: string) => smtp.mails.filter((m) => m.envelopeTo.includes(address));

  it('sends the e-mail of a budget exceeded: HTML and text parts, money in the currency, values escaped', async () => {
    const { user } = await register(service, { username: 'Ada <b>Lovelace</b>' });
    await service.consumer.apply(
      budgetExceeded(user.id, {
        name: '<script>alert("x")</script> & Co',
        currency: 'JPY',
        limit: '50000',
        spent: '51200',
        percentUsed: '102.40',
      }),
    );
    const [mail] = await waitFor(() => (mailsTo(user.email).length ? mailsTo(user.email) : undefined));
    const { parsed } = mail;
    expect(parsed.from?.value).toEqual([{ name: 'Finance Tracker', address: 'alerts@finance.test' }]);
    expect(parsed.subject).toBe('Budget “<script>alert("x")</script> & Co” exceeded');
    expect(parsed.messageId).toMatch(/^<[0-9a-f-]{36}@notifier\.finance-tracker>$/);
    const html = parsed.html as string;
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co');
    expect(html).not.toContain('<script>');
    expect(html).toContain('Hi Ada &lt;b&gt;Lovelace&lt;/b&gt;,');
    expect(html).toContain('¥51,200');
    expect(html).toContain('¥50,000');
    expect(html).toContain('102.40%');
    expect(html).toContain('2026-01-01');
    const text = parsed.text as string;
    expect(text).toContain('Hi Ada <b>Lovelace</b>,');
    expect(text).toContain('You have spent more than your budget "<script>alert("x")</script> & Co" allows');
    expect(text).toMatch(/Spent: +¥51,200/);
    expect(text).toMatch(/Available: +¥50,000/);
    expect(text).not.toContain('&lt;');
    expect(text).toContain('e-mail is on for "budget exceeded"');
  });

  it('sends the e-mail of every kind whose e-mail is on, each with its own content', async () => {
    const { user, token } = await register(service);
    // Every kind's e-mail on.
    const all = Object.fromEntries(
      [
        'budget_threshold_reached',
        'budget_exceeded',
        'budget_removed',
        'goal_milestone_reached',
        'goal_completed',
        'recurring_upcoming',
        'recurring_generated',
        'import_completed',
        'monthly_report_ready',
      ].map((kind) => [kind, { email: true }]),
    );
    await httpJson('PUT', `${service.url}/notifications/preferences`, { token, body: { channels: all } });
    for (const event of oneOfEachKind(user.id)) await service.consumer.apply(event);
    const mails = await waitFor(() => (mailsTo(user.email).length === 9 ? mailsTo(user.email) : undefined));
    const bySubject = Object.fromEntries(mails.map((m) => [m.parsed.subject, m.parsed]));
    expect(Object.keys(bySubject).sort()).toEqual(
      [
        'Budget “Eating out” is at 82.50%',
        'Budget “Groceries” exceeded',
        'Budget “Pets” was removed',
        'Goal “Holiday in Portugal” is 50% there',
        'Goal “Emergency fund” reached',
        'Coming up on 2026-02-01: Rent',
        'Recurring transaction of €1,200.00 recorded',
        'Import of “bank-statement-january.csv” finished',
        'Your report for January 2026 is ready',
      ].sort(),
    );
    expect(bySubject['Your report for January 2026 is ready'].text).toMatch(/Expenses: +€2,450\.75/);
    expect(bySubject['Import of “bank-statement-january.csv” finished'].html).toContain('42');
    expect(bySubject['Goal “Holiday in Portugal” is 50% there'].html).toContain('€1,000.00');
    expect(bySubject['Coming up on 2026-02-01: Rent'].text).toMatch(/Due on: +2026-02-01/);
  });

  it('holds e-mail during quiet hours in the user’s time zone while in-app is immediate', async () => {
    const { user, token } = await register(service, { timezone: 'Asia/Tokyo' });
    // Quiet from an hour ago to an hour ahead, in Tokyo.
    const local = localMinuteOfDay(new Date(Date.now() + offsetMs), 'Asia/Tokyo');
    const quiet = {
      start: clockOfMinutes((local + 1440 - 60) % 1440),
      end: clockOfMinutes((local + 60) % 1440),
    };
    await httpJson('PATCH', `${service.url}/notifications/preferences`, {
      token,
      body: { quiet_hours: quiet },
    });
    await service.consumer.apply(budgetExceeded(user.id));

    const feed = await httpJson('GET', `${service.url}/notifications`, { token });
    expect(feed.body.data.map((n: { kind: string }) => n.kind)).toEqual(['budget_exceeded']);
    // The worker looked at it and set it aside until the quiet hours end (not an attempt).
    const [held] = await waitFor(async () => {
      const rows = await emailRows(service, user.id);
      return rows[0]?.next_attempt_at &&
        rows[0].next_attempt_at.getTime() > Date.now() + offsetMs + 30 * 60_000
        ? rows
        : undefined;
    });
    expect(held).toMatchObject({ status: 'pending', attempts: 0 });
    const expectedEnd = held.next_attempt_at!;
    expect(localMinuteOfDay(expectedEnd, 'Asia/Tokyo')).toBe((local + 60) % 1440);
    const notification = feed.body.data[0];
    const detail = await httpJson('GET', `${service.url}/notifications/${notification.id}`, { token });
    expect(detail.body.deliveries.email[0]).toMatchObject({
      status: 'pending',
      next_attempt_at: expectedEnd.toISOString(),
      attempts: [],
    });
    expect(mailsTo(user.email)).toHaveLength(0);

    // Two hours later (the service's clock), the quiet hours are over: the mail goes.
    offsetMs += 2 * 3_600_000;
    try {
      // The mail reaches the SMTP server a moment before the worker logs its attempt.
      await waitFor(async () => (await emailRows(service, user.id))[0]?.status === 'sent');
    } finally {
      offsetMs -= 2 * 3_600_000;
    }
    expect(mailsTo(user.email)).toHaveLength(1);
    expect((await emailRows(service, user.id))[0]).toMatchObject({ status: 'sent', attempts: 1 });
  });

  it('retries after temporary SMTP failures (451) and delivers once', async () => {
    const { user, token } = await register(service);
    smtp.failNext(2);
    await service.consumer.apply(budgetExceeded(user.id));
    await waitFor(async () => (await emailRows(service, user.id))[0]?.status === 'sent');
    expect(mailsTo(user.email)).toHaveLength(1);
    const [notification] = (await httpJson('GET', `${service.url}/notifications`, { token })).body.data;
    const detail = await httpJson('GET', `${service.url}/notifications/${notification.id}`, { token });
    const attempts = detail.body.deliveries.email[0].attempts;
    expect(attempts.map((a: { ok: boolean }) => a.ok)).toEqual([false, false, true]);
    expect(attempts[0].error).toMatch(/451/);
  });
});

describe('notifier e-mail while SMTP is down', () => {
  it('retries with back-off and delivers the mail once when SMTP comes back', async () => {
    const port = await freePort();
    const service = await startTestService(notifier, {
      env: {
        JWKS_URL: issuer.jwksUrl,
        ...fastEnv({ SMTP_URL: `smtp://127.0.0.1:${port}`, EMAIL_MAX_ATTEMPTS: '50' }),
      },
    });
    let smtp: SmtpReceiver | undefined;
    try {
      const { user } = await register(service);
      await service.consumer.apply(budgetExceeded(user.id));
      // Down: attempts fail and are logged.
      await waitFor(async () => (await emailRows(service, user.id))[0]?.attempts >= 2, {
        description: 'two failures',
      });
      const [email] = await emailRows(service, user.id);
      const failures: Array<{ ok: boolean; error: string }> = await service.dataSource.query(
        `SELECT ok, error FROM email_attempts WHERE email_id = $1 ORDER BY attempt`,
        [email.id],
      );
      expect(failures.every((a) => !a.ok && /ECONNREFUSED/.test(a.error))).toBe(true);
      // Up again, on the same port.
      smtp = await startSmtpReceiver(port);
      await waitFor(async () => (await emailRows(service, user.id))[0]?.status === 'sent', {
        description: 'sent',
      });
      expect(smtp.mails).toHaveLength(1);
      expect(smtp.mails[0].envelopeTo).toEqual([user.email]);
      // Nothing more is sent for it: the next rounds find nothing due.
      await service.parts.emailWorker.poller.runOnce();
      expect(smtp.mails).toHaveLength(1);
    } finally {
      await service.close();
      await smtp?.stop();
    }
  });

  it('marks the mail failed after the last attempt', async () => {
    const port = await freePort();
    const service = await startTestService(notifier, {
      env: {
        JWKS_URL: issuer.jwksUrl,
        ...fastEnv({ SMTP_URL: `smtp://127.0.0.1:${port}`, EMAIL_MAX_ATTEMPTS: '3' }),
      },
    });
    try {
      const { user } = await register(service);
      await service.consumer.apply(budgetExceeded(user.id));
      await waitFor(async () => (await emailRows(service, user.id))[0]?.status === 'failed');
      const [email] = await emailRows(service, user.id);
      expect(email).toMatchObject({ attempts: 3, next_attempt_at: null });
    } finally {
      await service.close();
    }
  });
});
