import { randomUUID } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import type { DataSource, EntityManager } from 'typeorm';
import { z } from 'zod';
import {
  ApiRouter,
  badRequest,
  checkIfMatch,
  currencyCode,
  decimalAmount,
  decodeCursor,
  etagHeader,
  formatMinorUnits,
  HttpProblem,
  ifMatchHeader,
  notFound,
  pageSchema,
  paginationQuery,
  positiveAmount,
  setETag,
  toPage,
  unprocessable,
} from '@finance/shared';
import { defaultAccountOf, findAccount } from '../data/accounts';
import { findCategory } from '../data/categories';
import { type AccountReference, draftReferences } from '../data/draft-references';
import { Transaction } from '../data/entities';
import { claimKey, recordAnswer, storedAnswer } from '../data/idempotency';
import { profileOf } from '../data/profiles';
import { findTransaction, listTransactions, type TransactionFilter } from '../data/transactions';
import { TRANSACTION_TYPES, categoryFits, type TransactionType } from '../domain/categories';
import { todayIn } from '../domain/dates';
import { requestFingerprint } from '../domain/idempotency';
import { TRANSACTION_SORTS, cursorAfter, transactionCursorSchema } from '../domain/transaction-order';
import { currencyProblem, transactionShapeProblems } from '../domain/transactions';
import { publishAccountChange, publishTransactionChange } from '../events/publish';
import { calendarDateInput, idParams, minorUnitsOf, notFoundIn, queryDate, timestamps } from './common';

const tag = z.string().trim().min(1).max(40);
const fields = {
  account_id: z
    .uuid()
    .meta({ description: 'Account; omitted → your default account ("Main account", created on first use)' }),
  amount: positiveAmount.meta({
    description: 'Decimal string or number, > 0, no more decimals than the currency has',
    example: '42.50',
  }),
  currency: currencyCode.meta({
    description: "Defaults to the account's currency (and must equal it for now)",
    example: 'USD',
  }),
  transaction_type: z.enum(TRANSACTION_TYPES).meta({ example: 'expense' }),
  description: z.string().trim().max(500).meta({ example: 'Weekly groceries' }),
  notes: z.string().max(2000).nullable().meta({ example: 'Paid with the shared card' }),
  date: calendarDateInput.meta({
    description: 'Calendar date; defaults to today in your timezone',
    example: '2024-05-31',
  }),
  category_id: z
    .uuid()
    .nullable()
    .meta({ description: 'One of your categories of a fitting kind; null = uncategorised' }),
  payee: z.string().trim().max(200).nullable().meta({ example: 'Corner Market' }),
  tags: z
    .array(tag)
    .max(20)
    .meta({ description: 'Short labels', example: ['family'] }),
  to_account_id: z.uuid().nullable().meta({ description: 'Transfers only: the receiving account' }),
};

const createBody = z.object({
  account_id: fields.account_id.optional(),
  amount: fields.amount,
  currency: fields.currency.optional(),
  transaction_type: fields.transaction_type,
  description: fields.description.default(''),
  notes: fields.notes.optional(),
  date: fields.date.optional(),
  category_id: fields.category_id.optional(),
  payee: fields.payee.optional(),
  tags: fields.tags.optional(),
  to_account_id: fields.to_account_id.optional(),
});
type CreateBody = z.output<typeof createBody>;
const patchBody = z.object({
  account_id: fields.account_id.optional(),
  amount: fields.amount.optional(),
  currency: fields.currency.optional(),
  transaction_type: fields.transaction_type.optional(),
  description: fields.description.optional(),
  notes: fields.notes.optional(),
  date: fields.date.optional(),
  category_id: fields.category_id.optional(),
  payee: fields.payee.optional(),
  tags: fields.tags.optional(),
  to_account_id: fields.to_account_id.optional(),
});

export const transactionSchema = z
  .object({
    id: z.uuid(),
    account_id: z.uuid(),
    to_account_id: z.uuid().nullable(),
    amount: z.string().meta({ example: '42.50' }),
    currency: z.string().meta({ example: 'USD' }),
    base_amount: z.string().meta({ description: 'The amount in your base currency', example: '42.50' }),
    base_currency: z.string().meta({ example: 'USD' }),
    transaction_type: z.enum(TRANSACTION_TYPES),
    description: z.string(),
    notes: z.string().nullable(),
    date: z.string().meta({ example: '2024-05-31' }),
    category_id: z.uuid().nullable(),
    payee: z.string().nullable(),
    tags: z.array(z.string()),
    ...timestamps,
  })
  .meta({ id: 'Transaction' });

