import { addDays, addMonths, daysInMonth, type CalendarDate } from '@finance/shared';
import { httpJson, waitFor } from '@finance/shared/testing';
import type { RecurringParts } from '../../services/ledger/src/jobs/recurring-scheduler';
import { registerAndLogin } from './hostile-support';
import { startSystem, type System } from './system';

/**
 * Recurring transactions through the gateway, every service really running: rent monthly on the
 * 31st, salary monthly (auto), a weekly allowance and a yearly subscription awaiting approval. The
 * user sees the next dates, approves and skips, and the ledger holds exactly one transaction per
 * occurrence, also when the scheduler catches up on days it missed (the ledger's scheduled job is
 * off: the test runs its rounds, as a replica would after a week down).
 */
describe('recurring transactions through the gateway', () => {
  let system: System;
  let api: string;
  // Users register without a time zone: theirs is UTC, like this.
  const today = new Date().toISOString().slice(0, 10);

  beforeAll(async () => {
    system = await startSystem('e2e_recurring', { ledger: { RECURRING_SCHEDULE: 'off' } });
    api = system.gateway;
  });
  afterAll(async () => {
    await system?.stop();
  });

  const schedulerRound = () => (system.services.ledger.parts as RecurringParts).runRecurringRound(new Date());

  /** The latest 31st on or before `date`. */
  function latest31st(date: CalendarDate): CalendarDate {
    let month = `${date.slice(0, 7)}-01`;
    for (;;) {
      const [y, m] = month.split('-').map(Number);
      const candidate = `${month.slice(0, 7)}-31`;
      if (daysInMonth(y, m) === 31 && candidate <= date) return candidate;
      month = addMonths(month, -1);
    }
  }

  it('sets up rent, salary, an allowance and a subscription; books each occurrence exactly once', async () => {
    const token = (await registerAndLogin(api, 'rita')).token;
    const call = (method: string, path: string, body?: unknown) =>
      httpJson(method, `${api}${path}`, { token, body });

    const checking = await call('POST', '/accounts', { name: 'Checking', type: 'checking' });
    expect(checking.status).toBe(201);
    const accountId = checking.body.id as string;

    // Rent on the 31st since the last 31st (booked back to it: backfill), salary from today.
    const rentStart = latest31st(today);
    const rent = await call('POST', '/recurring', {
      account_id: accountId,
      amount: '1250.00',
      transaction_type: 'expense',
      description: 'Rent',
      frequency: 'monthly',
      start_date: rentStart,
      backfill: true,
    });
    expect(rent.status).toBe(201);
    expect(rent.headers.get('location')).toBe(`/recurring/${rent.body.id}`);
    expect(rent.body.next_occurrence_date).toBe(rentStart);
    const salary = await call('POST', '/recurring', {
      account_id: accountId,
      amount: '3000',
      transaction_type: 'income',
      description: 'Salary',
      frequency: 'monthly',
      start_date: today,
    });
    expect(salary.body).toMatchObject({ auto_create: true, next_occurrence_date: today });
    // The allowance started two weeks ago and the ledger "was down": three dates to catch up on.
    const allowance = await call('POST', '/recurring', {
      account_id: accountId,
      amount: '20',
      transaction_type: 'expense',
      description: 'Allowance',
      frequency: 'weekly',
      start_date: addDays(today, -14),
      backfill: true,
    });
    expect(allowance.status).toBe(201);
    const subscription = await call('POST', '/recurring', {
      account_id: accountId,
      amount: '99.00',
      transaction_type: 'expense',
      description: 'Cloud storage',
      frequency: 'yearly',
      start_date: addMonths(today, -12),
      backfill: true,
      auto_create: false,
    });
    expect(subscription.status).toBe(201);

    // The next dates, the 31st kept through short months.
    const preview = await call('GET', `/recurring/${rent.body.id}/occurrences?count=12`);
    expect(preview.status).toBe(200);
    const dates = preview.body.data.map((o: { date: string }) => o.date);
    expect(dates).toHaveLength(12);
    for (const date of dates) {
      const [y, m, d] = date.split('-').map(Number);
      expect(d).toBe(Math.min(31, daysInMonth(y, m)));
    }

    // Two rounds at once (two replicas), then another: each occurrence once.
    await Promise.all([schedulerRound(), schedulerRound()]);
    await schedulerRound();

    const listed = await call('GET', '/transactions?limit=200&sort=date');
    const byDescription = (d: string) =>
      listed.body.data
        .filter((t: { description: string }) => t.description === d)
        .map((t: { date: string }) => t.date);
    const rentDates = [rentStart];
    for (let k = 1; addMonths(rentStart, k, 31) <= today; k++) rentDates.push(addMonths(rentStart, k, 31));
    expect(byDescription('Rent')).toEqual(rentDates);
    expect(byDescription('Salary')).toEqual([today]);
    expect(byDescription('Allowance')).toEqual([addDays(today, -14), addDays(today, -7), today]);
    expect(byDescription('Cloud storage')).toEqual([]);

    // The subscription waits: last year's and today's occurrence are due.
    const due = await call('GET', '/recurring/due');
    expect(due.status).toBe(200);
    expect(due.body.data.map((o: { date: string; status: string }) => [o.date, o.status])).toEqual([
      [addMonths(today, -12), 'pending'],
      [today, 'pending'],
    ]);
    const skipped = await call(
      'POST',
      `/recurring/${subscription.body.id}/occurrences/${addMonths(today, -12)}/skip`,
    );
    expect(skipped.status).toBe(200);
    expect(skipped.body.status).toBe('skipped');
    const approved = await call('POST', `/recurring/${subscription.body.id}/occurrences/${today}/approve`, {
      amount: '109.00',
    });
    expect(approved.status).toBe(201);
    expect(approved.headers.get('location')).toBe(`/transactions/${approved.body.id}`);
    expect(approved.body).toMatchObject({ amount: '109.00', date: today, description: 'Cloud storage' });
    expect((await call('GET', '/recurring/due')).body.data).toEqual([]);

    // Processing the salary again for today: 409 naming the transaction; the next one on demand.
    const salaryToday = listed.body.data.find((t: { description: string }) => t.description === 'Salary');
    const again = await call('POST', `/recurring/${salary.body.id}/process`, { date: today });
    expect(again.status).toBe(409);
    expect(again.body.detail).toContain(salaryToday.id);
    const early = await call('POST', `/recurring/${salary.body.id}/process`, {});
    expect(early.status).toBe(201);
    expect(early.body.date).toBe(addMonths(today, 1));

    // Another round changes nothing; the ledger holds one transaction per occurrence.
    await schedulerRound();
    const after = await call('GET', '/transactions?limit=200');
    expect(after.body.data).toHaveLength(rentDates.length + 6);
    const next = await call('GET', `/recurring/${allowance.body.id}`);
    expect(next.body.next_occurrence_date).toBe(addDays(today, 7));

    // The notifier heard of every booking (ledger.recurring.generated, in-app by default).
    const generated = await waitFor(async () => {
      const res = await call('GET', '/notifications?kind=recurring_generated&limit=200');
      return res.body.data?.length === rentDates.length + 6 ? res.body.data : undefined;
    });
    expect(generated[0].data).toHaveProperty('recurring_id');

    // Someone else sees none of it.
    const other = (await registerAndLogin(api, 'otto')).token;
    const foreign = await httpJson('GET', `${api}/recurring/${rent.body.id}`, { token: other });
    expect(foreign.status).toBe(404);
  });
});
