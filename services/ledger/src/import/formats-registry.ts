import { csvMappingSchema, readCsv, type CsvMapping } from './formats/csv';
import { readCamt } from './formats/camt';
import { readOfx } from './formats/ofx';
import type { StatementFormat } from './http/routes';

/**
 * The statement formats the ledger imports, each one `POST /import/{format}` over the one pipeline
 * (service.ts registers every entry's route and gives its reader to the jobs). Only CSV takes a
 * mapping: OFX and camt.053 name their fields themselves (docs/import-formats.md).
 */
export const csvFormat: StatementFormat & { mappingSchema: typeof csvMappingSchema } = {
  format: 'csv',
  reader: (input, options) =>
    readCsv(input, { maxRows: options.maxRows, mapping: (options.mapping ?? null) as CsvMapping | null }),
  mappingSchema: csvMappingSchema,
  mediaType: 'text/csv',
  summary: 'Import transactions from a CSV file',
};

const ofxFormat: StatementFormat = {
  format: 'ofx',
  reader: (input, options) => readOfx(input, { maxRows: options.maxRows }),
  mappingSchema: null,
  mediaType: 'application/x-ofx',
  summary:
    'Import transactions from an OFX or QFX statement (OFX 1.x SGML or 2.x XML); FITID is the external id',
};

const camtFormat: StatementFormat = {
  format: 'camt',
  reader: (input, options) => readCamt(input, { maxRows: options.maxRows }),
  mappingSchema: null,
  mediaType: 'application/xml',
  summary:
    'Import booked entries from an ISO 20022 camt.053 bank-to-customer statement (001.02–001.08); AcctSvcrRef is the external id',
};

export const statementFormats: StatementFormat[] = [csvFormat, ofxFormat, camtFormat];