export function presentTransaction(t: Transaction) {
  return {
    id: t.id,
    account_id: t.accountId,
    to_account_id: t.toAccountId,
    amount: formatMinorUnits(t.amountMinor, t.currency),
    currency: t.currency,
    base_amount: formatMinorUnits(t.baseAmountMinor, t.baseCurrency),
    base_currency: t.baseCurrency,
    transaction_type: t.type,
    description: t.description,
    notes: t.notes,
    date: t.date,
    category_id: t.categoryId,
    payee: t.payee,
    tags: t.tags,
    created_at: t.createdAt.toISOString(),
    updated_at: t.updatedAt.toISOString(),
    version: t.version,
  };
}
type PresentedTransaction = ReturnType<typeof presentTransaction>;

/** The desired state of a transaction as the client described it (before any lookup). */
interface Draft {
  /** undefined → the user's default account. */
  accountId?: string;
  toAccountId: string | null;
  categoryId: string | null;
  type: TransactionType;
  amount: string;
  /** undefined → the account's currency. */
  currency?: string;
  description: string;
  notes: string | null;
  payee: string | null;
  tags: string[];
  /** undefined → today in the user's timezone. */
  date?: string;
}

type TransactionValues = Omit<Transaction, 'id' | 'userId' | 'version' | 'createdAt' | 'updatedAt'>;

/** Checks a draft against the stored accounts and categories; any id not the caller's is a 404. */
async function resolveDraft(
  manager: EntityManager,
  userId: string,
  draft: Draft,
): Promise<TransactionValues> {
  const shape = transactionShapeProblems({
    type: draft.type,
    accountId: draft.accountId ?? '',
    toAccountId: draft.toAccountId,
    categoryId: draft.categoryId,
  });
  if (shape.length) throw badRequest('The request body is invalid', shape);

  const { profile, accounts, category } = await draftReferences(manager, userId, {
    accountIds: [draft.accountId, draft.toAccountId].filter((id): id is string => Boolean(id)),
    categoryId: draft.categoryId,
  });
  let account: AccountReference | undefined;
  if (draft.accountId) {
    account = accounts.get(draft.accountId);
    if (!account) throw notFoundIn('Account', 'body.account_id');
  } else {
    const found = await defaultAccountOf(manager, userId, profile.baseCurrency);
    if (found.created) await publishAccountChange(manager, 'created', found.account);
    account = found.account;
  }
  let toAccount;
  if (draft.toAccountId) {
    if (draft.toAccountId === account.id)
      throw badRequest('The request body is invalid', [
        { field: 'body.to_account_id', message: 'Must differ from account_id' },
      ]);
    toAccount = accounts.get(draft.toAccountId);
    if (!toAccount) throw notFoundIn('Account', 'body.to_account_id');
  }
  for (const [a, field] of [
    [account, 'body.account_id'],
    [toAccount, 'body.to_account_id'],
  ] as const) {
    if (a?.archived)
      throw new HttpProblem(
        409,
        `The account "${a.name}" is archived and takes no transactions; unarchive it first`,
        {
          errors: [{ field, message: 'Account is archived' }],
        },
      );
  }

  const currency = draft.currency ?? account.currency;
  const amountMinor = minorUnitsOf(draft.amount, currency, 'body.amount');
  const money = currencyProblem(currency, account, toAccount ?? undefined, profile.baseCurrency);
  if (money) throw unprocessable(money.message, [money]);

  if (draft.categoryId) {
    if (!category) throw notFoundIn('Category', 'body.category_id');
    if (!categoryFits(category.kind, draft.type))
      throw unprocessable(
        `The category "${category.name}" is for ${category.kind} transactions, not ${draft.type}`,
        [{ field: 'body.category_id', message: `A ${category.kind} category cannot hold a ${draft.type}` }],
      );
  }

  return {
    accountId: account.id,
    toAccountId: toAccount?.id ?? null,
    categoryId: draft.categoryId,
    type: draft.type,
    amountMinor: amountMinor.toString(),
    currency,
    // Same currency as the base (enforced above) until exchange rates arrive: base = amount.
    baseAmountMinor: amountMinor.toString(),
    baseCurrency: profile.baseCurrency,
    description: draft.description,
    notes: draft.notes,
    payee: draft.payee,
    tags: [...new Set(draft.tags)],
    date: draft.date ?? todayIn(profile.timezone),
  };
}

