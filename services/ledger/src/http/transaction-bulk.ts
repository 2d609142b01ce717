import {
  ApiRouter,
  HttpProblem,
  checkIfMatchValue,
  idempotencyKeyHeader,
  idempotencyKeyOf,
  problemDocument,
  runIdempotently,
  sendIdempotentAnswer,
  type ServiceContext,
} from '@finance/shared';
import { RuleViolation } from '../domain/problems';
import {
  MAX_BULK_OPERATIONS,
  applyBulk,
  type BulkOperation,
  type BulkOutcome,
} from '../use-cases/transaction-bulk';
import type { VersionCheck } from '../use-cases/version-check';
import * as wire from './transaction-schemas';
import {
  bulkAnswerSchema,
  bulkBody,
  bulkQuery,
  type BulkAnswer,
  type BulkOperationBody,
  type BulkResult,
} from './transaction-bulk-schemas';
import { problemOf } from './use-case-calls';

const PATH = '/transactions/bulk';

/** Where operation `index` sits in the request body: `body.operations[3]`. */
const at = (index: number) => `body.operations[${index}]`;

/** An operation's If-Match as its version check: a stale one is a 412 naming the operation's `if_match`. */
function versionCheckOf(ifMatch: string | undefined, index: number): VersionCheck {
  return (currentVersion) => {
    try {
      checkIfMatchValue(ifMatch, currentVersion);
    } catch (error) {
      if (!(error instanceof HttpProblem)) throw error;
      throw new HttpProblem(error.status, error.detail, {
        errors: [{ field: `${at(index)}.if_match`, message: `Not the current version (${currentVersion})` }],
      });
    }
  };
}

function operationOf(body: BulkOperationBody, index: number): BulkOperation {
  switch (body.op) {
    case 'create':
      return { op: 'create', draft: wire.draftOf(body.body) };
    case 'patch':
      return {
        op: 'patch',
        id: body.id,
        patch: wire.patchOf(body.body),
        check: versionCheckOf(body.if_match, index),
        force: body.force ?? false,
      };
    case 'delete':
      return {
        op: 'delete',
        id: body.id,
        check: versionCheckOf(body.if_match, index),
        force: body.force ?? false,
      };
  }
}

/** The single routes' field paths, inside operation `index`: `body.operations[3].body.amount`. */
function wirePathsOf(index: number): Record<string, string> {
  return Object.fromEntries(
    Object.entries(wire.TRANSACTION_BODY_PATHS).map(([field, path]) => [field, `${at(index)}.${path}`]),
  );
}

const SUCCESS_STATUS = { create: 201, patch: 200, delete: 204 } as const;

function resultOf(outcome: BulkOutcome, index: number): BulkResult {
  const { op } = outcome.operation;
  if (outcome.ok)
    return {
      index,
      op,
      id: outcome.transaction.id,
      status: SUCCESS_STATUS[op],
      ...(op === 'delete' ? {} : { body: wire.presentTransaction(outcome.transaction) }),
    };
  const problem =
    outcome.failure instanceof RuleViolation
      ? problemOf(outcome.failure, wirePathsOf(index))
      : outcome.failure;
  return { index, op, id: null, status: problem.status, problem: problemDocument(problem) };
}

/** A successful operation of an atomic request that failed: undone with the rest. */
function undone(result: BulkResult): BulkResult {
  const problem = new HttpProblem(424, 'Not applied: another operation of this atomic request failed', {
    title: 'Failed Dependency',
  });
  return { index: result.index, op: result.op, id: null, status: 424, problem: problemDocument(problem) };
}

/**
 * The answer of an atomic request with a failed operation, thrown so the DB transaction rolls
 * back: the first failure's status, every failure's field errors, and every operation's result.
 */
