import { z } from 'zod';
import { singleLineText } from '@finance/shared';
import type { RowProblem } from '../formats/statement';
import type { ImportRecord } from '../data/imports';
import { queryFlag, timestamps } from '../../http/fields';
import { presentTransaction, transactionSchema } from '../../http/transaction-schemas';
import type { ImportOutcome } from '../use-cases/import-statement';
import { presentEffect, ruleEffectSchema } from '../../rules/http/schemas';

export const importQuery = z.object({
  account_id: z.uuid().optional().meta({
    description:
      "The account rows go to (default: the saved mapping's account, else your default account). Rows naming an account (our own export) go to your account of that name.",
  }),
  dry_run: queryFlag(
    '`true`: the full preview (rows, duplicates, problems, the transactions it would create); writes nothing',
  ),
  duplicates: z.enum(['skip', 'import']).default('skip').meta({
    description:
      'What to do with duplicates (see the rule in the README): skip (default) or import them anyway',
  }),
  skip_invalid: queryFlag(
    '`true`: import the valid rows and report the bad ones; otherwise a file with a bad row imports nothing',
  ),
  create_categories: queryFlag(
    '`true`: a category name you have no category for is created; otherwise such a row is a problem',
  ),
  mapping_name: singleLineText({ max: 100 })
    .optional()
    .meta({ description: 'A saved mapping (/import/mappings) to read the file with' }),
});

const problemSchema = z.object({
  line: z.number().int().meta({ description: "The row's first line in the file" }),
  column: z.string().nullable(),
  reason: z.string(),
});

export const importSchema = z
  .object({
    id: z.uuid(),
    status: z.enum(['pending', 'running', 'completed', 'failed', 'undone']),
    format: z.string().meta({ example: 'csv' }),
    file_name: z.string().nullable(),
    account_id: z.uuid().nullable().meta({ description: 'The target account' }),
    rows_total: z.number().int().nullable().meta({ description: 'Rows in the file (null until read)' }),
    rows_done: z.number().int().meta({ description: 'Rows read so far (progress of a background import)' }),
    imported: z.number().int(),
    duplicates: z.number().int(),
    invalid: z.number().int(),
    problems: z
      .array(problemSchema)
      .meta({ description: 'Rows that could not be imported (the first 1,000)' }),
    duplicate_rows: z
      .array(z.object({ line: z.number().int(), reason: z.enum(['external_id', 'same_entry']) }))
      .meta({ description: 'Rows skipped as duplicates (the first 1,000)' }),
    dialect: z
      .record(z.string(), z.unknown())
      .nullable()
      .meta({ description: 'What the reader detected (encoding, separator, …)' }),
    failure: z.string().nullable(),
    finished_at: z.string().nullable(),
    ...timestamps,
  })
  .meta({ id: 'Import' });

export const previewSchema = z
  .object({
    dry_run: z.literal(true),
    account_id: z.uuid(),
    rows_total: z.number().int(),
    imported: z.number().int().meta({ description: 'Transactions it would create' }),
    duplicates: z.number().int(),
    invalid: z.number().int(),
    problems: z.array(problemSchema),
    duplicate_rows: importSchema.shape.duplicate_rows,
    dialect: importSchema.shape.dialect,
    would_import: z
      .boolean()
      .meta({ description: 'False when bad rows would refuse the file (no skip_invalid)' }),
    transactions: z.array(transactionSchema).meta({ description: 'The transactions it would create' }),
    rule_effects: z.array(z.object({ line: z.number().int(), rules: z.array(ruleEffectSchema) })).meta({
      description: 'What your rules did to each row they matched (before duplicates were looked for)',
    }),
  })
  .meta({ id: 'ImportPreview' });

export function presentImport(r: ImportRecord) {
  return {
    id: r.id,
    status: r.status,
    format: r.format,
    file_name: r.fileName,
    account_id: r.accountId,
    rows_total: r.rowsTotal,
    rows_done: r.rowsDone,
    imported: r.imported,
    duplicates: r.duplicates,
    invalid: r.invalid,
    problems: r.problems.problems,
    duplicate_rows: r.problems.duplicates,
    dialect: r.problems.dialect,
    failure: r.failure,
    finished_at: r.finishedAt?.toISOString() ?? null,
    created_at: r.createdAt.toISOString(),
    updated_at: r.updatedAt.toISOString(),
    version: r.version,
  };
}

export function presentPreview(o: ImportOutcome) {
  return {
    dry_run: true as const,
    account_id: o.accountId,
    rows_total: o.rowsTotal,
    imported: o.transactions.length,
    duplicates: o.duplicates.length,
    invalid: o.problems.length,
    problems: o.problems,
    duplicate_rows: o.duplicates,
    dialect: o.dialect,
    would_import: !o.refused,
    transactions: o.transactions.map(presentTransaction),
    rule_effects: o.ruleEffects.map((r) => ({ line: r.line, rules: r.effects.map(presentEffect) })),
  };
}

/** The row problems as a problem+json's `errors` (field `line N: column`). */
export function problemErrors(problems: RowProblem[]) {
  return problems.slice(0, 1_000).map((p) => ({
    field: `file.line[${p.line}]${p.column ? `.${p.column}` : ''}`,
    message: p.reason,
  }));
}
