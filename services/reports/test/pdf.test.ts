import { randomUUID } from 'node:crypto';
import { formatMinorUnits } from '@finance/shared';
import { TestTokenIssuer, httpJson, waitFor } from '@finance/shared/testing';
import { barChart, niceCeiling } from '../src/pdf/charts/bars';
import { donutChart } from '../src/pdf/charts/donut';
import { escapeXml } from '../src/pdf/charts/svg';
import { loadMonthlyReport, renderMonthlyReport } from '../src/pdf/monthly-report';
import { displayAmount, generatedOn } from '../src/domain/display';
import { householdEvents } from './fixtures';
import {
  account,
  apply,
  category,
  event,
  pdfText,
  profile,
  startReports,
  testRenderer,
  transaction,
  type ReportsService,
} from './support';

describe('charts (pure SVG)', () => {
  it('draws one arc per non-empty slice, proportional, with escaped labels', () => {
    const svg = donutChart(
      [
        { label: 'Rent <home>', color: '#C5221F', valueMinor: 300n },
        { label: 'Food', color: '#188038', valueMinor: 100n },
        { label: 'Nothing', color: '#000', valueMinor: 0n },
      ],
      { centerLabel: 'Spent', centerValue: '4.00', size: 100 },
    );
    const dashes = [...svg.matchAll(/stroke-dasharray="([\d.]+) ([\d.]+)"/g)].map((m) => Number(m[1]));
    expect(dashes).toHaveLength(2);
    expect(dashes[0] / dashes[1]).toBeCloseTo(3, 2);
    expect(svg).toContain('Rent &lt;home&gt;');
    expect(svg).not.toContain('<home>');
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
  });

  it('bars scale to a nice axis and skip zero values', () => {
    expect(niceCeiling(0n)).toBe(100n);
    expect(niceCeiling(730n)).toBe(800n);
    expect(niceCeiling(1800n)).toBe(2000n);
    expect(niceCeiling(2100n)).toBe(4000n);
    expect(niceCeiling(1000n)).toBe(1000n);
    const svg = barChart(
      [
        { label: 'A', values: [500n, 250n] },
        { label: 'B', values: [0n, 1000n] },
      ],
      {
        series: [
          { name: 'Income', color: '#0f0' },
          { name: 'Expenses', color: '#f00' },
        ],
        formatAxis: (m) => String(m),
        height: 126,
        width: 200,
      },
    );
    const heights = [
      ...svg.matchAll(/<rect x="[\d.]+" y="[\d.]+" width="[\d.]+" height="([\d.]+)" rx="1.5"/g),
    ].map((m) => Number(m[1]));
    // plot height = 126 − 26 (legend) − 22 (axis) = 78; axis max 1000.
    expect(heights).toEqual([39, 19.5, 78]);
    expect(svg).toContain('>Income<');
  });

  it('escapes markup and formats amounts exactly', () => {
    expect(escapeXml(`<a href="x">&'`)).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&#39;');
    expect(displayAmount(123456789n, 'GBP')).toBe('1,234,567.89');
    expect(displayAmount(-5n, 'GBP')).toBe('−0.05');
    expect(displayAmount(1200n, 'JPY')).toBe('1,200');
  });

  it('dates the report in the user’s zone; an unknown zone reads as UTC (as the shared calendar does)', () => {
    const instant = new Date('2026-02-28T23:30:00Z');
    expect(generatedOn(instant, 'Pacific/Auckland')).toBe('1 March 2026');
    expect(generatedOn(instant, 'America/Los_Angeles')).toBe('28 February 2026');
    expect(generatedOn(instant, 'Mars/Olympus_Mons')).toBe('28 February 2026');
  });
});

