import { randomUUID } from 'node:crypto';
import { TokenVerifier, authenticate } from '@finance/shared';
import {
  TEST_AUDIENCE,
  TEST_ISSUER,
  TestTokenIssuer,
  httpJson,
  startHttpServer,
  testLogger,
  type RunningServer,
} from '@finance/shared/testing';
import { buildApp } from '../src/app';
import { dueMonth, generateDueReports } from '../src/jobs/monthly-reports';
import {
  NO_BROWSER,
  account,
  apply,
  event,
  openTestDb,
  testRenderer,
  transaction,
  user,
  type TestDb,
} from './support';

describe('monthly report job', () => {
  const issuer = new TestTokenIssuer();
  const renderer = testRenderer();
  let db: TestDb;
  let server: RunningServer;
  const auckland = randomUUID();
  const losAngeles = randomUUID();
  const deps = () => ({ dataSource: db.dataSource, renderer, logger: testLogger() });

  beforeAll(async () => {
    await issuer.start();
    db = await openTestDb('reports_monthly_job');
    const nz = randomUUID();
    const us = randomUUID();
    await apply(
      db.dataSource,
      event('auth.user.registered', auckland, auckland, 1, user('NZD', 'Pacific/Auckland')),
      event('auth.user.registered', losAngeles, losAngeles, 1, user('USD', 'America/Los_Angeles')),
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
    server = await startHttpServer(
      buildApp({
        dataSource: db.dataSource,
        logger: testLogger(),
        renderer,
        authenticate: authenticate(
          new TokenVerifier({ jwksUrl: issuer.jwksUrl, issuer: TEST_ISSUER, audience: TEST_AUDIENCE }),
        ),
      }),
    );
  });

  afterAll(async () => {
    await server?.close();
    await renderer.close();
    await db?.close();
    await issuer.stop();
  });

  const reports = async () =>
    (await db.dataSource.query(
      `SELECT user_id, month, income_minor::text AS income, expense_minor::text AS expense FROM monthly_reports ORDER BY month, user_id`,
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
      const run = await generateDueReports(
        { ...deps(), renderer: noBrowser },
        new Date('2026-03-01T09:00:00Z'),
      );
      expect(run).toEqual({ acted: true, generated: [], failed: 0, renderingUnavailable: true });
      expect(await reports()).toEqual([]);
      const [{ count }] = (await db.dataSource.query(`SELECT count(*)::int AS count FROM outbox`)) as Array<{
        count: number;
      }>;
      expect(count).toBe(0);
    } finally {
      await noBrowser.close();
    }
  });

  it('generates last month once per user, when their own month has turned, under one lock', async () => {
    // 12:00Z on 28 Feb: already 1 March in Auckland, still February in Los Angeles.
    const first = new Date('2026-02-28T12:00:00Z');
    const [a, b] = await Promise.all([generateDueReports(deps(), first), generateDueReports(deps(), first)]);
    expect(a.generated.length + b.generated.length).toBe(1);
    expect(await reports()).toEqual([
      { user_id: auckland, month: '2026-02', income: '400000', expense: '81240' },
    ]);

    // LA reaches March; Auckland's February exists already.
    const later = new Date('2026-03-01T09:00:00Z');
    const runs = await Promise.all([
      generateDueReports(deps(), later),
      generateDueReports(deps(), later),
      generateDueReports(deps(), later),
    ]);
    expect(runs.flatMap((r) => r.generated).map((g) => g.userId)).toEqual([losAngeles]);
    const stored = await reports();
    expect(stored).toHaveLength(2);
    expect(stored).toEqual(
      expect.arrayContaining([
        { user_id: auckland, month: '2026-02', income: '400000', expense: '81240' },
        { user_id: losAngeles, month: '2026-02', income: '0', expense: '9999' },
      ]),
    );
    expect((await generateDueReports(deps(), later)).generated).toEqual([]);
  }, 60_000);

  it('writes reports.monthly.ready to the outbox with the totals', async () => {
    const rows = (await db.dataSource.query(
      `SELECT envelope FROM outbox WHERE type = 'reports.monthly.ready'`,
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
    const list = await httpJson('GET', `${server.url}/reports`, { token: issuer.token(auckland) });
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
    const pdf = await fetch(`${server.url}/reports/${id}/pdf`, {
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
    const foreign = await httpJson('GET', `${server.url}/reports/${id}/pdf`, {
      token: issuer.token(losAngeles),
    });
    expect(foreign.status).toBe(404);
    const bad = await httpJson('GET', `${server.url}/reports/not-a-uuid/pdf`, {
      token: issuer.token(auckland),
    });
    expect(bad.status).toBe(400);
  });

  it('pages with a keyset cursor', async () => {
    await db.dataSource.query(
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
        `${server.url}/reports?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        { token: issuer.token(auckland) },
      );
      months.push(...page.body.data.map((r) => r.month));
      cursor = page.body.next_cursor;
    } while (cursor);
    expect(months).toEqual(['2026-02', '2025-05', '2025-04', '2025-03', '2025-02', '2025-01']);
    const broken = await httpJson('GET', `${server.url}/reports?cursor=zzz`, {
      token: issuer.token(auckland),
    });
    expect(broken.status).toBe(400);
  });
});
