/** The bank-file readers the import pipeline calls: one per format, all yielding StatementItems. */
export {
  readCsv,
  csvMappingSchema,
  DEFAULT_DIRECTION_VALUES,
  type CsvMapping,
  type CsvReadOptions,
} from './csv';
export { readOfx, type OfxReadOptions } from './ofx';
export { readCamt, type CamtReadOptions } from './camt';
export { DATE_FORMATS, type DateFormat } from './dates';
export { ENCODINGS, type Encoding } from './text';
export * from './statement';
