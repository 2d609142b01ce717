import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { DataSource, EntityManager } from 'typeorm';
import { z } from 'zod';
import {
  ApiRouter,
  checkIfMatch,
  conflict,
  currencyCode,
  cursorTimestamp,
  decimalAmount,
  decodeCursor,
  etagHeader,
  formatMinorUnits,
  ifMatchHeader,
  notFound,
  pageSchema,
  paginationQuery,
  setETag,
  toPage,
} from '@finance/shared';
import { accountHasTransactions, balancesOf, findAccount } from '../data/accounts';
import { ACCOUNT_TYPES, Account } from '../data/entities';
import { profileOf } from '../data/profiles';
import { publishAccountChange } from '../events/publish';
import { idParams, minorUnitsOf, timestamps } from './common';

const accountFields = {
  name: z.string().trim().min(1).max(100).meta({ example: 'Everyday checking' }),
  type: z.enum(ACCOUNT_TYPES).meta({ description: 'Kind of account', example: 'checking' }),
  currency: currencyCode
    .optional()
    .meta({ description: 'ISO 4217 code; defaults to your base currency', example: 'EUR' }),
  opening_balance: decimalAmount.default('0').meta({
    description: 'Balance before the first transaction; may be negative (loans, credit cards)',
    example: '250.00',
  }),
  archived: z.boolean().default(false).meta({ description: 'Archived accounts take no new transactions' }),
};
const accountBody = z.object(accountFields);

export const accountSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    type: z.enum(ACCOUNT_TYPES),
    currency: z.string().meta({ example: 'EUR' }),
    opening_balance: z.string().meta({ example: '250.00' }),
    balance: z
      .string()
      .meta({ description: 'opening + income − expense − transfers out + transfers in', example: '1234.56' }),
    archived: z.boolean(),
    ...timestamps,
  })
  .meta({ id: 'Account' });

function present(a: Account, balance: bigint) {
  return {
    id: a.id,
    name: a.name,
    type: a.type,
    currency: a.currency,
    opening_balance: formatMinorUnits(a.openingBalanceMinor, a.currency),
    balance: formatMinorUnits(balance, a.currency),
    archived: a.archived,
    created_at: a.createdAt.toISOString(),
    updated_at: a.updatedAt.toISOString(),
    version: a.version,
  };
}

async function presentOne(manager: EntityManager, a: Account) {
  const balances = await balancesOf(manager, a.userId, [a]);
  return present(a, balances.get(a.id) ?? BigInt(a.openingBalanceMinor));
}

const cursorSchema = z.object({ c: cursorTimestamp, id: z.uuid() });

