import { randomUUID } from 'node:crypto';
import {
  DATE_DOMAIN,
  addDays,
  MAX_PERIODS,
  countPeriods,
  daysBetween,
  granularities,
  isCalendarDate,
  isInDateDomain,
} from '@finance/shared';
import { TestTokenIssuer } from '@finance/shared/testing';
import fc from 'fast-check';
import { MAX_RANGE_DAYS } from '../src/domain/calendar';
import {
  account,
  apply,
  category,
  event,
  profile,
  startReports,
  transaction,
  type ReportsService,
} from './support';

/**
 * Every date-taking operation of reports, driven with whatever a client may send: any from/to the
 * query schema can see (real dates of every year 0001–9999, the domain's edges and just past them,
 * impossible dates, junk) and any granularity. Each answer is predicted from the documented rules:
 * 200 exactly when the request is valid, else a 400 problem naming the offending parameter — never
 * a 5xx, never a hang, and never a series longer than MAX_PERIODS. (No wall-clock assertion: the
 * bound is on the number of periods a request may make the service build.)
 */
describe('every date-taking operation answers 2xx or 4xx for any dates and granularity', () => {
  const issuer = new TestTokenIssuer();
  let service: ReportsService;
  let now = new Date('2026-02-28T12:00:00Z');
  const me = randomUUID();
  const checking = randomUUID();
  const food = randomUUID();

  beforeAll(async () => {
    await issuer.start();
    service = await startReports('reports_date_properties', { issuer, clock: () => now, browser: false });
    // Money on the domain's first and last days, so edge ranges read real roll-ups.
    await apply(
      service,
      event('auth.user.registered', me, me, 1, profile('EUR', 'Pacific/Kiritimati')),
      event('ledger.account.created', me, checking, 1, account('Checking', 'EUR', '100.00')),
      event('ledger.category.created', me, food, 1, category('Food', '#2E7D32')),
      ...[DATE_DOMAIN.min, '1900-03-01', '2026-02-14', '2999-12-01', DATE_DOMAIN.max].map((date) =>
        event(
          'ledger.transaction.created',
          me,
          randomUUID(),
          1,
          transaction({ accountId: checking, currency: 'EUR', amount: '12.34', categoryId: food, date }),
        ),
      ),
    );
  });

  afterAll(async () => {
    await service?.close();
    await issuer.stop();
  });

  const validDate = fc
    .record({
      year: fc.integer({ min: 1, max: 9999 }),
      month: fc.integer({ min: 1, max: 12 }),
      day: fc.integer({ min: 1, max: 31 }),
    })
    .map(
      ({ year, month, day }) =>
        `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`,
    )
    .filter(isCalendarDate);
  const domainDate = fc
    .integer({ min: 0, max: daysBetween(DATE_DOMAIN.min, DATE_DOMAIN.max) })
    .map((n) => addDays(DATE_DOMAIN.min, n));
  const edgeDate = fc.constantFrom(
    DATE_DOMAIN.min,
    DATE_DOMAIN.max,
    '1899-12-31',
    '3000-01-01',
    '2999-12-01',
    '9999-12-01',
    '9999-12-31',
    '0001-01-01',
    '0099-12-31',
    '0000-01-01',
    '10000-01-01',
    '+010000-01-01',
    '2024-02-29',
    '2023-02-29',
    '2024-13-01',
    '2024-00-10',
    '',
  );
  /** A from/to parameter: absent, or any text a client could send. */
  const dateParam = fc.option(
    fc.oneof(domainDate, domainDate, validDate, edgeDate, fc.string({ maxLength: 12 })),
    {
      nil: undefined,
    },
  );
  /**
   * A from/to pair: independent (mostly far apart, or one missing), or a from and a to near it
   * (reversed by a little, or up to just past the five-year limit), so valid ranges, the
   * MAX_PERIODS edge by day and the five-year edge are all well visited.
   */
  const rangeParams = fc.oneof(
    fc.record({ from: dateParam, to: dateParam }),
    fc
      .tuple(
        domainDate,
        fc.oneof(
          fc.integer({ min: -40, max: 400 }),
          fc.integer({ min: MAX_PERIODS - 40, max: MAX_PERIODS + 40 }),
          fc.integer({ min: MAX_RANGE_DAYS - 40, max: MAX_RANGE_DAYS + 40 }),
        ),
      )
      .map(([from, days]) => {
        const to = addDays(from, days);
        return { from, to: isInDateDomain(to) ? to : DATE_DOMAIN.max };
      }),
  );
  const granularityParam = fc.option(
    fc.oneof(
      fc.constantFrom(...granularities),
      fc.constantFrom('fortnight', 'DAY', ''),
      fc.string({ maxLength: 6 }),
    ),
    { nil: undefined },
  );

  const request = async (path: string, params: Record<string, string | undefined>) => {
    const query = Object.entries(params)
      .filter(([, value]) => value !== undefined)
      .map(([key, value]) => `${key}=${encodeURIComponent(value as string)}`)
      .join('&');
    const res = await fetch(`${service.url}${path}${query ? `?${query}` : ''}`, {
      headers: { authorization: `Bearer ${issuer.token(me)}` },
    });
    const text = await res.text();
    const json = res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : undefined;
    return { status: res.status, contentType: res.headers.get('content-type') ?? '', json, text };
  };

  /** The parameters the documented rules reject, or [] when the request is valid. */
  function expectedFieldErrors(
    from: string | undefined,
    to: string | undefined,
    granularity: string | undefined,
    takesGranularity: boolean,
  ): string[] {
    const bad: string[] = [];
    if (from !== undefined && !isInDateDomain(from)) bad.push('query.from');
    if (to !== undefined && !isInDateDomain(to)) bad.push('query.to');
    const knownGranularity =
      granularity === undefined || (granularities as readonly string[]).includes(granularity);
    if (takesGranularity && !knownGranularity) bad.push('query.granularity');
    if (bad.length > 0 || from === undefined || to === undefined) return bad;
    // Both ends given and well-formed: the range rules.
    if (from > to) return ['query.from'];
    if (daysBetween(from, to) >= MAX_RANGE_DAYS) return ['query.to'];
    const g = (granularity ?? 'month') as (typeof granularities)[number];
    if (takesGranularity && countPeriods(from, to, g) > MAX_PERIODS) return ['query.granularity'];
    return [];
  }

  function checkAnswer(
    answer: Awaited<ReturnType<typeof request>>,
    expectedErrors: string[],
    context: Record<string, unknown>,
  ) {
    const seen = { ...context, status: answer.status, body: answer.json ?? answer.text.slice(0, 200) };
    expect(answer.status < 500 ? 'no 5xx' : seen).toBe('no 5xx');
    if (expectedErrors.length === 0) {
      expect(answer.status === 200 ? 200 : seen).toBe(200);
      return;
    }
    expect(answer.status === 400 ? 400 : seen).toBe(400);
    expect(answer.contentType).toContain('application/problem+json');
    const fields = (answer.json.errors as Array<{ field: string }>).map((e) => e.field);
    for (const field of expectedErrors) expect(fields.includes(field) ? field : seen).toBe(field);
  }

  const seriesEndpoints = ['/analytics/income-vs-expense', '/analytics/cashflow'] as const;

  it.each(seriesEndpoints)(
    '%s: any from/to/granularity → 200 with at most MAX_PERIODS periods, or 400',
    async (path) => {
      await fc.assert(
        fc.asyncProperty(rangeParams, granularityParam, async ({ from, to }, granularity) => {
          const answer = await request(path, { from, to, granularity });
          const expected = expectedFieldErrors(from, to, granularity, true);
          checkAnswer(answer, expected, { path, from, to, granularity });
          if (answer.status === 200) {
            const body = answer.json as { from: string; to: string; granularity: string; periods: unknown[] };
            expect(body.periods.length).toBe(countPeriods(body.from, body.to, body.granularity as 'day'));
            expect(body.periods.length).toBeLessThanOrEqual(MAX_PERIODS);
          }
        }),
        { numRuns: 300 },
      );
    },
    120_000,
  );

  it.each(['/analytics/spending', '/export/csv'])(
    '%s: any from/to → 200 or 400 naming the date',
    async (path) => {
      await fc.assert(
        fc.asyncProperty(rangeParams, async ({ from, to }) => {
          const answer = await request(path, { from, to });
          checkAnswer(answer, expectedFieldErrors(from, to, undefined, false), { path, from, to });
          if (answer.status === 200 && path === '/analytics/spending') {
            expect(isInDateDomain(answer.json.from) && isInDateDomain(answer.json.to)).toBe(true);
          }
        }),
        { numRuns: 200 },
      );
    },
    120_000,
  );

  it('/analytics/trends: any period and count, on any day of the date domain → 200 or 400', async () => {
    await fc.assert(
      fc.asyncProperty(
        domainDate,
        fc.option(
          fc.oneof(
            fc.constantFrom('week', 'month', 'year'),
            fc.constantFrom('day', 'decade', ''),
            fc.string({ maxLength: 5 }),
          ),
          {
            nil: undefined,
          },
        ),
        fc.option(fc.oneof(fc.integer({ min: -3, max: 30 }).map(String), fc.string({ maxLength: 4 })), {
          nil: undefined,
        }),
        async (today, period, periods) => {
          now = new Date(`${today}T12:00:00Z`);
          const answer = await request('/analytics/trends', { period, periods });
          const expected: string[] = [];
          if (period !== undefined && !['week', 'month', 'year'].includes(period))
            expected.push('query.period');
          if (
            periods !== undefined &&
            !(/^\d{1,15}$/.test(periods) && Number(periods) >= 1 && Number(periods) <= 24)
          )
            expected.push('query.periods');
          checkAnswer(answer, expected, { today, period, periods });
        },
      ),
      { numRuns: 120 },
    );
  }, 120_000);
});