describe('PDF monthly report', () => {
  const issuer = new TestTokenIssuer();
  let service: ReportsService;
  const userId = randomUUID();
  let household: ReturnType<typeof householdEvents>;

  beforeAll(async () => {
    await issuer.start();
    service = await startReports('reports_pdf', {
      issuer,
      clock: () => new Date('2026-03-01T09:00:00Z'),
      env: { PDF_CONCURRENCY: '2' },
    });
    household = householdEvents(userId);
    await apply(service, ...household.events);
  });

  afterAll(async () => {
    await service?.close();
    await issuer.stop();
  });

  it('renders a valid A4 PDF with the month, totals, categories and top expenses', async () => {
    const res = await fetch(`${service.url}/export/pdf?month=2026-02`, {
      headers: { authorization: `Bearer ${issuer.token(userId)}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/pdf');
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="report-2026-02.pdf"');
    expect(res.headers.get('cache-control')).toBe('no-store');
    const pdf = Buffer.from(await res.arrayBuffer());
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    const text = await pdfText(pdf);
    expect(text).toContain('February 2026');
    expect(text).toContain(displayAmount(BigInt(household.februaryIncome), 'GBP'));
    expect(text).toContain(displayAmount(BigInt(household.februaryExpense), 'GBP'));
    expect(text).toContain(
      displayAmount(BigInt(household.februaryIncome - household.februaryExpense), 'GBP'),
    );
    for (const name of [
      'Rent',
      'Groceries',
      'Eating out',
      'Transport',
      'Uncategorised',
      'Harbour Lettings',
      'Dentist',
      'Top 10 expenses',
      'Budgets',
      'Goals',
    ]) {
      expect(text).toContain(name);
    }
    expect(text).toMatch(/Page 1 of \d/);
    expect(formatMinorUnits(BigInt(household.februaryExpense), 'GBP')).toMatch(/^\d+\.\d\d$/);
  });

  it('renders an empty month gracefully', async () => {
    const res = await fetch(`${service.url}/export/pdf?month=2024-06`, {
      headers: { authorization: `Bearer ${issuer.token(userId)}` },
    });
    expect(res.status).toBe(200);
    const text = await pdfText(Buffer.from(await res.arrayBuffer()), 'empty');
    expect(text).toContain('June 2024');
    expect(text).toContain('No spending this month.');
    expect(text).toContain('No expenses this month.');
  });

  it('renders with the npm-packaged Chromium even beside a system one (what a fresh machine uses)', async () => {
    const npmBrowser = testRenderer({ chromium: { allowBundled: true }, resolve: { systemCandidates: [] } });
    try {
      const data = await loadMonthlyReport(service.dataSource, userId, '2026-02');
      const text = await pdfText(await renderMonthlyReport(npmBrowser, data, '1 March 2026'), 'npm-browser');
      for (const expected of ['February 2026', 'Harbour Lettings', 'Top 10 expenses'])
        expect(text).toContain(expected);
    } finally {
      await npmBrowser.close();
    }
  });

  it('keeps to the concurrency limit under 6 simultaneous requests and leaves no page open', async () => {
    const token = issuer.token(userId);
    const results = await Promise.all(
      Array.from({ length: 6 }, () =>
        fetch(`${service.url}/export/pdf?month=2026-01`, { headers: { authorization: `Bearer ${token}` } }),
      ),
    );
    for (const res of results) {
      expect(res.status).toBe(200);
      expect(
        Buffer.from(await res.arrayBuffer())
          .subarray(0, 5)
          .toString('latin1'),
      ).toBe('%PDF-');
    }
    // The service's own renderer (PDF_CONCURRENCY=2) is asked how many pages were ever open at once.
    expect(service.parts.renderer.peakActive).toBe(2);
    expect(service.parts.renderer.openPages).toBe(0);
  });

  it('relaunches Chromium after it died', async () => {
    const browser = await (service.parts.renderer as any).browser;
    browser.process()?.kill('SIGKILL');
    await waitFor(() => !browser.connected, { description: 'chromium to disconnect' });
    const res = await fetch(`${service.url}/export/pdf?month=2026-02`, {
      headers: { authorization: `Bearer ${issuer.token(userId)}` },
    });
    expect(res.status).toBe(200);
    expect(
      Buffer.from(await res.arrayBuffer())
        .subarray(0, 5)
        .toString('latin1'),
    ).toBe('%PDF-');
  });

  it('gives up after the render timeout with 503, and still closes the page', async () => {
    const impatient = testRenderer({ timeoutMs: 1 });
    try {
      await expect(
        impatient.render('<p>hello</p>', { footerTemplate: '<span></span>' }),
      ).rejects.toMatchObject({ status: 503 });
      await waitFor(() => impatient.openPages === 0, { description: 'the page to close' });
    } finally {
      await impatient.close();
    }
  });

  it('rejects a bad month with 400 naming the field', async () => {
    const res = await httpJson('GET', `${service.url}/export/pdf?month=2026-13`, {
      token: issuer.token(userId),
    });
    expect(res.status).toBe(400);
    expect(res.body.errors[0].field).toBe('query.month');
  });
});

describe('reports started as on a fresh machine (no system package: the browser comes with npm ci)', () => {
  const issuer = new TestTokenIssuer();
  let reports: ReportsService;
  const userId = randomUUID();

  beforeAll(async () => {
    await issuer.start();
    // The machine's browser choice as `npm start` would read it (CHROMIUM_PATH…; else the system's or npm's).
    reports = await startReports('reports_pdf_started', { issuer });
    const giro = randomUUID();
    const deli = randomUUID();
    await apply(
      reports,
      event('auth.user.registered', userId, userId, 1, profile('EUR', 'Europe/Paris')),
      event('ledger.account.created', userId, giro, 1, account('Compte courant', 'EUR', '0')),
      event('ledger.category.created', userId, deli, 1, category('Épicerie fine', '#188038')),
      event(
        'ledger.transaction.created',
        userId,
        randomUUID(),
        1,
        transaction({
          accountId: giro,
          currency: 'EUR',
          amount: '1234.56',
          categoryId: deli,
          date: '2026-02-14',
          description: 'Dîner à 42 € — crème brûlée',
          payee: 'Müller & Söhne',
        }),
      ),
    );
  });

  afterAll(async () => {
    await reports?.close(); // its queues and database too: a stopped service's queue keeps every event the exchange routes
    await issuer.stop();
  });

  it('serves a real PDF from GET /export/pdf, accents and € included, and /readyz shows the renderer up', async () => {
    const res = await fetch(`${reports.url}/export/pdf?month=2026-02`, {
      headers: { authorization: `Bearer ${issuer.token(userId)}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/pdf');
    expect(res.headers.get('cache-control')).toBe('no-store');
    const pdf = Buffer.from(await res.arrayBuffer());
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    const text = await pdfText(pdf, 'started');
    for (const expected of [
      'February 2026',
      'Épicerie fine',
      'Dîner à 42 € — crème brûlée',
      'Müller & Söhne',
    ])
      expect(text).toContain(expected);
    expect(text).toContain(displayAmount(123456n, 'EUR'));

    const ready = await httpJson('GET', `${reports.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({
      status: 'ready',
      checks: { db: 'up', broker: 'up', events: 'up', pdf_renderer: 'up' },
    });
  });
});

describe('reports started where no browser can be had', () => {
  const issuer = new TestTokenIssuer();
  let reports: ReportsService;
  const userId = randomUUID();
  const storedReportId = randomUUID();

  beforeAll(async () => {
    await issuer.start();
    // CHROMIUM_PATH=/nonexistent (an explicit path that does not exist is an error, not a
    // fall-back) and CHROMIUM_BUNDLED=false (the npm browser is off).
    reports = await startReports('reports_pdf_nobrowser', { issuer, browser: false });
    const acct = randomUUID();
    await apply(
      reports,
      event('auth.user.registered', userId, userId, 1, profile('EUR', 'Europe/Paris')),
      event('ledger.account.created', userId, acct, 1, account('Giro', 'EUR', '0')),
      event(
        'ledger.transaction.created',
        userId,
        randomUUID(),
        1,
        transaction({ accountId: acct, currency: 'EUR', amount: '12.50', date: '2026-02-03' }),
      ),
    );
    // A report generated earlier, when the server still had a browser.
    await reports.dataSource.query(
      `INSERT INTO monthly_reports (id, user_id, month, currency, income_minor, expense_minor, pdf)
       VALUES ($1, $2, '2026-01', 'EUR', 0, 0, $3)`,
      [storedReportId, userId, Buffer.from('%PDF-1.7 stored')],
    );
  });

  afterAll(async () => {
    await reports?.close(); // its queues and database too: a stopped service's queue keeps every event the exchange routes
    await issuer.stop();
  });

  it('answers GET /export/pdf with 503 problem+json saying so, with Retry-After, never 500', async () => {
    for (const month of ['2026-02', '2025-12']) {
      const res = await httpJson('GET', `${reports.url}/export/pdf?month=${month}`, {
        token: issuer.token(userId),
      });
      expect(res.status).toBe(503);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(res.body).toMatchObject({ status: 503, title: 'Service Unavailable' });
      expect(res.body.detail).toMatch(/^PDF rendering is unavailable on this server/);
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    }
  });

  it('stays ready, showing the renderer as degraded, and serves analytics, CSV and stored PDFs', async () => {
    await waitFor(
      async () => (await httpJson('GET', `${reports.url}/readyz`)).body.checks?.pdf_renderer === 'degraded',
      { description: 'the renderer to be found missing' },
    );
    const ready = await httpJson('GET', `${reports.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(ready.body.status).toBe('degraded');
    expect(ready.body.checks).toEqual({ db: 'up', broker: 'up', events: 'up', pdf_renderer: 'degraded' });

    const token = issuer.token(userId);
    const spending = await httpJson(
      'GET',
      `${reports.url}/analytics/spending?from=2026-02-01&to=2026-02-28`,
      {
        token,
      },
    );
    expect(spending.status).toBe(200);
    const csv = await fetch(`${reports.url}/export/csv?from=2026-02-01&to=2026-02-28`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(csv.status).toBe(200);
    expect(await csv.text()).toContain('12.50');
    const stored = await fetch(`${reports.url}/reports/${storedReportId}/pdf`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(stored.status).toBe(200);
    expect(stored.headers.get('cache-control')).toBe('no-store');
    expect(Buffer.from(await stored.arrayBuffer()).toString('latin1')).toBe('%PDF-1.7 stored');
  });
});
