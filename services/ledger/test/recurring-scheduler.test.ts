import { scheduleJob } from '@finance/shared';
import type { RecurringParts } from '../src/jobs/recurring-scheduler';
import { LedgerHarness, type TestUser } from './support';

/**
 * The scheduler with an injected clock: catch-up after downtime, replicas racing, a manual process
 * racing a round, approvals, skips, reminders, inactive and ended series, refused bookings, zones.
 * Rounds are run directly (`runRecurringRound`, as each replica runs one) or through the job.
 */
describe('recurring scheduler', () => {
  let h: LedgerHarness;
  let parts: RecurringParts;
  let now = new Date('2024-01-01T12:00:00Z');
  const at = (iso: string) => (now = new Date(iso));
  const round = () => parts.runRecurringRound(now);

  beforeAll(async () => {
    h = await LedgerHarness.start('recurring_scheduler', {
      clock: () => now,
      env: { RECURRING_SCHEDULE: 'off', DB_POOL_SIZE: '12' },
    });
    parts = h.service.parts as RecurringParts;
  });
  afterAll(() => h?.stop());
  // Each test moves the clock where it needs it; earlier tests' series must not catch up meanwhile.
  afterEach(() => h.dataSource.query(`UPDATE recurring_templates SET is_active = false`));

  async function userWithAccount(options: { timezone?: string } = {}) {
    const user = await h.user(options);
    const account = (await h.call('POST', '/accounts', user, { body: { name: 'Main', type: 'checking' } }))
      .body;
    return { user, account };
  }

  const create = async (user: TestUser, body: object) => {
    const res = await h.call('POST', '/recurring', user, { body });
    expect(res.status).toBe(201);
    return res.body as { id: string; next_occurrence_date: string | null };
  };

  /** The dates the template has booked transactions on, with how many each. */
  async function bookedDates(templateId: string): Promise<Record<string, number>> {
    const rows: Array<{ date: string; n: number }> = await h.dataSource.query(
      `SELECT to_char(t.date, 'YYYY-MM-DD') AS date, count(*)::int AS n
         FROM recurring_occurrences o JOIN transactions t ON t.id = o.transaction_id
        WHERE o.template_id = $1 GROUP BY t.date ORDER BY t.date`,
      [templateId],
    );
    return Object.fromEntries(rows.map((r) => [r.date, r.n]));
  }

  async function transactionsOf(userId: string): Promise<Array<{ date: string; amount_minor: string }>> {
    return h.dataSource.query(
      `SELECT to_char(date, 'YYYY-MM-DD') AS date, amount_minor FROM transactions WHERE user_id = $1 ORDER BY date`,
      [userId],
    );
  }

  it('catches up every occurrence missed while the ledger was down for a week, each exactly once', async () => {
    at('2024-01-01T12:00:00Z');
    const { user, account } = await userWithAccount();
    const daily = await create(user, {
      account_id: account.id,
      amount: '5',
      transaction_type: 'expense',
      frequency: 'daily',
      start_date: '2024-01-01',
    });
    const rent = await create(user, {
      account_id: account.id,
      amount: '1200',
      transaction_type: 'expense',
      frequency: 'monthly',
      start_date: '2023-12-31',
      backfill: true,
    });
    expect((await round()).booked).toBeGreaterThanOrEqual(2);
    expect(await bookedDates(daily.id)).toEqual({ '2024-01-01': 1 });
    expect(await bookedDates(rent.id)).toEqual({ '2023-12-31': 1 });

    at('2024-01-08T09:00:00Z'); // down from the 2nd to the 8th
    await round();
    expect(await bookedDates(daily.id)).toEqual(
      Object.fromEntries(['01', '02', '03', '04', '05', '06', '07', '08'].map((d) => [`2024-01-${d}`, 1])),
    );
    await round();
    expect(Object.keys(await bookedDates(daily.id))).toHaveLength(8);
    expect((await h.call('GET', `/recurring/${daily.id}`, user)).body.next_occurrence_date).toBe(
      '2024-01-09',
    );

    at('2024-03-01T09:00:00Z'); // down through Jan 31 and Feb 29
    await round();
    expect(await bookedDates(rent.id)).toEqual({ '2023-12-31': 1, '2024-01-31': 1, '2024-02-29': 1 });
    const created = await h.outbox({ type: 'ledger.recurring.generated', aggregateId: rent.id });
    expect(created.map((e) => e.payload.date)).toEqual(['2023-12-31', '2024-01-31', '2024-02-29']);
  });

  it('two schedulers racing (replicas, no job lock) book each occurrence once', async () => {
    at('2024-05-01T12:00:00Z');
    const { user, account } = await userWithAccount();
    const ids: string[] = [];
    for (let i = 0; i < 12; i++)
      ids.push(
        (
          await create(user, {
            account_id: account.id,
            amount: `${i + 1}`,
            transaction_type: 'expense',
            frequency: 'daily',
            start_date: '2024-05-01',
          })
        ).id,
      );
    at('2024-05-05T12:00:00Z'); // 5 dates each are due
    const [a, b] = await Promise.all([round(), round()]);
    // Rounds racing may leave a template the other had claimed; one more round finishes it.
    const c = await round();
    expect(a.booked + b.booked + c.booked).toBe(60);
    for (const id of ids)
      expect(await bookedDates(id)).toEqual({
        '2024-05-01': 1,
        '2024-05-02': 1,
        '2024-05-03': 1,
        '2024-05-04': 1,
        '2024-05-05': 1,
      });
    expect(await transactionsOf(user.id)).toHaveLength(60);
    const events = await h.outbox({ type: 'ledger.transaction.created', userId: user.id });
    expect(events).toHaveLength(60);
  });

  it('two scheduled jobs at once: one replica runs the round, the other skips it', async () => {
    at('2024-06-01T12:00:00Z');
    const { user, account } = await userWithAccount();
    const t = await create(user, {
      account_id: account.id,
      amount: '9',
      transaction_type: 'expense',
      frequency: 'daily',
      start_date: '2024-06-01',
    });
    const replica = scheduleJob(
      { dataSource: h.dataSource, logger: h.service.logger, clock: () => now },
      { name: 'recurring-scheduler', schedule: 'off', run: (when) => parts.runRecurringRound(when) },
    );
    const ran = await Promise.all([parts.recurringScheduler.runNow(), replica.runNow()]);
    await replica.close();
    expect(ran.filter(Boolean).length).toBeGreaterThanOrEqual(1);
    expect(await bookedDates(t.id)).toEqual({ '2024-06-01': 1 });
  });

  it('a manual process racing the scheduler on the same occurrence books it once', async () => {
    at('2024-07-01T12:00:00Z');
    const { user, account } = await userWithAccount();
    const ids: string[] = [];
    for (let i = 0; i < 6; i++)
      ids.push(
        (
          await create(user, {
            account_id: account.id,
            amount: '3',
            transaction_type: 'expense',
            frequency: 'monthly',
            start_date: '2024-07-01',
          })
        ).id,
      );
    const [processes] = await Promise.all([
      Promise.all(
        ids.map((id) => h.call('POST', `/recurring/${id}/process`, user, { body: { date: '2024-07-01' } })),
      ),
      round(),
    ]);
    for (const res of processes) expect([201, 409]).toContain(res.status);
    for (const id of ids) expect(await bookedDates(id)).toEqual({ '2024-07-01': 1 });
    expect(await transactionsOf(user.id)).toHaveLength(6);
    for (const id of ids)
      expect((await h.call('GET', `/recurring/${id}`, user)).body.next_occurrence_date).toBe('2024-08-01');
  });

  it('without auto_create occurrences wait in /recurring/due until approved (another amount) or skipped', async () => {
    at('2024-02-01T12:00:00Z');
    const { user, account } = await userWithAccount();
    const t = await create(user, {
      account_id: account.id,
      amount: '15.99',
      transaction_type: 'expense',
      description: 'Streaming',
      frequency: 'weekly',
      start_date: '2024-02-01',
      auto_create: false,
    });
    at('2024-02-08T12:00:00Z');
    expect((await round()).pending).toBe(2);
    expect(await transactionsOf(user.id)).toEqual([]);
    const due = (await h.call('GET', '/recurring/due', user)).body;
    expect(
      due.data.map((o: { date: string; status: string; amount: string }) => [o.date, o.status, o.amount]),
    ).toEqual([
      ['2024-02-01', 'pending', '15.99'],
      ['2024-02-08', 'pending', '15.99'],
    ]);
    expect(due.data[0]).toMatchObject({
      recurring_id: t.id,
      description: 'Streaming',
      account_id: account.id,
    });

    const approved = await h.call('POST', `/recurring/${t.id}/occurrences/2024-02-01/approve`, user, {
      body: { amount: '17.49' },
    });
    expect(approved.status).toBe(201);
    expect(approved.headers.get('location')).toBe(`/transactions/${approved.body.id}`);
    expect(approved.body).toMatchObject({ amount: '17.49', date: '2024-02-01', description: 'Streaming' });
    const twice = await h.call('POST', `/recurring/${t.id}/occurrences/2024-02-01/approve`, user, {
      body: {},
    });
    expect(twice.status).toBe(409);
    expect(twice.body.detail).toContain(approved.body.id);

    const skipped = await h.call('POST', `/recurring/${t.id}/occurrences/2024-02-08/skip`, user);
    expect(skipped.status).toBe(200);
    expect(skipped.body).toMatchObject({ date: '2024-02-08', status: 'skipped', transaction_id: null });
    expect((await h.call('POST', `/recurring/${t.id}/occurrences/2024-02-08/skip`, user)).status).toBe(200);
    expect(
      (await h.call('POST', `/recurring/${t.id}/occurrences/2024-02-08/approve`, user, { body: {} })).status,
    ).toBe(409);
    expect((await h.call('GET', '/recurring/due', user)).body.data).toEqual([]);
    const nothing = await h.call('POST', `/recurring/${t.id}/occurrences/2024-02-15/approve`, user, {
      body: {},
    });
    expect(nothing.status).toBe(404);
    const notInSeries = await h.call('POST', `/recurring/${t.id}/occurrences/2024-02-16/skip`, user);
    expect(notInSeries.status).toBe(422);

    // Skipping ahead: the scheduler steps over the date, the series goes on.
    expect((await h.call('POST', `/recurring/${t.id}/occurrences/2024-02-22/skip`, user)).status).toBe(200);
    const preview = (await h.call('GET', `/recurring/${t.id}/occurrences?count=3`, user)).body.data;
    expect(preview).toEqual([
      { date: '2024-02-15', status: 'scheduled', transaction_id: null },
      { date: '2024-02-22', status: 'skipped', transaction_id: null },
      { date: '2024-02-29', status: 'scheduled', transaction_id: null },
    ]);
    at('2024-02-29T12:00:00Z');
    await round();
    const waiting = (await h.call('GET', '/recurring/due', user)).body.data;
    expect(waiting.map((o: { date: string }) => o.date)).toEqual(['2024-02-15', '2024-02-29']);
    expect(await transactionsOf(user.id)).toEqual([{ date: '2024-02-01', amount_minor: '1749' }]);
  });

  it('sends ledger.recurring.upcoming once per occurrence, remind_days_before ahead', async () => {
    at('2024-01-27T12:00:00Z');
    const { user, account } = await userWithAccount();
    const t = await create(user, {
      account_id: account.id,
      amount: '1200',
      transaction_type: 'expense',
      description: 'Rent',
      frequency: 'monthly',
      start_date: '2024-01-31',
      remind_days_before: 3,
    });
    const reminders = () => h.outbox({ type: 'ledger.recurring.upcoming', aggregateId: t.id });
    await round();
    expect(await reminders()).toEqual([]);
    at('2024-01-28T00:30:00Z');
    await Promise.all([round(), round()]);
    await round();
    expect((await reminders()).map((e) => e.payload)).toEqual([
      {
        recurringId: t.id,
        dueDate: '2024-01-31',
        amount: '1200.00',
        currency: 'USD',
        type: 'expense',
        description: 'Rent',
      },
    ]);
    at('2024-01-31T08:00:00Z');
    await round();
    expect(await bookedDates(t.id)).toEqual({ '2024-01-31': 1 });
    at('2024-02-26T08:00:00Z');
    await round();
    await round();
    expect((await reminders()).map((e) => e.payload.dueDate)).toEqual(['2024-01-31', '2024-02-29']);
  });

  it('books nothing for an inactive template, and nothing past max_occurrences or end_date', async () => {
    at('2024-03-01T12:00:00Z');
    const { user, account } = await userWithAccount();
    const base = {
      account_id: account.id,
      amount: '1',
      transaction_type: 'expense',
      start_date: '2024-03-01',
    };
    const inactive = await create(user, { ...base, frequency: 'daily', is_active: false });
    const twice = await create(user, { ...base, frequency: 'daily', max_occurrences: 2 });
    const ending = await create(user, { ...base, frequency: 'weekly', end_date: '2024-03-10' });
    at('2024-03-20T12:00:00Z');
    await round();
    expect(await bookedDates(inactive.id)).toEqual({});
    expect(await bookedDates(twice.id)).toEqual({ '2024-03-01': 1, '2024-03-02': 1 });
    expect(await bookedDates(ending.id)).toEqual({ '2024-03-01': 1, '2024-03-08': 1 });
    expect((await h.call('GET', `/recurring/${twice.id}`, user)).body.next_occurrence_date).toBeNull();
    const ended = await h.call('POST', `/recurring/${twice.id}/process`, user, { body: {} });
    expect(ended.status).toBe(409);

    // Reactivated: the series starts again at today; what fell while it was off is not booked.
    const reactivated = await h.call('PATCH', `/recurring/${inactive.id}`, user, {
      body: { is_active: true },
    });
    expect(reactivated.body.next_occurrence_date).toBe('2024-03-20');
    await round();
    expect(await bookedDates(inactive.id)).toEqual({ '2024-03-20': 1 });
  });

  it('a booking the rules refuse (archived account) is recorded as failed, listed as due, and approved once fixed', async () => {
    at('2024-04-01T12:00:00Z');
    const { user, account } = await userWithAccount();
    const t = await create(user, {
      account_id: account.id,
      amount: '20',
      transaction_type: 'expense',
      frequency: 'daily',
      start_date: '2024-04-02',
    });
    await h.call('PATCH', `/accounts/${account.id}`, user, { body: { archived: true } });
    at('2024-04-02T12:00:00Z');
    expect((await round()).failed).toBe(1);
    const due = (await h.call('GET', '/recurring/due', user)).body.data;
    expect(due).toHaveLength(1);
    expect(due[0]).toMatchObject({ recurring_id: t.id, date: '2024-04-02', status: 'failed' });
    expect(due[0].failure).toContain('archived');
    const refused = await h.call('POST', `/recurring/${t.id}/occurrences/2024-04-02/approve`, user, {
      body: {},
    });
    expect(refused.status).toBe(409);
    await h.call('PATCH', `/accounts/${account.id}`, user, { body: { archived: false } });
    const approved = await h.call('POST', `/recurring/${t.id}/occurrences/2024-04-02/approve`, user, {
      body: {},
    });
    expect(approved.status).toBe(201);
    expect(await bookedDates(t.id)).toEqual({ '2024-04-02': 1 });
  });

  it("books by today in the user's zone", async () => {
    at('2024-01-09T12:30:00Z'); // 01:30 on the 10th in Auckland (UTC+13), still the 9th in UTC
    const auckland = await userWithAccount({ timezone: 'Pacific/Auckland' });
    const utc = await userWithAccount();
    const body = (accountId: string) => ({
      account_id: accountId,
      amount: '7',
      transaction_type: 'expense',
      frequency: 'monthly',
      start_date: '2024-01-10',
    });
    const a = await create(auckland.user, body(auckland.account.id));
    const u = await create(utc.user, body(utc.account.id));
    await round();
    expect(await bookedDates(a.id)).toEqual({ '2024-01-10': 1 });
    expect(await bookedDates(u.id)).toEqual({});
  });
});
