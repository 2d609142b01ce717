import { httpJson } from '@finance/shared/testing';
import { GoalsHarness } from './fixtures';

/** GET /goals/{id} with its progress, and the progress series, for a pinned "now" (2026-03-10 12:00 UTC). */
describe('progress over HTTP', () => {
  const harness = new GoalsHarness('2026-03-10T12:00:00Z');
  let url: string;

  beforeAll(async () => {
    await harness.start();
    url = harness.url;
  });
  afterAll(() => harness.stop());

  /** A goal of 1200 by 2026-09-10: 300 linked (dated 2026-01-15), 60 by hand on 03-01, 10 taken out today. */
  async function goalWithHistory() {
    const user = await harness.user();
    const transactionId = await harness.transaction(user.id, { amount: '300.00', date: '2026-01-15' });
    const goal = await harness.createGoal(user.token, { target_amount: '1200', deadline: '2026-09-10' });
    await harness.contribute(user.token, goal.id, { transaction_id: transactionId });
    await harness.contribute(user.token, goal.id, { amount: '60', date: '2026-03-01' });
    await harness.contribute(user.token, goal.id, { amount: '-10' });
    return { ...user, goal };
  }

  it('tells how far the goal is, its pace, when it will be reached and what is needed by the deadline', async () => {
    const { token, goal } = await goalWithHistory();
    const res = await httpJson('GET', `${url}/goals/${goal.id}`, { token });
    expect(res.status).toBe(200);
    expect(res.headers.get('etag')).toBe('"4"');
    expect(res.body).toMatchObject({ current_amount: '350.00', target_amount: '1200.00', status: 'active' });
    expect(res.body.progress).toEqual({
      as_of: '2026-03-10',
      percent: '29.17', // 350 / 1200 = 29.1666…
      remaining: '850.00',
      // The goal's history starts with the transaction of Jan 15: a 55-day window.
      pace: {
        window_start: '2026-01-15',
        window_days: 55,
        saved: '350.00',
        per_week: '44.55',
        per_month: '193.69',
      },
      // 850 at 350 per 55 days: ⌈133.6⌉ = 134 days.
      projected_completion_date: '2026-07-22',
      days_left: 184,
      deadline_passed: false,
      months_left: 7, // Mar 10, Apr 10, … Sep 10
      weeks_left: 27,
      needed_per_month: '121.43', // 850 / 7 = 121.428… rounded up
      needed_per_week: '31.49', // 850 / 27 = 31.481… rounded up
      on_track: true,
    });
  });

  it('without a deadline: no deadline figures; with no money in the window: no projection, not on track', async () => {
    const { token } = await harness.user();
    const plain = await harness.createGoal(token);
    const progress = (await harness.goal(token, plain.id)).progress;
    expect(progress).toMatchObject({
      percent: '0.00',
      remaining: '1000.00',
      pace: { window_days: 1, saved: '0.00', per_week: '0.00', per_month: '0.00' },
      projected_completion_date: null,
      days_left: null,
      deadline_passed: null,
      months_left: null,
      weeks_left: null,
      needed_per_month: null,
      needed_per_week: null,
      on_track: null,
    });
    const late = await harness.createGoal(token, { deadline: '2026-01-01' });
    expect((await harness.goal(token, late.id)).progress).toMatchObject({
      deadline_passed: true,
      days_left: 0,
      needed_per_month: null,
      on_track: false,
    });
  });

  it("measures today in the user's time zone", async () => {
    // 2026-03-10 12:00 UTC is already 2026-03-11 in Kiritimati (UTC+14).
    const { token } = await harness.user({ timezone: 'Pacific/Kiritimati' });
    const goal = await harness.createGoal(token);
    const manual = await harness.contribute(token, goal.id, { amount: '1' });
    expect(manual.body.date).toBe('2026-03-11');
    expect((await harness.goal(token, goal.id)).progress.as_of).toBe('2026-03-11');
  });

  it('gives the cumulative amount per month, zero-filled, beside the target line', async () => {
    const { token, goal } = await goalWithHistory();
    const res = await httpJson('GET', `${url}/goals/${goal.id}/progress`, { token });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      goal_id: goal.id,
      granularity: 'month',
      from: '2026-01-15',
      to: '2026-03-10',
      currency: 'EUR',
      target_amount: '1200.00',
      periods: [
        {
          period_start: '2026-01-15',
          period_end: '2026-01-31',
          contributed: '300.00',
          cumulative: '300.00',
          target: '1200.00',
        },
        {
          period_start: '2026-02-01',
          period_end: '2026-02-28',
          contributed: '0.00',
          cumulative: '300.00',
          target: '1200.00',
        },
        {
          period_start: '2026-03-01',
          period_end: '2026-03-10',
          contributed: '50.00',
          cumulative: '350.00',
          target: '1200.00',
        },
      ],
    });
  });

  it('weekly, over a range that starts after some contributions (their sum carried in)', async () => {
    const { token, goal } = await goalWithHistory();
    const res = await httpJson(
      'GET',
      `${url}/goals/${goal.id}/progress?granularity=week&from=2026-02-25&to=2026-03-12`,
      {
        token,
      },
    );
    expect(
      res.body.periods.map((p: Record<string, string>) => [
        p.period_start,
        p.period_end,
        p.contributed,
        p.cumulative,
      ]),
    ).toEqual([
      ['2026-02-25', '2026-03-01', '60.00', '360.00'],
      ['2026-03-02', '2026-03-08', '0.00', '360.00'],
      ['2026-03-09', '2026-03-12', '-10.00', '350.00'],
    ]);
  });

  it.each([
    ['granularity=day', 'query.granularity'],
    ['from=2026-03-11&to=2026-03-01', 'query.to'],
    ['from=2026-03-11', 'query.from'],
    ['from=1900-01-01&to=2999-12-31', 'query.from'],
    ['granularity=week&from=2000-01-01', 'query.from'],
    ['to=3000-01-01', 'query.to'],
    ['from=2026-02-30', 'query.from'],
    ['from[]=2026-01-01', 'query.from[]'],
    ['limit=5', 'query.limit'],
  ])('refuses ?%s with a 400 naming %s', async (query, field) => {
    const { token, goal } = await goalWithHistory();
    const res = await httpJson('GET', `${url}/goals/${goal.id}/progress?${query}`, { token });
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
  });

  it('answers the longest series the cap allows', async () => {
    const { token, goal } = await goalWithHistory();
    const res = await httpJson(
      'GET',
      `${url}/goals/${goal.id}/progress?granularity=month&from=1943-01-01&to=2026-04-30`,
      {
        token,
      },
    );
    expect(res.status).toBe(200);
    expect(res.body.periods).toHaveLength(1000);
    expect(res.body.periods[999]).toMatchObject({ period_start: '2026-04-01', cumulative: '350.00' });
  });
});