function atomicFailure(results: BulkResult[]): HttpProblem {
  const failures = results.filter((r) => r.problem);
  const first = failures[0];
  return new HttpProblem(
    first.status,
    `${failures.length} of ${results.length} operations failed (the first: operation ${first.index}, ${first.problem!.detail}); the request is atomic, so nothing was changed`,
    {
      errors: failures.flatMap((r) => r.problem!.errors ?? []),
      extensions: {
        atomic: true,
        succeeded: 0,
        failed: failures.length,
        results: results.map((r) => (r.problem ? r : undone(r))),
      },
    },
  );
}

/**
 * More operations than one request may carry: the 400 the schema's bound would give (as one past
 * every documented bound is), but found before thousands of operations are validated one by one.
 */
function tooManyOperations(): HttpProblem {
  return new HttpProblem(400, 'The request body is invalid', {
    errors: [{ field: 'body.operations', message: `At most ${MAX_BULK_OPERATIONS} operations` }],
  });
}

export function transactionBulkRouter(context: ServiceContext): ApiRouter {
  const api = new ApiRouter({ authenticate: context.authenticate });

  api.router.post(PATH, (req, _res, next) => {
    const operations = (req.body as { operations?: unknown } | undefined)?.operations;
    next(
      Array.isArray(operations) && operations.length > MAX_BULK_OPERATIONS ? tooManyOperations() : undefined,
    );
  });

  api.post(
    PATH,
    {
      summary: 'Create, change and delete many transactions in one request',
      description:
        `Up to ${MAX_BULK_OPERATIONS} operations — \`create\` (a POST /transactions body), \`patch\` (an id, its optional \`if_match\`, a PATCH body), \`delete\` (an id, its optional \`if_match\`) — applied in order in one database transaction, each checked exactly as its single route checks it. ` +
        'By default each operation stands alone (a failing one is undone, the others kept) and the answer is **207** with every result: `{index, op, id, status, body | problem}`, `status` being what the single route would have answered. ' +
        'With `?atomic=true` one failing operation fails the request: nothing changes, and the answer is that first failure’s status as problem+json, with `results` listing every operation (those that would have succeeded: 424). ' +
        'The same id twice is applied twice, in order. Another user’s id is a 404 for that operation. With an `Idempotency-Key`, a retry with the same body and query gets the stored answer; the same key with another request answers 422.',
      tags: ['transactions'],
      body: bulkBody,
      query: bulkQuery,
      headers: idempotencyKeyHeader,
      responses: {
        207: { description: 'Every operation’s result (default mode)', schema: bulkAnswerSchema },
        200: { description: 'Atomic: every operation succeeded', schema: bulkAnswerSchema },
        400: {
          description: `Invalid body (names the operation’s field; more than ${MAX_BULK_OPERATIONS} operations: body.operations), or an atomic request’s first failure`,
        },
        404: { description: 'Atomic: an operation’s transaction, account or category is not yours' },
        409: { description: 'Atomic: an operation touches an archived account' },
        412: { description: 'Atomic: an operation’s if_match is stale' },
        413: { description: 'A body over 100 kB' },
        422: {
          description:
            'Atomic: currency or category kind does not fit; or the Idempotency-Key was reused with another request',
        },
      },
    },
    async ({ body, query, user }, req, res) => {
      const operations = body.operations.map(operationOf);
      const request = {
        scope: `POST ${PATH}`,
        userId: user.id,
        key: idempotencyKeyOf(req),
        // The mode is part of the request the key is bound to.
        body: { atomic: query.atomic, operations: (req.body as { operations: unknown }).operations },
      };
      const answer = await applyBulk(context, user.id, operations, (apply) =>
        runIdempotently(context.dataSource, request, async (manager) => {
          const results = (await apply(manager)).map(resultOf);
          const failed = results.filter((r) => r.problem).length;
          if (query.atomic && failed > 0) throw atomicFailure(results);
          const answered: BulkAnswer = {
            atomic: query.atomic,
            succeeded: results.length - failed,
            failed,
            results,
          };
          return { status: query.atomic ? 200 : 207, body: answered };
        }),
      );
      sendIdempotentAnswer(res, answer);
    },
  );

  return api;
}