export function accountsRouter(dataSource: DataSource, authenticate: RequestHandler): ApiRouter {
  const api = new ApiRouter({ authenticate });
  const tags = ['Accounts'];

  api.post(
    '/accounts',
    {
      summary: 'Create an account',
      tags,
      body: accountBody,
      responses: {
        201: { description: 'Created', schema: accountSchema, headers: etagHeader },
        400: { description: 'Invalid input' },
      },
    },
    async ({ body, user }, _req, res) => {
      const account = await dataSource.transaction(async (manager) => {
        const currency = body.currency ?? (await profileOf(manager, user.id)).baseCurrency;
        const now = new Date();
        const a = manager.create(Account, {
          id: randomUUID(),
          userId: user.id,
          name: body.name,
          type: body.type,
          currency,
          openingBalanceMinor: minorUnitsOf(
            body.opening_balance,
            currency,
            'body.opening_balance',
          ).toString(),
          archived: body.archived,
          isDefault: false,
          version: 1,
          createdAt: now,
          updatedAt: now,
        });
        await manager.insert(Account, a);
        await publishAccountChange(manager, 'created', a);
        return presentOne(manager, a);
      });
      setETag(res, account.version);
      res.location(`/accounts/${account.id}`);
      return account;
    },
  );

  api.get(
    '/accounts',
    {
      summary: 'List your accounts with their balances',
      tags,
      query: z.object({
        ...paginationQuery,
        archived: z
          .enum(['true', 'false'])
          .optional()
          .meta({ description: 'Only archived (true) or only active (false)' }),
      }),
      responses: {
        200: { description: 'A page of accounts, oldest first', schema: pageSchema(accountSchema) },
      },
    },
    async ({ query, user }) => {
      const manager = dataSource.manager;
      const qb = manager.createQueryBuilder(Account, 'a').where('a.user_id = :userId', { userId: user.id });
      if (query.archived) qb.andWhere('a.archived = :archived', { archived: query.archived === 'true' });
      if (query.cursor) {
        const after = decodeCursor(query.cursor, cursorSchema);
        qb.andWhere('(a.created_at, a.id) > (CAST(:c AS timestamptz), CAST(:id AS uuid))', after);
      }
      const rows = await qb
        .orderBy('a.createdAt', 'ASC')
        .addOrderBy('a.id', 'ASC')
        .limit(query.limit + 1)
        .getMany();
      const balances = await balancesOf(manager, user.id, rows);
      return toPage(
        rows,
        query.limit,
        (a) => ({ c: a.createdAt.toISOString(), id: a.id }),
        (a) => present(a, balances.get(a.id) ?? BigInt(a.openingBalanceMinor)),
      );
    },
  );

  api.get(
    '/accounts/:id',
    {
      summary: 'Get an account and its current balance',
      tags,
      params: idParams,
      responses: {
        200: { description: 'The account', schema: accountSchema, headers: etagHeader },
        404: { description: 'Not found' },
      },
    },
    async ({ params, user }, _req, res) => {
      const a = await findAccount(dataSource.manager, user.id, params.id);
      if (!a) throw notFound('Account');
      setETag(res, a.version);
      return presentOne(dataSource.manager, a);
    },
  );

  api.put(
    '/accounts/:id',
    {
      summary: 'Replace an account',
      description:
        'All fields are replaced (omitted optional ones take their defaults). The currency can change only while the account has no transactions.',
      tags,
      params: idParams,
      body: accountBody,
      headers: ifMatchHeader,
      responses: {
        200: { description: 'Updated', schema: accountSchema, headers: etagHeader },
        404: { description: 'Not found' },
        409: { description: 'Currency change on an account with transactions' },
        412: { description: 'Stale If-Match' },
      },
    },
    async ({ params, body, user }, req, res) => {
      const account = await dataSource.transaction(async (manager) => {
        const a = await findAccount(manager, user.id, params.id, { lock: 'update' });
        if (!a) throw notFound('Account');
        checkIfMatch(req, a.version);
        const currency = body.currency ?? a.currency;
        if (currency !== a.currency && (await accountHasTransactions(manager, user.id, a.id)))
          throw conflict('The currency of an account with transactions cannot change', [
            { field: 'body.currency', message: `Must stay ${a.currency} while the account has transactions` },
          ]);
        Object.assign(a, {
          name: body.name,
          type: body.type,
          currency,
          openingBalanceMinor: minorUnitsOf(
            body.opening_balance,
            currency,
            'body.opening_balance',
          ).toString(),
          archived: body.archived,
          version: a.version + 1,
          updatedAt: new Date(),
        });
        await manager.save(Account, a);
        await publishAccountChange(manager, 'updated', a);
        return presentOne(manager, a);
      });
      setETag(res, account.version);
      return account;
    },
  );

  api.delete(
    '/accounts/:id',
    {
      summary: 'Delete an empty account',
      description: 'An account that has transactions cannot be deleted (409); archive it instead.',
      tags,
      params: idParams,
      headers: ifMatchHeader,
      responses: {
        204: { description: 'Deleted' },
        404: { description: 'Not found' },
        409: { description: 'The account has transactions' },
      },
    },
    async ({ params, user }, req) => {
      await dataSource.transaction(async (manager) => {
        const a = await findAccount(manager, user.id, params.id, { lock: 'update' });
        if (!a) throw notFound('Account');
        checkIfMatch(req, a.version);
        if (await accountHasTransactions(manager, user.id, a.id))
          throw conflict(
            'This account has transactions and cannot be deleted; archive it instead (PUT with "archived": true)',
          );
        await manager.delete(Account, { id: a.id, userId: user.id });
        await publishAccountChange(manager, 'deleted', a);
      });
      return undefined;
    },
  );

  return api;
}
