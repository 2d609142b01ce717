import { csvMappingSchema, readCsv, type CsvMapping } from './formats/csv';
import type { StatementFormat } from './http/routes';

/**
 * The statement formats the ledger imports, each one `POST /import/{format}` over the one pipeline.
 * OFX and CAMT.053 join here when their readers land:
 * `{ format: 'ofx', reader: readOfx, mappingSchema: null, mediaType: 'application/x-ofx', summary: … }`
 * in `statementFormats` (service.ts registers every entry's route and gives its reader to the jobs).
 */
export const csvFormat: StatementFormat & { mappingSchema: typeof csvMappingSchema } = {
  format: 'csv',
  reader: (input, options) =>
    readCsv(input, { maxRows: options.maxRows, mapping: (options.mapping ?? null) as CsvMapping | null }),
  mappingSchema: csvMappingSchema,
  mediaType: 'text/csv',
  summary: 'Import transactions from a CSV file',
};

export const statementFormats: StatementFormat[] = [csvFormat];
