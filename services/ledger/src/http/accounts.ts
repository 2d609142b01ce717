import {
  ApiRouter,
  conflict,
  etagHeader,
  ifMatchHeader,
  pageSchema,
  toPage,
  type ServiceContext,
  creationCursorOf,
  creationPosition,
} from '@finance/shared';
import * as accounts from '../use-cases/accounts';
import * as wire from './account-schemas';
import { MERGE_PATCH_DESCRIPTION, idParams, withETag } from './fields';
import { callUseCase, ifMatchOf } from './use-case-calls';

export function accountsRouter(context: ServiceContext): ApiRouter {
  const api = new ApiRouter({ authenticate: context.authenticate });
  const tags = ['accounts'];
  const changed = {
    200: { description: 'Updated', schema: wire.accountSchema, headers: etagHeader },
    400: { description: 'Invalid input (e.g. an opening balance with more decimals than the currency has)' },
    404: { description: 'Not found' },
    409: { description: 'Currency change on an account with transactions' },
    412: { description: 'Stale If-Match' },
  };

  api.post(
    '/accounts',
    {
      summary: 'Create an account',
      tags,
      body: wire.newAccountBody,
      responses: {
        201: { description: 'Created', schema: wire.accountSchema, headers: etagHeader },
        400: { description: 'Invalid input' },
      },
    },
    async ({ body, user }, _req, res) => {
      const created = await callUseCase(wire.ACCOUNT_BODY_PATHS, () =>
        accounts.createAccount(context, user.id, wire.newAccountOf(body)),
      );
      res.location(`/accounts/${created.account.id}`);
      return withETag(res, wire.presentAccount(created));
    },
  );

  api.get(
    '/accounts',
    {
      summary: 'List your accounts with their balances',
      tags,
      query: wire.accountListQuery,
      responses: {
        200: { description: 'A page of accounts, oldest first', schema: pageSchema(wire.accountSchema) },
      },
    },
    async ({ query, user }) => {
      const rows = await accounts.listAccountsPage(context, user.id, {
        archived: query.archived === undefined ? undefined : query.archived === 'true',
        after: creationCursorOf(query.cursor),
        limit: query.limit,
      });
      return toPage(rows, query.limit, (row) => creationPosition(row.account), wire.presentAccount);
    },
  );

  api.get(
    '/accounts/:id',
    {
      summary: 'Get an account and its current balance',
      tags,
      params: idParams,
      responses: {
        200: { description: 'The account', schema: wire.accountSchema, headers: etagHeader },
        404: { description: 'Not found' },
      },
    },
    async ({ params, user }, _req, res) => {
      const found = await callUseCase({}, () => accounts.getAccount(context, user.id, params.id));
      return withETag(res, wire.presentAccount(found));
    },
  );

  api.put(
    '/accounts/:id',
    {
      summary: 'Replace an account',
      description:
        'Name, type and archived are replaced (omitted archived → false). Currency and opening_balance are money history: omitted, they keep their values (an omitted opening balance is never 0); stated, they change. ' +
        'The currency can change only while the account has no transactions.',
      tags,
      params: idParams,
      body: wire.accountReplacementBody,
      headers: ifMatchHeader,
      responses: changed,
    },
    async ({ params, body, user }, req, res) => {
      const replaced = await callUseCase(wire.ACCOUNT_BODY_PATHS, () =>
        accounts.replaceAccount(context, user.id, params.id, wire.accountReplacementOf(body), ifMatchOf(req)),
      );
      return withETag(res, wire.presentAccount(replaced));
    },
  );

  api.patch(
    '/accounts/:id',
    {
      summary: 'Change some fields of an account (e.g. archive it)',
      description: `${MERGE_PATCH_DESCRIPTION} Archive with \`{"archived": true}\`: the balance and history stay as they are.`,
      tags,
      params: idParams,
      body: wire.accountPatchBody,
      headers: ifMatchHeader,
      responses: changed,
    },
    async ({ params, body, user }, req, res) => {
      const patched = await callUseCase(wire.ACCOUNT_BODY_PATHS, () =>
        accounts.patchAccount(context, user.id, params.id, wire.accountPatchOf(body), ifMatchOf(req)),
      );
      return withETag(res, wire.presentAccount(patched));
    },
  );

  api.delete(
    '/accounts/:id',
    {
      summary: 'Delete an empty account',
      description:
        'An account that has transactions cannot be deleted (409); archive it instead with `PATCH {"archived": true}`.',
      tags,
      params: idParams,
      headers: ifMatchHeader,
      responses: {
        204: { description: 'Deleted' },
        404: { description: 'Not found' },
        409: { description: 'The account has transactions' },
        412: { description: 'Stale If-Match' },
      },
    },
    async ({ params, user }, req) => {
      const outcome = await callUseCase({}, () =>
        accounts.deleteAccount(context, user.id, params.id, ifMatchOf(req)),
      );
      if (outcome === 'has-transactions')
        throw conflict(
          `This account has transactions and cannot be deleted; archive it instead (PATCH /accounts/${params.id} with {"archived": true}), which keeps its balance and history`,
        );
      return undefined;
    },
  );

  return api;
}
