import {
  ApiRouter,
  DATE_DOMAIN,
  decodeCursor,
  formatMinorUnits,
  localDate,
  notFound,
  pageSchema,
  paginationQuery,
  toPage,
  type ServiceContext,
} from '@finance/shared';
import type { Response } from 'express';
import { z } from 'zod';
import type { ReportsConfig } from '../config';
import { savingsRate } from '../domain/analytics';
import { generatedOn } from '../domain/display';
import { listReports, reportPdf } from '../data/monthly-reports';
import { loadMonthlyReport, renderMonthlyReport } from '../pdf/monthly-report';
import type { PdfRenderer } from '../pdf/renderer';
import { callerSettings } from './caller-settings';

const monthParam = z
  .string()
  .regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'Must be a month YYYY-MM')
  .refine(
    (month) => `${month}-01` >= DATE_DOMAIN.min.slice(0, 7) + '-01' && `${month}-01` <= DATE_DOMAIN.max,
    `Must be a month from ${DATE_DOMAIN.min.slice(0, 7)} to ${DATE_DOMAIN.max.slice(0, 7)}`,
  )
  .meta({ example: '2026-02' });

/** A PDF answer; personal data, so no cache (browser or shared) keeps a copy. */
const pdfAnswer = {
  description: 'The PDF',
  contentType: 'application/pdf',
  headers: { 'Cache-Control': { description: '`no-store`: personal data, kept by no cache' } },
};

function sendPdf(res: Response, pdf: Buffer, fileName: string): void {
  res.status(200);
  res.setHeader('content-type', 'application/pdf');
  res.setHeader('content-disposition', `attachment; filename="${fileName}"`);
  res.setHeader('cache-control', 'no-store');
  res.setHeader('content-length', String(pdf.length));
  res.end(pdf);
}

/** The PDF export (rendered with the service's warm browser) and the stored monthly reports. */
export function reportsRouter(
  context: ServiceContext<ReportsConfig>,
  parts: { renderer: PdfRenderer },
): ApiRouter {
  const { dataSource: db, clock } = context;
  const { renderer } = parts;
  const api = new ApiRouter({ authenticate: context.authenticate });

  api.get(
    '/export/pdf',
    {
      summary: 'Monthly report as PDF',
      description:
        'Totals, spending by category, daily spending, the last 6 months and the top 10 expenses of one month, rendered on demand. Default month: the current one in your timezone.',
      tags: ['exports'],
      query: z.strictObject({ month: monthParam.optional() }),
      responses: {
        200: pdfAnswer,
        503: {
          description:
            'PDF rendering is unavailable on this server (it has no working browser), or the render did not finish in time',
          headers: { 'Retry-After': { description: 'Seconds until the server looks for a browser again' } },
        },
      },
    },
    async ({ query, user }, _req, res) => {
      // Before any query: without a browser there is nothing to render the month into.
      renderer.assertAvailable();
      const settings = await callerSettings(context, user.id);
      const now = clock();
      const month = query.month ?? localDate(now, settings.timezone).slice(0, 7);
      const data = await loadMonthlyReport(db, user.id, month);
      const pdf = await renderMonthlyReport(renderer, data, generatedOn(now, settings.timezone));
      sendPdf(res, pdf, `report-${month}.pdf`);
      return undefined;
    },
  );

  const storedReport = z.object({
    id: z.uuid(),
    month: z.string(),
    created_at: z.string(),
    currency: z.string(),
    income: z.string(),
    expense: z.string(),
    net: z.string(),
    savings_rate: z.string().nullable(),
  });

  api.get(
    '/reports',
    {
      summary: 'Stored monthly reports',
      description: 'Reports generated on the 1st of each month (in your timezone), newest month first.',
      tags: ['reports'],
      query: z.strictObject(paginationQuery),
      responses: { 200: { description: 'A page of reports', schema: pageSchema(storedReport) } },
    },
    async ({ query, user }) => {
      const after = query.cursor
        ? decodeCursor(query.cursor, z.object({ month: z.string(), id: z.uuid() }))
        : undefined;
      const rows = await listReports(db, user.id, after, query.limit);
      return toPage(
        rows,
        query.limit,
        (r) => ({ month: r.month, id: r.id }),
        (r) => {
          const income = BigInt(r.income_minor);
          const expense = BigInt(r.expense_minor);
          return {
            id: r.id,
            month: r.month,
            created_at: r.created_at.toISOString(),
            currency: r.currency,
            income: formatMinorUnits(income, r.currency),
            expense: formatMinorUnits(expense, r.currency),
            net: formatMinorUnits(income - expense, r.currency),
            savings_rate: savingsRate(income, expense),
          };
        },
      );
    },
  );

  api.get(
    '/reports/:id/pdf',
    {
      summary: 'A stored monthly report',
      description: 'The PDF as it was generated; served from the database, so no browser is needed.',
      tags: ['reports'],
      params: z.object({ id: z.uuid() }),
      responses: {
        200: pdfAnswer,
        404: { description: 'No such report of yours' },
      },
    },
    async ({ params, user }, _req, res) => {
      const report = await reportPdf(db, user.id, params.id);
      if (!report) throw notFound('Report');
      sendPdf(res, report.pdf, `report-${report.month}.pdf`);
      return undefined;
    },
  );
  return api;
}
