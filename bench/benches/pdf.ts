import { DEFAULT_RETRY_DELAYS_MS, parseConfig, startService } from '@finance/shared';
import { deleteTestQueues, startTestBroker, testLogger } from '@finance/shared/testing';
import reports from '../../services/reports/src/service';
import type { Bench } from '../lib/context';
import { median, percentile, round, timed } from '../lib/stats';

const CONCURRENCY = 2; // PDF_CONCURRENCY's default

/**
 * 7. The monthly PDF with a warm browser, and 10 requests at once. A second reports replica is
 * started in this process from its definition (on the system's reports database, verifying tokens
 * against the real auth JWKS, its own queues) so its renderer can be asked how many pages were ever
 * open at once and how many are left open.
 */
export const pdfBench: Bench = {
  name: 'pdf',
  title: '7. PDF monthly report: p50 warm, 10 concurrent within the limit, no leaked pages',
  async run(ctx) {
    const system = await ctx.system();
    const user = await ctx.sizedUser(10_000);
    const consumerName = `${system.run}_pdf_reports`;
    const service = await startService(reports, {
      config: parseConfig(reports.configSchema, {
        ...process.env,
        PORT: '0',
        HOST: '127.0.0.1',
        DATABASE_URL: system.databases.reports,
        JWKS_URL: `${system.children.auth.url}/.well-known/jwks.json`,
        PDF_CONCURRENCY: String(CONCURRENCY),
        REPORTS_CRON: 'off',
        LOG_LEVEL: 'warn',
      }),
      consumerName,
      logger: testLogger('bench-pdf'),
    });
    const { renderer } = service.parts;
    const pdf = async () => {
      const res = await fetch(`${service.url}/export/pdf?month=2025-06`, {
        headers: { authorization: `Bearer ${user.token}` },
      });
      const body = Buffer.from(await res.arrayBuffer());
      if (res.status !== 200 || body.subarray(0, 5).toString() !== '%PDF-')
        throw new Error(`PDF → ${res.status} ${body.subarray(0, 200).toString()}`);
      return body.length;
    };
    try {
      await renderer.warmUp();
      await pdf(); // the first render also warms templates and fonts
      const times: number[] = [];
      for (let i = 0; i < (ctx.quick ? 5 : 15); i++) times.push((await timed(pdf)).ms);
      const p50 = median(times);
      ctx.record({
        measure: 'render p50, warm browser',
        value: round(p50, 0),
        unit: 'ms',
        target: '≤ 1000 ms',
        met: p50 <= 1000,
        detail: `p90 ${round(percentile(times, 90), 0)} ms over ${times.length} sequential renders (month of a 10,000-row user)`,
      });
      const burst = await timed(() => Promise.all(Array.from({ length: 10 }, pdf)));
      const peak = renderer.peakActive;
      const open = renderer.openPages;
      ctx.record({
        measure: '10 concurrent: all 200, peak pages ≤ limit, none left open',
        value: peak,
        unit: `pages at peak (limit ${CONCURRENCY})`,
        target: `≤ ${CONCURRENCY}, 0 open after`,
        met: peak <= CONCURRENCY && open === 0,
        detail: `10 PDFs in ${round(burst.ms, 0)} ms; open pages after: ${open}`,
      });
    } finally {
      await service.stop();
      const broker = await startTestBroker('bench-pdf-cleanup');
      await deleteTestQueues(broker, consumerName, DEFAULT_RETRY_DELAYS_MS.length);
      await broker.stop();
    }
  },
};
