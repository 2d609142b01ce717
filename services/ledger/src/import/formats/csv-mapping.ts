import { z } from 'zod';
import { DATE_FORMATS } from './dates';
import { ENCODINGS } from './text';

/** Values of a direction column that mean money out / money in, unless the mapping names its own. */
export const DEFAULT_DIRECTION_VALUES = {
  debit: ['Af', 'D', 'Debit', 'DBIT', 'Dr', 'S', 'Soll', '-'],
  credit: ['Bij', 'C', 'Credit', 'CRDT', 'Cr', 'H', 'Haben', '+'],
} as const;

const column = z
  .union([
    z.string().trim().min(1, 'a column name must not be empty').max(200),
    z.int().min(1, 'column numbers start at 1').max(1000),
  ])
  .describe(
    'A column: its header text (compared without case and surrounding spaces), or its 1-based ' +
      'number (the only way when header is false)',
  );

const columnsSchema = z
  .object({
    date: column.describe('The booking date'),
    amount: column
      .optional()
      .describe('One signed amount (negative = money out); with direction: the unsigned amount'),
    debit: column.optional().describe('Money out, in its own column (needs credit)'),
    credit: column.optional().describe('Money in, in its own column (needs debit)'),
    direction: column
      .optional()
      .describe('Says whether amount is money out or in (values: direction_values); needs amount'),
    description: z
      .union([column, z.array(column).min(1).max(10)])
      .optional()
      .describe('Text of the entry; several columns are joined with a space'),
    payee: column.optional().describe('The counterparty'),
    category: column.optional().describe("A category name, matched to the user's categories"),
    notes: column.optional(),
    external_id: column.optional().describe("The bank's own id of the entry (duplicates are found by it)"),
    currency: column.optional().describe("ISO 4217 code of the amount; absent: the account's currency"),
  })
  .strict()
  .superRefine((columns, ctx) => {
    const split = columns.debit !== undefined || columns.credit !== undefined;
    if (columns.amount === undefined && !split)
      ctx.addIssue({ code: 'custom', path: ['amount'], message: 'map amount, or debit and credit' });
    if (columns.amount !== undefined && split)
      ctx.addIssue({ code: 'custom', path: ['amount'], message: 'map amount or debit and credit, not both' });
    if (split && columns.debit === undefined)
      ctx.addIssue({ code: 'custom', path: ['debit'], message: 'credit needs a debit column too' });
    if (split && columns.credit === undefined)
      ctx.addIssue({ code: 'custom', path: ['credit'], message: 'debit needs a credit column too' });
    if (columns.direction !== undefined && columns.amount === undefined)
      ctx.addIssue({ code: 'custom', path: ['direction'], message: 'direction needs an amount column' });
  })
  .describe('Which column holds what');

const values = z.array(z.string().trim().min(1).max(50)).min(1).max(20);

/**
 * How to read a bank's CSV. Only `columns` is needed: the separator, encoding, header line, date
 * format and decimal separator are detected when not given (docs/import-formats.md). No mapping
 * at all: the file must be our own export (reports' `GET /export/csv`).
 */
export const csvMappingSchema = z
  .object({
    columns: columnsSchema,
    header: z
      .boolean()
      .optional()
      .describe('false: the file has no header row (columns by number); default true'),
    delimiter: z
      .enum([',', ';', '\t', '|'])
      .optional()
      .describe('The field separator; default: a leading sep= line, else detected'),
    encoding: z
      .enum(ENCODINGS)
      .optional()
      .describe('default: detected (BOM, else UTF-8 if valid, else Windows-1252)'),
    date_format: z
      .enum(DATE_FORMATS)
      .optional()
      .describe('default: detected when only one format fits the dates'),
    decimal_separator: z
      .enum(['.', ','])
      .optional()
      .describe('default: detected from the amounts (1.234,56 → ","); asked when they do not tell'),
    direction_values: z
      .object({
        debit: values.describe('Values meaning money out (case ignored)'),
        credit: values.describe('Values meaning money in (case ignored)'),
      })
      .strict()
      .optional()
      .describe(
        `Values of the direction column; default debit ${DEFAULT_DIRECTION_VALUES.debit.join(' ')}, ` +
          `credit ${DEFAULT_DIRECTION_VALUES.credit.join(' ')}`,
      ),
  })
  .strict()
  .describe("A bank CSV's column mapping and, optionally, its dialect");
export type CsvMapping = z.infer<typeof csvMappingSchema>;
export type CsvColumnRef = string | number;