function draftFromBody(body: CreateBody, accountId: string | undefined): Draft {
  return {
    accountId,
    toAccountId: body.to_account_id ?? null,
    categoryId: body.category_id ?? null,
    type: body.transaction_type,
    amount: body.amount,
    currency: body.currency,
    description: body.description,
    notes: body.notes ?? null,
    payee: body.payee ?? null,
    tags: body.tags ?? [],
    date: body.date,
  };
}

async function createTransaction(
  manager: EntityManager,
  userId: string,
  body: CreateBody,
): Promise<Transaction> {
  const values = await resolveDraft(manager, userId, draftFromBody(body, body.account_id));
  const now = new Date();
  const t = manager.create(Transaction, {
    ...values,
    id: randomUUID(),
    userId,
    version: 1,
    createdAt: now,
    updatedAt: now,
  });
  await manager.insert(Transaction, t);
  await publishTransactionChange(manager, 'created', t);
  return t;
}

/** Applies a new state to a locked transaction (If-Match checked), bumping its version. */
async function replaceTransaction(
  manager: EntityManager,
  t: Transaction,
  values: TransactionValues,
): Promise<Transaction> {
  Object.assign(t, values, { version: t.version + 1, updatedAt: new Date() });
  await manager.save(Transaction, t);
  await publishTransactionChange(manager, 'updated', t);
  return t;
}

class KeyAlreadyClaimed extends Error {}

const idempotencyKeySchema = z.string().min(1).max(255);

function replay(res: Response, answer: { status: number | null; body: unknown }) {
  const body = answer.body as PresentedTransaction;
  setETag(res, body.version);
  res.set('Idempotent-Replayed', 'true');
  res.location(`/transactions/${body.id}`);
  res.status(answer.status ?? 201).json(body);
}

const keyReusedProblem = () =>
  unprocessable('This Idempotency-Key was already used with a different request body', [
    {
      field: 'header.Idempotency-Key',
      message: 'Reused with a different body; use a new key for a new transaction',
    },
  ]);

