import fc from 'fast-check';
import { DATE_DOMAIN, addDays, compareDates, dayNumber, daysBetween, fromDayNumber } from '@finance/shared';
import { TestTokenIssuer, httpJson } from '@finance/shared/testing';
import { newId, startBudgets, transactionEvent, userRegistered, type BudgetsService } from './fixtures';

/**
 * Dates at the HTTP surface: only the documented domain is accepted (a 400 naming the field
 * otherwise), and no start date, period, end date or "today" makes any operation answer 5xx,
 * loop over the windows since start_date, or show windows that do not tile.
 */
describe('budgets and the date domain', () => {
  const issuer = new TestTokenIssuer();
  let service: BudgetsService;
  /** The instant the service takes for "now"; each test sets it. */
  let now = new Date('2026-03-10T12:00:00Z');

  beforeAll(async () => {
    await issuer.start();
    service = await startBudgets(issuer, { clock: () => now });
  });

  afterAll(async () => {
    await service?.close();
    await issuer.stop();
  });

  /** A user whose settings have arrived (UTC, so "today" is the date of `now`). */
  async function newUser(): Promise<string> {
    const user = newId();
    await service.consumer.apply(userRegistered(user, 'EUR', 'UTC'));
    return issuer.token(user);
  }

  const outOfDomain = ['0001-01-01', '0050-06-15', '0099-12-31', '1899-12-31', '3000-01-01', '9999-12-31'];

  it.each(outOfDomain)('refuses %s as start_date or end_date on create, replace and patch', async (date) => {
    const token = await newUser();
    const post = (body: object) => httpJson('POST', `${service.url}/budgets`, { token, body });
    for (const [body, field] of [
      [{ amount: '10', period: 'daily', start_date: date }, 'body.start_date'],
      [{ amount: '10', period: 'daily', start_date: '1900-01-01', end_date: date }, 'body.end_date'],
    ] as const) {
      const res = await post(body);
      expect(res.status).toBe(400);
      expect(res.body.errors).toEqual([
        { field, message: expect.stringContaining(`${DATE_DOMAIN.min} and ${DATE_DOMAIN.max}`) },
      ]);
    }
    const created = await post({ amount: '10', period: 'daily', start_date: '2026-01-01' });
    expect(created.status).toBe(201);
    const url = `${service.url}/budgets/${created.body.id}`;
    for (const [method, body, field] of [
      ['PUT', { amount: '10', period: 'daily', start_date: date }, 'body.start_date'],
      ['PUT', { amount: '10', period: 'daily', end_date: date }, 'body.end_date'],
      ['PATCH', { start_date: date }, 'body.start_date'],
      ['PATCH', { end_date: date }, 'body.end_date'],
    ] as const) {
      const res = await httpJson(method, url, { token, body });
      expect(res.status).toBe(400);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual([field]);
    }
    const unchanged = await httpJson('GET', url, { token });
    expect(unchanged.status).toBe(200);
    expect(unchanged.body).toMatchObject({ start_date: '2026-01-01', end_date: null, version: 1 });
  });

  it('carries a daily rollover from 1900-01-01 exactly, without walking its 46,000 windows', async () => {
    now = new Date('2026-03-10T12:00:00Z');
    const token = await newUser();
    const created = await httpJson('POST', `${service.url}/budgets`, {
      token,
      body: { amount: '1.00', period: 'daily', start_date: '1900-01-01', rollover: true },
    });
    expect(created.status).toBe(201);
    const got = await httpJson('GET', `${service.url}/budgets/${created.body.id}`, { token });
    expect(got.status).toBe(200);
    const elapsed = daysBetween('1900-01-01', '2026-03-10'); // 46,089 windows before today's
    expect(elapsed).toBe(46_089);
    expect(got.body).toMatchObject({
      window_start: '2026-03-10',
      window_end: '2026-03-10',
      carried_over: '46089.00',
      remaining: '46090.00',
    });
    expect(got.body.history).toHaveLength(6);
    expect(got.body.history[0].carried_over).toBe('46083.00');
  });

  it('counts spending from the domain’s first day in the rollover', async () => {
    now = new Date('1900-01-03T12:00:00Z');
    const user = newId();
    await service.consumer.apply(userRegistered(user, 'EUR', 'UTC'));
    const token = issuer.token(user);
    const created = await httpJson('POST', `${service.url}/budgets`, {
      token,
      body: { amount: '5', period: 'daily', start_date: DATE_DOMAIN.min, rollover: true },
    });
    expect(created.status).toBe(201);
    await service.consumer.apply(
      transactionEvent('ledger.transaction.created', user, newId(), 1, {
        baseAmount: '7.00',
        categoryId: null,
        baseCurrency: 'EUR',
        date: DATE_DOMAIN.min,
      }),
    );
    const got = await httpJson('GET', `${service.url}/budgets/${created.body.id}`, { token });
    expect(got.status).toBe(200);
    // Two earlier windows of 5.00, 7.00 spent in the first: 3.00 carried into the 3rd.
    expect(got.body).toMatchObject({ window_start: '1900-01-03', carried_over: '3.00', spent: '0.00' });
    expect(got.body.history.map((h: { spent: string }) => h.spent)).toEqual(['7.00', '0.00']);
  });

  it('stores but never judges thresholds for a ledger transaction dated outside the domain', async () => {
    now = new Date('2026-03-10T12:00:00Z');
    const user = newId();
    await service.consumer.apply(userRegistered(user, 'EUR', 'UTC'));
    const token = issuer.token(user);
    const ids: string[] = [];
    for (const period of ['daily', 'weekly', 'monthly', 'yearly']) {
      const res = await httpJson('POST', `${service.url}/budgets`, {
        token,
        body: { amount: '1', period, start_date: '1900-01-31', rollover: true },
      });
      expect(res.status).toBe(201);
      ids.push(res.body.id);
    }
    // The event contract takes any ISO date; events published before the domain existed may carry one.
    for (const date of ['9999-12-31', '3000-01-01', '1899-12-31', '0001-01-01'])
      await expect(
        service.consumer.apply(
          transactionEvent('ledger.transaction.created', user, newId(), 1, {
            baseAmount: '5',
            categoryId: null,
            date,
          }),
        ),
      ).resolves.toBe(true);
    for (const id of ids) {
      const got = await httpJson('GET', `${service.url}/budgets/${id}`, { token });
      expect(got.status).toBe(200);
      expect(got.body.spent).toBe('0.00');
    }
    const alerts = await service.dataSource.query(
      `SELECT count(*)::int AS n FROM budget_alerts WHERE budget_id = ANY($1)`,
      [ids],
    );
    expect(alerts[0].n).toBe(0);
  });

  // ── every date-taking operation, over arbitrary dates (property-based) ──────────────────────

  const MIN = dayNumber(DATE_DOMAIN.min);
  const MAX = dayNumber(DATE_DOMAIN.max);
  const domainDate = fc.oneof(
    fc.integer({ min: MIN, max: MAX }).map(fromDayNumber),
    fc.constantFrom(DATE_DOMAIN.min, DATE_DOMAIN.max, '2999-12-01', '2999-02-28', '2024-02-29', '1900-02-28'),
  );
  /** Mostly accepted dates, sometimes one outside the domain or not a date at all. */
  const anyDate = fc.oneof(
    { weight: 8, arbitrary: domainDate },
    { weight: 1, arbitrary: fc.constantFrom(...outOfDomain, '2026-02-30', '2026-13-01', '+010000-01-01') },
  );
  const accepted = (date: string | null | undefined) =>
    date == null ||
    (!['2026-02-30', '2026-13-01', '+010000-01-01'].includes(date) && !outOfDomain.includes(date));
  const period = fc.constantFrom('daily', 'weekly', 'monthly', 'yearly');
  const budgetBody = fc.record(
    {
      amount: fc.constantFrom('0.01', '10', '999999999999.99'),
      period,
      start_date: anyDate,
      end_date: fc.option(anyDate, { nil: null }),
      rollover: fc.boolean(),
    },
    { requiredKeys: ['amount', 'period'] },
  );
  type Figures = { window_start: string; window_end: string };

  function expectTiling(detail: Figures & { history: Figures[] }) {
    const all = [...detail.history, detail];
    all.forEach((w, i) => {
      expect(compareDates(w.window_start, w.window_end)).toBeLessThanOrEqual(0);
      if (i > 0) expect(w.window_start).toBe(addDays(all[i - 1].window_end, 1));
    });
  }

  /** The date "today" is judged by: today clamped to [start_date, end_date]. */
  function judged(today: string, b: { start_date: string; end_date: string | null }): string {
    if (compareDates(today, b.start_date) < 0) return b.start_date;
    if (b.end_date && compareDates(today, b.end_date) > 0) return b.end_date;
    return today;
  }

  it('never answers 5xx, and always shows tiling windows containing today, for any dates', async () => {
    await fc.assert(
      fc.asyncProperty(budgetBody, domainDate, budgetBody, async (body, today, change) => {
        now = new Date(`${today}T12:00:00Z`);
        const token = await newUser();
        const created = await httpJson('POST', `${service.url}/budgets`, { token, body });
        const valid =
          accepted(body.start_date) &&
          accepted(body.end_date) &&
          !(body.end_date && compareDates(body.end_date, body.start_date ?? today) < 0);
        expect(created.status).toBe(valid ? 201 : 400);
        if (!valid) return;
        const url = `${service.url}/budgets/${created.body.id}`;

        const check = async () => {
          const got = await httpJson('GET', url, { token });
          expect(got.status).toBe(200);
          const date = judged(today, got.body);
          expect(compareDates(got.body.window_start, date)).toBeLessThanOrEqual(0);
          expect(compareDates(date, got.body.window_end)).toBeLessThanOrEqual(0);
          expectTiling(got.body);
          return got.body;
        };
        const before = await check();

        const status = await httpJson('GET', `${service.url}/analytics/budget-status`, { token });
        expect(status.status).toBe(200);
        expect(status.body.as_of).toBe(today);
        const active =
          compareDates(today, before.start_date) >= 0 &&
          (!before.end_date || compareDates(today, before.end_date) <= 0);
        expect(status.body.budgets).toHaveLength(active ? 1 : 0);
        if (active) {
          expect(compareDates(status.body.budgets[0].window_start, today)).toBeLessThanOrEqual(0);
          expect(compareDates(today, status.body.budgets[0].window_end)).toBeLessThanOrEqual(0);
        }
        const list = await httpJson('GET', `${service.url}/budgets?active=${active}`, { token });
        expect(list.status).toBe(200);
        expect(list.body.data).toHaveLength(1);

        const patch = { start_date: change.start_date, end_date: change.end_date, period: change.period };
        const patched = await httpJson('PATCH', url, { token, body: patch });
        expect(patched.status).toBeLessThan(500);
        const put = await httpJson('PUT', url, { token, body: change });
        expect(put.status).toBeLessThan(500);
        await check();
      }),
      { numRuns: 60 },
    );
  });
});
