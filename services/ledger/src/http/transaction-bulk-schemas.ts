import { z } from 'zod';
import { MAX_BULK_OPERATIONS } from '../use-cases/transaction-bulk';
import { queryFlag } from './fields';
import { transactionBody, transactionPatchBody, transactionSchema } from './transaction-schemas';

const ifMatch = z.string().min(1).max(200).meta({
  description:
    'The ETag last read (`"3"`, or bare `3`), as the If-Match header of PATCH/DELETE: a stale one fails this operation with 412. Omit to change unconditionally.',
  example: '"3"',
});

const transactionId = z.uuid().meta({ description: 'One of your transactions' });

const force = z.boolean().optional().meta({
  description:
    'As `?force=true` on the single route: change the locked fields of (or delete) a reconciled transaction, audited. Default false: that operation fails with 409.',
});

// The single routes' own body schemas, strict as the router makes a route's body: one definition
// of what POST /transactions and PATCH /transactions/{id} take.
const createOperation = z
  .object({
    op: z.literal('create'),
    body: transactionBody.strict().meta({ description: 'A POST /transactions body' }),
  })
  .strict();
const patchOperation = z
  .object({
    op: z.literal('patch'),
    id: transactionId,
    if_match: ifMatch.optional(),
    force,
    body: transactionPatchBody
      .strict()
      .meta({ description: 'A PATCH /transactions/{id} body (JSON merge patch)' }),
  })
  .strict();
const deleteOperation = z
  .object({ op: z.literal('delete'), id: transactionId, if_match: ifMatch.optional(), force })
  .strict();

export const bulkBody = z.object({
  operations: z
    .array(z.discriminatedUnion('op', [createOperation, patchOperation, deleteOperation]))
    .min(1)
    .max(MAX_BULK_OPERATIONS)
    .meta({
      description: `1 to ${MAX_BULK_OPERATIONS} operations, applied in order`,
      example: [
        { op: 'create', body: { amount: '12.50', transaction_type: 'expense', description: 'Lunch' } },
        {
          op: 'patch',
          id: '01900000-0000-7000-8000-000000000001',
          if_match: '"2"',
          body: { category_id: '01900000-0000-7000-8000-0000000000c1' },
        },
        { op: 'delete', id: '01900000-0000-7000-8000-000000000002' },
      ],
    }),
});

export type BulkBody = z.output<typeof bulkBody>;
export type BulkOperationBody = BulkBody['operations'][number];

export const bulkQuery = z.object({
  atomic: queryFlag(
    '`true`: all or nothing — one failing operation and nothing changes (the answer is that operation’s 4xx, listing every result); default: each operation on its own, answered 207',
  ),
});

const itemProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    errors: z
      .array(
        z.object({
          field: z.string().meta({ example: 'body.operations[3].body.category_id' }),
          message: z.string(),
        }),
      )
      .optional(),
  })
  .meta({ id: 'BulkOperationProblem', description: 'Why the operation did nothing (RFC 9457 members)' });

export const bulkResultSchema = z
  .object({
    index: z.number().int().meta({ description: "The operation's position in `operations`, from 0" }),
    op: z.enum(['create', 'patch', 'delete']),
    id: z
      .uuid()
      .nullable()
      .meta({ description: 'The transaction it created, changed or deleted; null when it did nothing' }),
    status: z.number().int().meta({
      description:
        'What the single route would have answered: 201, 200, 204, 400, 404, 409, 412, 422; 424 in a failed atomic request for an operation that would have succeeded',
      example: 200,
    }),
    body: transactionSchema
      .optional()
      .meta({ description: 'The transaction as created or changed (201, 200)' }),
    problem: itemProblemSchema.optional(),
  })
  .meta({ id: 'BulkOperationResult' });

export const bulkAnswerSchema = z.object({
  atomic: z.boolean(),
  succeeded: z.number().int(),
  failed: z.number().int(),
  results: z.array(bulkResultSchema),
});

export type BulkResult = z.input<typeof bulkResultSchema>;
export type BulkAnswer = z.input<typeof bulkAnswerSchema>;