export function transactionsRouter(dataSource: DataSource, authenticate: RequestHandler): ApiRouter {
  const api = new ApiRouter({ authenticate });
  const tags = ['Transactions'];

  api.post(
    '/transactions',
    {
      summary: 'Record a transaction',
      description:
        'Seed-V1 bodies `{amount, description, transaction_type, date}` work unchanged: without account_id the transaction goes to your default account. ' +
        'With an `Idempotency-Key` header (≤ 255 chars), a retry with the same body gets the same answer and creates nothing new (24 h); the same key with another body answers 422.',
      tags,
      body: createBody,
      headers: {
        'Idempotency-Key': { description: 'Makes retries safe: same key + same body → same answer, once' },
      },
      responses: {
        201: { description: 'Created', schema: transactionSchema, headers: etagHeader },
        400: { description: 'Invalid input (e.g. more decimals than the currency has)' },
        404: { description: 'account_id / to_account_id / category_id is not yours' },
        409: { description: 'The account is archived' },
        422: {
          description: 'Currency or category kind does not fit, or Idempotency-Key reused with another body',
        },
      },
    },
    async ({ body, user }, req, res) => {
      const key = req.header('idempotency-key');
      if (key !== undefined && !idempotencyKeySchema.safeParse(key).success)
        throw badRequest('The Idempotency-Key header is invalid', [
          { field: 'header.Idempotency-Key', message: 'Must be 1 to 255 characters' },
        ]);
      const fingerprint = requestFingerprint(req.body);
      if (key !== undefined) {
        const earlier = await storedAnswer(dataSource.manager, user.id, key);
        if (earlier) {
          if (earlier.requestHash !== fingerprint) throw keyReusedProblem();
          if (earlier.status !== null) return replay(res, earlier);
        }
      }
      let created: PresentedTransaction;
      try {
        created = await dataSource.transaction(async (manager) => {
          if (key !== undefined && !(await claimKey(manager, user.id, key, fingerprint)))
            throw new KeyAlreadyClaimed();
          const presented = presentTransaction(await createTransaction(manager, user.id, body));
          if (key !== undefined) await recordAnswer(manager, user.id, key, 201, presented);
          return presented;
        });
      } catch (error) {
        if (!(error instanceof KeyAlreadyClaimed) || key === undefined) throw error;
        // A concurrent request with this key committed first: answer as it did.
        const winner = await storedAnswer(dataSource.manager, user.id, key);
        if (!winner || winner.status === null)
          throw new HttpProblem(409, 'A request with this Idempotency-Key is in progress');
        if (winner.requestHash !== fingerprint) throw keyReusedProblem();
        return replay(res, winner);
      }
      setETag(res, created.version);
      res.location(`/transactions/${created.id}`);
      return created;
    },
  );

  api.get(
    '/transactions',
    {
      summary: 'List your transactions',
      description:
        "Keyset pagination: pass the previous page's next_cursor (cursors are bound to their sort). Amount sort and filters use your base currency.",
      tags,
      query: z.object({
        ...paginationQuery,
        sort: z
          .enum(TRANSACTION_SORTS)
          .default('-date')
          .meta({ description: 'date, -date (default), amount or -amount; ties by id' }),
        from: queryDate.optional().meta({ description: 'On or after this date' }),
        to: queryDate.optional().meta({ description: 'On or before this date' }),
        transaction_type: z.enum(TRANSACTION_TYPES).optional(),
        account_id: z.uuid().optional().meta({ description: 'Either side of a transfer counts' }),
        category_id: z
          .union([z.uuid(), z.literal('uncategorized')])
          .optional()
          .meta({ description: 'A category id or `uncategorized`' }),
        min_amount: decimalAmount.optional().meta({ description: 'Inclusive, in your base currency' }),
        max_amount: decimalAmount.optional().meta({ description: 'Inclusive, in your base currency' }),
        q: z
          .string()
          .trim()
          .min(1)
          .max(100)
          .optional()
          .meta({ description: 'Text in description, payee or notes (case-insensitive)' }),
        tag: tag.optional().meta({ description: 'Only transactions carrying this tag' }),
      }),
      responses: { 200: { description: 'A page of transactions', schema: pageSchema(transactionSchema) } },
    },
    async ({ query, user }) => {
      const manager = dataSource.manager;
      if (query.from && query.to && query.from > query.to)
        throw badRequest('from is after to', [{ field: 'query.from', message: 'Must be on or before `to`' }]);
      const { baseCurrency } = await profileOf(manager, user.id);
      const filter: TransactionFilter = {
        from: query.from,
        to: query.to,
        type: query.transaction_type,
        text: query.q,
        tag: query.tag,
      };
      if (query.min_amount !== undefined)
        filter.minBaseAmount = minorUnitsOf(query.min_amount, baseCurrency, 'query.min_amount');
      if (query.max_amount !== undefined)
        filter.maxBaseAmount = minorUnitsOf(query.max_amount, baseCurrency, 'query.max_amount');
      if (
        filter.minBaseAmount !== undefined &&
        filter.maxBaseAmount !== undefined &&
        filter.minBaseAmount > filter.maxBaseAmount
      )
        throw badRequest('min_amount is above max_amount', [
          { field: 'query.min_amount', message: 'Must not exceed max_amount' },
        ]);
      if (query.account_id) {
        if (!(await findAccount(manager, user.id, query.account_id)))
          throw notFoundIn('Account', 'query.account_id');
        filter.accountId = query.account_id;
      }
      if (query.category_id === 'uncategorized') filter.categoryId = null;
      else if (query.category_id) {
        if (!(await findCategory(manager, user.id, query.category_id)))
          throw notFoundIn('Category', 'query.category_id');
        filter.categoryId = query.category_id;
      }
      let after;
      if (query.cursor) {
        after = decodeCursor(query.cursor, transactionCursorSchema);
        if (after.s !== query.sort)
          throw badRequest('The cursor belongs to another sort order', [
            { field: 'query.cursor', message: `This cursor was made for sort=${after.s}` },
          ]);
      }
      const rows = await listTransactions(manager, user.id, filter, query.sort, after, query.limit);
      return toPage(rows, query.limit, (t) => cursorAfter(query.sort, t), presentTransaction);
    },
  );

  api.get(
    '/transactions/:id',
    {
      summary: 'Get a transaction',
      tags,
      params: idParams,
      responses: {
        200: { description: 'The transaction', schema: transactionSchema, headers: etagHeader },
        404: { description: 'Not found' },
      },
    },
    async ({ params, user }, _req, res) => {
      const t = await findTransaction(dataSource.manager, user.id, params.id);
      if (!t) throw notFound('Transaction');
      setETag(res, t.version);
      return presentTransaction(t);
    },
  );

  const updateResponses = {
    200: { description: 'Updated', schema: transactionSchema, headers: etagHeader },
    400: { description: 'Invalid input' },
    404: { description: 'Not found (or a referenced id is not yours)' },
    409: { description: 'The account is archived' },
    412: { description: 'Stale If-Match' },
    422: { description: 'Currency or category kind does not fit' },
  };

  async function update(
    req: Request,
    res: Response,
    userId: string,
    id: string,
    next: (t: Transaction) => Draft | undefined,
  ) {
    const t = await dataSource.transaction(async (manager) => {
      const current = await findTransaction(manager, userId, id, { lock: true });
      if (!current) throw notFound('Transaction');
      checkIfMatch(req, current.version);
      const draft = next(current);
      if (!draft) return current; // nothing to change: no new version, no event
      return replaceTransaction(manager, current, await resolveDraft(manager, userId, draft));
    });
    setETag(res, t.version);
    return presentTransaction(t);
  }

  api.put(
    '/transactions/:id',
    {
      summary: 'Replace a transaction',
      description:
        'All updatable fields are replaced; omitted optional ones are reset (notes, payee, category, tags). Without account_id the transaction stays in its account.',
      tags,
      params: idParams,
      body: createBody,
      headers: ifMatchHeader,
      responses: updateResponses,
    },
    async ({ params, body, user }, req, res) =>
      update(req, res, user.id, params.id, (current) =>
        draftFromBody(body, body.account_id ?? current.accountId),
      ),
  );

  api.patch(
    '/transactions/:id',
    {
      summary: 'Change some fields of a transaction',
      description:
        'JSON merge semantics: only the given fields change, `null` clears a nullable one. Turning a transfer into income/expense drops its to_account_id; turning one into a transfer drops its category.',
      tags,
      params: idParams,
      body: patchBody,
      headers: ifMatchHeader,
      responses: updateResponses,
    },
    async ({ params, body, user }, req, res) =>
      update(req, res, user.id, params.id, (current) => {
        if (Object.values(body).every((v) => v === undefined)) return undefined;
        const type = body.transaction_type ?? current.type;
        const accountChanged = body.account_id !== undefined && body.account_id !== current.accountId;
        return {
          accountId: body.account_id ?? current.accountId,
          toAccountId:
            body.to_account_id !== undefined
              ? body.to_account_id
              : type === 'transfer'
                ? current.toAccountId
                : null,
          categoryId:
            body.category_id !== undefined
              ? body.category_id
              : type === 'transfer'
                ? null
                : current.categoryId,
          type,
          amount: body.amount ?? formatMinorUnits(current.amountMinor, current.currency),
          currency: body.currency ?? (accountChanged ? undefined : current.currency),
          description: body.description ?? current.description,
          notes: body.notes !== undefined ? body.notes : current.notes,
          payee: body.payee !== undefined ? body.payee : current.payee,
          tags: body.tags ?? current.tags,
          date: body.date ?? current.date,
        };
      }),
  );

  api.delete(
    '/transactions/:id',
    {
      summary: 'Delete a transaction',
      tags,
      params: idParams,
      headers: ifMatchHeader,
      responses: {
        204: { description: 'Deleted' },
        404: { description: 'Not found' },
        412: { description: 'Stale If-Match' },
      },
    },
    async ({ params, user }, req) => {
      await dataSource.transaction(async (manager) => {
        const t = await findTransaction(manager, user.id, params.id, { lock: true });
        if (!t) throw notFound('Transaction');
        checkIfMatch(req, t.version);
        await manager.delete(Transaction, { id: t.id, userId: user.id });
        await publishTransactionChange(manager, 'deleted', t);
      });
      return undefined;
    },
  );

  return api;
}
