import { ApiRouter, formatMinorUnits, localDate, type ServiceContext } from '@finance/shared';
import type { Response } from 'express';
import { z } from 'zod';
import type { ReportsConfig } from '../config';
import { completeRange } from '../domain/calendar';
import {
  CSV_BASE_COLUMNS,
  CSV_COLUMNS,
  CSV_HEADER,
  csvRecords,
  encodeTags,
  type CsvExportRecord,
} from '../domain/csv';
import { exportBatch, type ExportRow } from '../data/export-queries';
import { callerSettings } from './caller-settings';
import { requireOwnIds } from './id-filters';
import { accountIdParam, categoryIdParam, checkRequestedRange, rangeQuery } from './query-schemas';

export const EXPORT_BATCH_SIZE = 2_000;

function toCsvRecord(row: ExportRow): CsvExportRecord {
  return {
    date: row.date,
    transaction_type: row.type,
    amount: formatMinorUnits(BigInt(row.amount_minor), row.currency),
    currency: row.currency,
    account: row.account ?? '',
    to_account: row.to_account ?? '',
    category: row.category ?? '',
    description: row.description,
    payee: row.payee ?? '',
    notes: row.notes ?? '',
    tags: encodeTags(row.tags),
    base_amount: formatMinorUnits(BigInt(row.base_amount_minor), row.base_currency),
    base_currency: row.base_currency,
    transaction_id: row.id,
    split_part: row.split_part === null ? '' : String(row.split_part),
  };
}

/** Resolves once the socket wants more, or the client went away (then there is no point going on). */
function drained(res: Response): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.once('drain', done);
    res.once('close', done);
  });
}

export function exportRouter(context: ServiceContext<ReportsConfig>): ApiRouter {
  const { dataSource: db, clock, logger, readYourWrites } = context;
  const api = new ApiRouter({ authenticate: context.authenticate });
  api.get(
    '/export/csv',
    {
      summary: 'Export transactions as CSV',
      description:
        `RFC 4180 CSV (UTF-8, CRLF, header row), streamed in (date, id) order. Columns: ${CSV_COLUMNS.join(', ')} — exactly what POST /import/csv accepts — ` +
        `then ${CSV_BASE_COLUMNS.join(', ')}: the amount in your base currency as the ledger recorded it (at the rate of the transaction's date; informative, an import converts again). ` +
        "Amounts are positive decimals in the transaction's own currency. Every other cell that starts with = + - @ tab CR (or their full-width forms) or ' gets a leading ' so no spreadsheet runs it as a formula; an importer strips one leading ' from such a cell. " +
        'Tags are a JSON array of strings (empty cell: no tags).',
      tags: ['exports'],
      query: z.strictObject({
        ...rangeQuery,
        account_id: accountIdParam
          .optional()
          .meta({ description: 'Only this account of yours (as source or transfer target); 404 otherwise' }),
        category_id: categoryIdParam.optional(),
        transaction_type: z.enum(['income', 'expense', 'transfer']).optional(),
      }),
      responses: {
        200: { description: 'The CSV file', contentType: 'text/csv' },
        404: { description: 'account_id / category_id is not one of yours' },
      },
    },
    async ({ query, user }, _req, res) => {
      const requested = checkRequestedRange(query);
      await requireOwnIds(readYourWrites, db.manager, user.id, query);
      const settings = await callerSettings(context, user.id);
      const range = completeRange(requested, localDate(clock(), settings.timezone));
      const filters = {
        ...range,
        accountId: query.account_id,
        categoryId: query.category_id === 'uncategorized' ? null : query.category_id,
        type: query.transaction_type,
      };
      // The first batch is read before answering, so a database error is still a clean problem+json.
      let batch = await exportBatch(db, user.id, filters, null, EXPORT_BATCH_SIZE);
      res.status(200);
      res.setHeader('content-type', 'text/csv; charset=utf-8');
      res.setHeader(
        'content-disposition',
        `attachment; filename="transactions-${range.from}-to-${range.to}.csv"`,
      );
      res.setHeader('cache-control', 'no-store');
      res.write(CSV_HEADER);
      try {
        for (;;) {
          if (batch.length > 0 && !res.write(csvRecords(batch.map(toCsvRecord)))) await drained(res);
          if (batch.length < EXPORT_BATCH_SIZE || res.destroyed) break;
          const last = batch[batch.length - 1];
          batch = await exportBatch(
            db,
            user.id,
            filters,
            { date: last.date, id: last.id },
            EXPORT_BATCH_SIZE,
          );
        }
        res.end();
      } catch (error) {
        // Headers are gone; cutting the connection tells the client the file is incomplete.
        logger.error({ err: error }, 'CSV export failed mid-stream');
        res.destroy(error instanceof Error ? error : undefined);
      }
      return undefined;
    },
  );
  return api;
}
