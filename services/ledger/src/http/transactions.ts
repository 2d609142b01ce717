import {
  ApiRouter,
  decodeCursor,
  etagHeader,
  idempotencyKeyHeader,
  idempotencyKeyOf,
  ifMatchHeader,
  pageSchema,
  runIdempotently,
  sendIdempotentAnswer,
  setETag,
  toPage,
  type ServiceContext,
} from '@finance/shared';
import { cursorAfter, transactionCursorSchema } from '../domain/transaction-order';
import * as transactions from '../use-cases/transactions';
import { MERGE_PATCH_DESCRIPTION, idParams, withETag } from './fields';
import * as wire from './transaction-schemas';
import { callUseCase, ifMatchOf } from './use-case-calls';
import { forceQuery } from '../reconciliation/http/schemas';

/** Where a reconciled transaction's lock violation names its fields (`force` for a deletion). */
const LOCKED_PATHS = { ...wire.TRANSACTION_BODY_PATHS, force: 'query.force' };

export function transactionsRouter(context: ServiceContext): ApiRouter {
  const api = new ApiRouter({ authenticate: context.authenticate });
  const tags = ['transactions'];
  const changed = {
    200: { description: 'Updated', schema: wire.transactionSchema, headers: etagHeader },
    400: { description: 'Invalid input' },
    404: { description: 'Not found (or a referenced id is not yours)' },
    409: {
      description:
        'The account is archived, or the transaction is reconciled and the change touches a locked field (send ?force=true)',
    },
    412: { description: 'Stale If-Match' },
    422: { description: 'Currency or category kind does not fit, or cleared set to reconciled' },
  };
  const lockNote =
    " A reconciled transaction's amount, currency, date, account_id, to_account_id, transaction_type and cleared are locked: changing one answers 409 unless `?force=true`, which does it and audits it (GET /transactions/{id}/audit); description, payee, category, notes and tags stay free.";

  api.post(
    '/transactions',
    {
      summary: 'Record a transaction',
      description:
        'Seed-V1 bodies `{amount, description, transaction_type, date}` work unchanged: without account_id the transaction goes to your default account. ' +
        'With an `Idempotency-Key` header (≤ 255 chars), a retry with the same body gets the same answer and creates nothing new (24 h); the same key with another body answers 422.',
      tags,
      body: wire.transactionBody,
      headers: idempotencyKeyHeader,
      responses: {
        201: { description: 'Created', schema: wire.transactionSchema, headers: etagHeader },
        400: { description: 'Invalid input (e.g. more decimals than the currency has)' },
        404: { description: 'account_id / to_account_id / category_id is not yours' },
        409: { description: 'The account is archived' },
        422: {
          description: 'Currency or category kind does not fit, or Idempotency-Key reused with another body',
        },
      },
    },
    async ({ body, user }, req, res) => {
      const request = {
        scope: 'POST /transactions',
        userId: user.id,
        key: idempotencyKeyOf(req),
        body: req.body,
      };
      const answer = await callUseCase(wire.TRANSACTION_BODY_PATHS, () =>
        transactions.createTransaction(context, user.id, wire.draftOf(body), (record) =>
          runIdempotently(context.dataSource, request, async (manager) => ({
            status: 201,
            body: wire.presentTransaction(await record(manager)),
          })),
        ),
      );
      setETag(res, answer.body.version);
      res.location(`/transactions/${answer.body.id}`);
      sendIdempotentAnswer(res, answer);
    },
  );

  api.get(
    '/transactions',
    {
      summary: 'List your transactions',
      description:
        "Keyset pagination: pass the previous page's next_cursor (cursors are bound to their sort). Amount sort and filters use your base currency.",
      tags,
      query: wire.transactionListQuery,
      responses: {
        200: { description: 'A page of transactions', schema: pageSchema(wire.transactionSchema) },
      },
    },
    async ({ query, user }) => {
      const rows = await callUseCase(wire.TRANSACTION_LIST_PATHS, () =>
        transactions.listTransactionsPage(context, user.id, {
          filter: wire.filterOf(query),
          sort: query.sort,
          after: query.cursor ? decodeCursor(query.cursor, transactionCursorSchema) : undefined,
          limit: query.limit,
        }),
      );
      return toPage(rows, query.limit, (t) => cursorAfter(query.sort, t), wire.presentTransaction);
    },
  );

  api.get(
    '/transactions/:id',
    {
      summary: 'Get a transaction',
      tags,
      params: idParams,
      responses: {
        200: { description: 'The transaction', schema: wire.transactionSchema, headers: etagHeader },
        404: { description: 'Not found' },
      },
    },
    async ({ params, user }, _req, res) => {
      const t = await callUseCase({}, () => transactions.getTransaction(context, user.id, params.id));
      return withETag(res, wire.presentTransaction(t));
    },
  );

  api.put(
    '/transactions/:id',
    {
      summary: 'Replace a transaction',
      description:
        'All updatable fields are replaced; omitted optional ones are reset (notes, payee, category, tags). Without account_id the transaction stays in its account, without date on its date, without cleared at its status.' +
        lockNote,
      tags,
      params: idParams,
      query: forceQuery,
      body: wire.transactionBody,
      headers: ifMatchHeader,
      responses: changed,
    },
    async ({ params, query, body, user }, req, res) => {
      const t = await callUseCase(LOCKED_PATHS, () =>
        transactions.replaceTransaction(context, user.id, params.id, wire.draftOf(body), ifMatchOf(req), {
          force: query.force === 'true',
        }),
      );
      return withETag(res, wire.presentTransaction(t));
    },
  );

  api.patch(
    '/transactions/:id',
    {
      summary: 'Change some fields of a transaction',
      description: `${MERGE_PATCH_DESCRIPTION} Turning a transfer into income/expense drops its to_account_id; turning one into a transfer drops its category.${lockNote}`,
      tags,
      params: idParams,
      query: forceQuery,
      body: wire.transactionPatchBody,
      headers: ifMatchHeader,
      responses: changed,
    },
    async ({ params, query, body, user }, req, res) => {
      const t = await callUseCase(LOCKED_PATHS, () =>
        transactions.patchTransaction(context, user.id, params.id, wire.patchOf(body), ifMatchOf(req), {
          force: query.force === 'true',
        }),
      );
      return withETag(res, wire.presentTransaction(t));
    },
  );

  api.delete(
    '/transactions/:id',
    {
      summary: 'Delete a transaction',
      description:
        'A reconciled transaction is deleted only with `?force=true` (409 otherwise), and the deletion is audited (GET /transactions/{id}/audit).',
      tags,
      params: idParams,
      query: forceQuery,
      headers: ifMatchHeader,
      responses: {
        204: { description: 'Deleted' },
        404: { description: 'Not found' },
        409: { description: 'The transaction is reconciled (send ?force=true)' },
        412: { description: 'Stale If-Match' },
      },
    },
    async ({ params, query, user }, req) => {
      await callUseCase(LOCKED_PATHS, () =>
        transactions.deleteTransaction(context, user.id, params.id, ifMatchOf(req), {
          force: query.force === 'true',
        }),
      );
      return undefined;
    },
  );

  return api;
}
