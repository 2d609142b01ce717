import { randomUUID } from 'node:crypto';
import { TestTokenIssuer, httpJson, testLogger } from '@finance/shared/testing';
import { MonthlyReportJob, dueMonth, generateMonthlyReport } from '../src/jobs/monthly-reports';
import {
  NO_BROWSER,
  account,
  apply,
  event,
  profile,
  startReports,
  testRenderer,
  transaction,
  type ReportsService,
} from './support';

describe('monthly report job', () => {
  const issuer = new TestTokenIssuer();
  let service: ReportsService;
  let now = new Date('2026-02-28T12:00:00Z');
  const auckland = randomUUID();
  const losAngeles = randomUUID();
  // Other test files' users reach this service too (one shared events exchange): only these count.
  const ours: string[] = [auckland, losAngeles];
  /** One run of the service's own job, at the service's clock (`now`). */
  const runJob = () => service.parts.monthlyReports.run();

  beforeAll(async () => {
    await issuer.start();
    service = await startReports('reports_monthly_job', { issuer, clock: () => now });
    const nz = randomUUID();
    const us = randomUUID();
    await apply(
      service,
      event('auth.user.registered', auckland, auckland, 1, profile('NZD', 'Pacific/Auckland')),
      event('auth.user.registered', losAngeles, losAngeles, 1, profile('USD', 'America/Los_Angeles')),
      event('ledger.account.created', auckland, nz, 1, account('Everyday', 'NZD', '0')),
      event('ledger.account.created', losAngeles, us, 1, account('Checking', 'USD', '0')),
      event(
        'ledger.transaction.created',
        auckland,
        randomUUID(),
        1,
        transaction({
          accountId: nz,
          type: 'income',
          amount: '4000.00',
          date: '2026-02-02',
          description: 'Salary',
        }),
      ),
      event(
        'ledger.transaction.created',
        auckland,
        randomUUID(),
        1,
        transaction({ accountId: nz, amount: '812.40', date: '2026-02-03', description: 'Rent' }),
      ),
      event(
        'ledger.transaction.created',
        losAngeles,
        randomUUID(),
        1,
        transaction({
          accountId: us,
          currency: 'USD',
          amount: '99.99',
          date: '2026-02-10',
          description: 'Shoes',
        }),
      ),
    );
  });

  afterAll(async () => {
    await service?.close();
    await issuer.stop();
  });

  const reports = async () =>
    (await service.dataSource.query(
      `SELECT user_id, month, income_minor::text AS income, expense_minor::text AS expense FROM monthly_reports
        WHERE user_id = ANY($1::uuid[]) ORDER BY month, user_id`,
      [ours],
    )) as Array<{
      user_id: string;
      month: string;
      income: string;
      expense: string;
    }>;

  it('knows which month is due', () => {
    expect(dueMonth('2026-03-01')).toBe('2026-02');
    expect(dueMonth('2026-01-15')).toBe('2025-12');
  });

  it('postpones the run while no browser can be had: nothing stored, nothing published, lock released', async () => {
    const noBrowser = testRenderer({ chromium: NO_BROWSER });
    try {
      const job = new MonthlyReportJob({
        dataSource: service.dataSource,
        renderer: noBrowser,
        logger: testLogger(),
        clock: () => new Date('2026-03-01T09:00:00Z'),
      });
      const run = await job.run();
      expect(run).toEqual({ acted: true, generated: [], failed: 0, renderingUnavailable: true });
      expect(await reports()).toEqual([]);
      const [{ count }] = (await service.dataSource.query(
        `SELECT count(*)::int AS count FROM outbox WHERE envelope->>'userId' = ANY($1::text[])`,
        [ours],
      )) as Array<{
        count: number;
      }>;
      expect(count).toBe(0);
    } finally {
      await noBrowser.close();
    }
  });

  it('generates last month once per user, when their own month has turned, under one lock', async () => {
    // 12:00Z on 28 Feb: already 1 March in Auckland, still February in Los Angeles.
    now = new Date('2026-02-28T12:00:00Z');
    const [a, b] = await Promise.all([runJob(), runJob()]);
    const own = (run: { generated: Array<{ userId: string }> }) =>
      run.generated.filter((g) => ours.includes(g.userId));
    expect(own(a).length + own(b).length).toBe(1);
    expect(await reports()).toEqual([
      { user_id: auckland, month: '2026-02', income: '400000', expense: '81240' },
    ]);

    // LA reaches March; Auckland's February exists already.
    now = new Date('2026-03-01T09:00:00Z');
    const runs = await Promise.all([runJob(), runJob(), runJob()]);
    expect(runs.flatMap(own).map((g) => g.userId)).toEqual([losAngeles]);
    const stored = await reports();
    expect(stored).toHaveLength(2);
    expect(stored).toEqual(
      expect.arrayContaining([
        { user_id: auckland, month: '2026-02', income: '400000', expense: '81240' },
        { user_id: losAngeles, month: '2026-02', income: '0', expense: '9999' },
      ]),
    );
    expect(own(await runJob())).toEqual([]);
  }, 60_000);

  it('writes reports.monthly.ready to the outbox with the totals', async () => {
    const rows = (await service.dataSource.query(
      `SELECT envelope FROM outbox WHERE type = 'reports.monthly.ready' AND envelope->>'userId' = ANY($1::text[])`,
      [ours],
    )) as Array<{
      envelope: { userId: string; payload: Record<string, string> };
    }>;
    expect(rows).toHaveLength(2);
    const nz = rows.find((r) => r.envelope.userId === auckland);
    expect(nz?.envelope.payload).toMatchObject({
      month: '2026-02',
      income: '4000.00',
      expense: '812.40',
      net: '3187.60',
      currency: 'NZD',
    });
  });

  it('lists stored reports and serves their PDF; another user’s report is 404', async () => {
    const list = await httpJson('GET', `${service.url}/reports`, { token: issuer.token(auckland) });
    expect(list.status).toBe(200);
    expect(list.body.next_cursor).toBeNull();
    expect(list.body.data).toEqual([
      expect.objectContaining({
        month: '2026-02',
        currency: 'NZD',
        income: '4000.00',
        expense: '812.40',
        net: '3187.60',
        savings_rate: '79.69',
      }),
    ]);
    const id = list.body.data[0].id;
    const pdf = await fetch(`${service.url}/reports/${id}/pdf`, {
      headers: { authorization: `Bearer ${issuer.token(auckland)}` },
    });
    expect(pdf.status).toBe(200);
    expect(pdf.headers.get('content-type')).toBe('application/pdf');
    expect(pdf.headers.get('cache-control')).toBe('no-store');
    expect(
      Buffer.from(await pdf.arrayBuffer())
        .subarray(0, 5)
        .toString('latin1'),
    ).toBe('%PDF-');
    const foreign = await httpJson('GET', `${service.url}/reports/${id}/pdf`, {
      token: issuer.token(losAngeles),
    });
    expect(foreign.status).toBe(404);
    const bad = await httpJson('GET', `${service.url}/reports/not-a-uuid/pdf`, {
      token: issuer.token(auckland),
    });
    expect(bad.status).toBe(400);
  });

  it('pages with a keyset cursor', async () => {
    await service.dataSource.query(
      `INSERT INTO monthly_reports (id, user_id, month, currency, income_minor, expense_minor, pdf)
       SELECT gen_random_uuid(), $1, to_char(date '2025-01-01' + (n || ' month')::interval, 'YYYY-MM'), 'NZD', 0, 0, '\\x25'
       FROM generate_series(0, 4) AS n`,
      [auckland],
    );
    const months: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { data: Array<{ month: string }>; next_cursor: string | null } } = await httpJson(
        'GET',
        `${service.url}/reports?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        { token: issuer.token(auckland) },
      );
      months.push(...page.body.data.map((r) => r.month));
      cursor = page.body.next_cursor;
    } while (cursor);
    expect(months).toEqual(['2026-02', '2025-05', '2025-04', '2025-03', '2025-02', '2025-01']);
    const broken = await httpJson('GET', `${service.url}/reports?cursor=zzz`, {
      token: issuer.token(auckland),
    });
    expect(broken.status).toBe(400);
  });

  it('gives no report to a deleted or deactivated user, even one deleted while their report renders', async () => {
    const leaving = randomUUID();
    const resting = randomUUID();
    const wallet = randomUUID();
    const spend = (userId: string) =>
      event(
        'ledger.transaction.created',
        userId,
        randomUUID(),
        1,
        transaction({ accountId: wallet, amount: '5.00', date: '2026-02-10' }),
      );
    await apply(
      service,
      event('auth.user.registered', leaving, leaving, 1, profile('NZD', 'Pacific/Auckland')),
      event('auth.user.registered', resting, resting, 1, profile('NZD', 'Pacific/Auckland')),
      spend(leaving),
      spend(resting),
      event('auth.user.updated', resting, resting, 2, {
        ...profile('NZD', 'Pacific/Auckland'),
        isActive: false,
      }),
      event('auth.user.deleted', leaving, leaving, 2, {}),
    );
    // What a write racing the deletion could have left behind (the purge ran before it landed).
    await service.dataSource.query(
      `INSERT INTO report_transactions (id, user_id, account_id, type, base_amount_minor, base_currency,
         amount_minor, currency, date, description, version)
       VALUES ($1, $2, $3, 'expense', 500, 'NZD', 500, 'NZD', '2026-02-10', 'late', 1)`,
      [randomUUID(), leaving, wallet],
    );
    now = new Date('2026-03-05T00:00:00Z');
    const run = await runJob();
    expect(run.generated.filter((g) => g.userId === leaving || g.userId === resting)).toEqual([]);
    // Chosen before the deletion, rendered, then refused when storing: the user's directory row says gone.
    const reportId = await generateMonthlyReport(
      {
        dataSource: service.dataSource,
        renderer: service.parts.renderer,
        logger: testLogger(),
        clock: () => now,
      },
      { userId: leaving, timezone: 'Pacific/Auckland' },
      '2026-02',
    );
    expect(reportId).toBeUndefined();
    const stored = (await service.dataSource.query(
      `SELECT count(*)::int AS count FROM monthly_reports WHERE user_id = ANY($1::uuid[])`,
      [[leaving, resting]],
    )) as Array<{ count: number }>;
    expect(stored).toEqual([{ count: 0 }]);
    const announced = (await service.dataSource.query(
      `SELECT count(*)::int AS count FROM outbox WHERE type = 'reports.monthly.ready' AND envelope->>'userId' = ANY($1::text[])`,
      [[leaving, resting]],
    )) as Array<{ count: number }>;
    expect(announced).toEqual([{ count: 0 }]);
  }, 60_000);
});
