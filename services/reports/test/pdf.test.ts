import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { formatMinorUnits } from '@finance/shared';
import {
  TEST_AUDIENCE,
  TEST_ISSUER,
  TestTokenIssuer,
  httpJson,
  startHttpServer,
  testLogger,
  waitFor,
  type RunningServer,
} from '@finance/shared/testing';
import { buildApp } from '../src/app';
import { barChart, niceCeiling } from '../src/pdf/charts/bars';
import { donutChart } from '../src/pdf/charts/donut';
import { escapeXml } from '../src/pdf/charts/svg';
import { displayAmount } from '../src/domain/display';
import { householdEvents } from './fixtures';
import { apply, openTestDb, testRenderer, type TestDb } from './support';

function pdfText(pdf: Buffer, label = 'report'): string {
  const dir = mkdtempSync(join(tmpdir(), 'reports-pdf-'));
  const file = join(dir, 'report.pdf');
  writeFileSync(file, pdf);
  // SAVE_SAMPLE_PDF=/tmp/sample keeps the rendered files to look at (pdftoppm -png).
  if (process.env.SAVE_SAMPLE_PDF) writeFileSync(`${process.env.SAVE_SAMPLE_PDF}-${label}.pdf`, pdf);
  return execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
}

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
});

describe('PDF monthly report', () => {
  const issuer = new TestTokenIssuer();
  const renderer = testRenderer({ concurrency: 2 });
  let db: TestDb;
  let server: RunningServer;
  const userId = randomUUID();
  let household: ReturnType<typeof householdEvents>;

  beforeAll(async () => {
    await issuer.start();
    db = await openTestDb('reports_pdf');
    household = householdEvents(userId);
    await apply(db.dataSource, ...household.events);
    server = await startHttpServer(
      buildApp({
        dataSource: db.dataSource,
        logger: testLogger(),
        renderer,
        auth: { jwksUrl: issuer.jwksUrl, issuer: TEST_ISSUER, audience: TEST_AUDIENCE },
        clock: () => new Date('2026-03-01T09:00:00Z'),
      }),
    );
  });

  afterAll(async () => {
    await server?.close();
    await renderer.close();
    await db?.close();
    await issuer.stop();
  });

  it('renders a valid A4 PDF with the month, totals, categories and top expenses', async () => {
    const res = await fetch(`${server.url}/export/pdf?month=2026-02`, {
      headers: { authorization: `Bearer ${issuer.token(userId)}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/pdf');
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="report-2026-02.pdf"');
    const pdf = Buffer.from(await res.arrayBuffer());
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    const text = pdfText(pdf);
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
    const res = await fetch(`${server.url}/export/pdf?month=2024-06`, {
      headers: { authorization: `Bearer ${issuer.token(userId)}` },
    });
    expect(res.status).toBe(200);
    const text = pdfText(Buffer.from(await res.arrayBuffer()), 'empty');
    expect(text).toContain('June 2024');
    expect(text).toContain('No spending this month.');
    expect(text).toContain('No expenses this month.');
  });

  it('keeps to the concurrency limit under 6 simultaneous requests and leaves no page open', async () => {
    const token = issuer.token(userId);
    const results = await Promise.all(
      Array.from({ length: 6 }, () =>
        fetch(`${server.url}/export/pdf?month=2026-01`, { headers: { authorization: `Bearer ${token}` } }),
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
    expect(renderer.peakActive).toBe(2);
    expect(renderer.openPages).toBe(0);
  });

  it('relaunches Chromium after it died', async () => {
    const browser = await (renderer as any).browser;
    browser.process()?.kill('SIGKILL');
    await waitFor(() => !browser.connected, { description: 'chromium to disconnect' });
    const res = await fetch(`${server.url}/export/pdf?month=2026-02`, {
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
    const res = await httpJson('GET', `${server.url}/export/pdf?month=2026-13`, {
      token: issuer.token(userId),
    });
    expect(res.status).toBe(400);
    expect(res.body.errors[0].field).toBe('query.month');
  });
});
