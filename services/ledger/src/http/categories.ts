import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import { In, type DataSource, type EntityManager } from 'typeorm';
import { z } from 'zod';
import {
  ApiRouter,
  checkIfMatch,
  conflict,
  decodeCursor,
  etagHeader,
  HttpProblem,
  ifMatchHeader,
  notFound,
  pageSchema,
  paginationQuery,
  setETag,
  toPage,
  unprocessable,
} from '@finance/shared';
import { changedRows } from '@finance/shared';
import { findCategory, hasChildren, isDuplicateCategoryName, transactionTypesIn } from '../data/categories';
import { Category, Transaction } from '../data/entities';
import { CATEGORY_KINDS, kindAcceptsAll, parentProblems } from '../domain/categories';
import { publishCategoryChange, publishCategoryDeleted, publishTransactionChange } from '../events/publish';
import { idParams, notFoundIn, timestamps } from './common';

const categoryBody = z.object({
  name: z
    .string()
    .trim()
    .min(1)
    .max(60)
    .meta({ description: 'Unique per user, case-insensitive', example: 'Groceries' }),
  color: z
    .string()
    .regex(/^#[0-9A-Fa-f]{6}$/, 'Must be a hex colour like #4CAF50')
    .transform((c) => c.toUpperCase())
    .meta({ description: 'Hex colour #RRGGBB', example: '#4CAF50' }),
  icon: z.string().trim().min(1).max(60).nullable().optional().meta({ example: 'shopping-cart' }),
  kind: z.enum(CATEGORY_KINDS).default('both').meta({
    description: 'Which transactions may use it: expense, income or both (default both)',
    example: 'expense',
  }),
  parent_id: z
    .uuid()
    .nullable()
    .optional()
    .meta({ description: 'Parent category (one level of nesting only)' }),
});
type CategoryBody = z.output<typeof categoryBody>;

export const categorySchema = z
  .object({
    id: z.uuid(),
    name: z.string().meta({ example: 'Groceries' }),
    color: z.string().meta({ example: '#4CAF50' }),
    icon: z.string().nullable(),
    kind: z.enum(CATEGORY_KINDS),
    parent_id: z.uuid().nullable(),
    ...timestamps,
  })
  .meta({ id: 'Category' });

function present(c: Category) {
  return {
    id: c.id,
    name: c.name,
    color: c.color,
    icon: c.icon,
    kind: c.kind,
    parent_id: c.parentId,
    created_at: c.createdAt.toISOString(),
    updated_at: c.updatedAt.toISOString(),
    version: c.version,
  };
}

const duplicateName = () =>
  conflict('You already have a category with this name', [
    { field: 'body.name', message: 'A category with this name already exists (names are case-insensitive)' },
  ]);

/** Checks a proposed parent: the caller's own (else 404) and nesting one level deep (else 422). */
async function checkParent(
  manager: EntityManager,
  userId: string,
  categoryId: string | null,
  parentId: string,
) {
  const parent = await findCategory(manager, userId, parentId);
  if (!parent) throw notFoundIn('Category', 'body.parent_id');
  const problems = parentProblems({
    categoryId,
    parentId,
    parentsParentId: parent.parentId,
    hasChildren: categoryId !== null && (await hasChildren(manager, userId, categoryId)),
  });
  if (problems.length) throw unprocessable(problems[0].message, problems);
}

async function saving<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (isDuplicateCategoryName(error)) throw duplicateName();
    throw error;
  }
}

export function categoriesRouter(dataSource: DataSource, authenticate: RequestHandler): ApiRouter {
  const api = new ApiRouter({ authenticate });
  const tags = ['Categories'];

  api.post(
    '/categories',
    {
      summary: 'Create a category',
      tags,
      body: categoryBody,
      responses: {
        201: { description: 'Created', schema: categorySchema, headers: etagHeader },
        404: { description: 'parent_id is not one of your categories' },
        409: { description: 'Name already used' },
        422: { description: 'Parent is itself a sub-category' },
      },
    },
    async ({ body, user }, _req, res) => {
      const category = await saving(() =>
        dataSource.transaction(async (manager) => {
          if (body.parent_id) await checkParent(manager, user.id, null, body.parent_id);
          const now = new Date();
          const c = manager.create(Category, {
            id: randomUUID(),
            userId: user.id,
            name: body.name,
            color: body.color,
            icon: body.icon ?? null,
            kind: body.kind,
            parentId: body.parent_id ?? null,
            version: 1,
            createdAt: now,
            updatedAt: now,
          });
          await manager.insert(Category, c);
          await publishCategoryChange(manager, 'created', c);
          return c;
        }),
      );
      setETag(res, category.version);
      res.location(`/categories/${category.id}`);
      return present(category);
    },
  );

  api.get(
    '/categories',
    {
      summary: 'List your categories',
      tags,
      query: z.object({
        ...paginationQuery,
        kind: z.enum(CATEGORY_KINDS).optional().meta({ description: 'Only categories of this kind' }),
      }),
      responses: { 200: { description: 'A page of categories by name', schema: pageSchema(categorySchema) } },
    },
    async ({ query, user }) => {
      const qb = dataSource.manager
        .createQueryBuilder(Category, 'c')
        .where('c.user_id = :userId', { userId: user.id });
      if (query.kind) qb.andWhere('c.kind = :kind', { kind: query.kind });
      if (query.cursor) {
        const after = decodeCursor(query.cursor, z.object({ n: z.string(), id: z.uuid() }));
        qb.andWhere('(lower(c.name), c.id) > (:n, CAST(:id AS uuid))', after);
      }
      const rows = await qb
        .orderBy('lower(c.name)', 'ASC')
        .addOrderBy('c.id', 'ASC')
        .limit(query.limit + 1)
        .getMany();
      return toPage(rows, query.limit, (c) => ({ n: c.name.toLowerCase(), id: c.id }), present);
    },
  );

  api.get(
    '/categories/:id',
    {
      summary: 'Get a category',
      tags,
      params: idParams,
      responses: {
        200: { description: 'The category', schema: categorySchema, headers: etagHeader },
        404: { description: 'Not found' },
      },
    },
    async ({ params, user }, _req, res) => {
      const c = await findCategory(dataSource.manager, user.id, params.id);
      if (!c) throw notFound('Category');
      setETag(res, c.version);
      return present(c);
    },
  );

  api.put(
    '/categories/:id',
    {
      summary: 'Replace a category',
      description:
        'All fields are replaced (omitted icon/parent_id become null, kind becomes both). The kind must still fit the transactions filed under it.',
      tags,
      params: idParams,
      body: categoryBody,
      headers: ifMatchHeader,
      responses: {
        200: { description: 'Updated', schema: categorySchema, headers: etagHeader },
        404: { description: 'Not found' },
        409: { description: 'Name already used, or kind does not fit its transactions' },
        412: { description: 'Stale If-Match' },
        422: { description: 'Parent not allowed' },
      },
    },
    async ({ params, body, user }, req, res) => {
      const category = await saving(() =>
        dataSource.transaction(async (manager) => {
          const c = await findCategory(manager, user.id, params.id, { lock: 'update' });
          if (!c) throw notFound('Category');
          checkIfMatch(req, c.version);
          await checkReplacement(manager, user.id, c, body);
          Object.assign(c, {
            name: body.name,
            color: body.color,
            icon: body.icon ?? null,
            kind: body.kind,
            parentId: body.parent_id ?? null,
            version: c.version + 1,
            updatedAt: new Date(),
          });
          await manager.save(Category, c);
          await publishCategoryChange(manager, 'updated', c);
          return c;
        }),
      );
      setETag(res, category.version);
      return present(category);
    },
  );

  api.delete(
    '/categories/:id',
    {
      summary: 'Delete a category',
      description:
        'By default its transactions become uncategorised; with `reassign_to` they move to that category (yours, of a fitting kind, not this one). ' +
        'Its sub-categories become top-level. Publishes ledger.category.deleted (with reassignedTo) and ledger.transaction.updated for every moved transaction.',
      tags,
      params: idParams,
      headers: ifMatchHeader,
      query: z.object({
        reassign_to: z
          .uuid()
          .optional()
          .meta({ description: "Category that takes over this one's transactions" }),
      }),
      responses: {
        204: { description: 'Deleted' },
        404: { description: 'Category (or reassign_to) not found' },
        412: { description: 'Stale If-Match' },
        422: { description: 'reassign_to is this category or does not fit its transactions' },
      },
    },
    async ({ params, query, user }, req) => {
      await dataSource.transaction(async (manager) => {
        const c = await findCategory(manager, user.id, params.id, { lock: 'update' });
        if (!c) throw notFound('Category');
        checkIfMatch(req, c.version);
        const reassignTo = query.reassign_to ?? null;
        if (reassignTo !== null) {
          const field = 'query.reassign_to';
          if (reassignTo === c.id)
            throw unprocessable('A category cannot be reassigned to itself', [
              { field, message: 'Must be another category' },
            ]);
          const target = await findCategory(manager, user.id, reassignTo, { lock: 'share' });
          if (!target) throw notFoundIn('Category', field);
          const used = await transactionTypesIn(manager, user.id, c.id);
          if (!kindAcceptsAll(target.kind, used))
            throw unprocessable(
              `The target category (${target.kind}) cannot hold this category's ${used.join(' and ')} transactions`,
              [{ field, message: 'Kind does not fit the transactions to move' }],
            );
        }

        // Sub-categories become top-level: each is a change read models must see.
        const children = await changedRows<{ id: string }>(
          manager,
          `UPDATE categories SET parent_id = NULL, version = version + 1, updated_at = now()
           WHERE user_id = $1 AND parent_id = $2 RETURNING id`,
          [user.id, c.id],
        );
        for (const child of await manager.findBy(Category, { id: In(children.map((r) => r.id)) }))
          await publishCategoryChange(manager, 'updated', child);

        const moved = await changedRows<{ id: string }>(
          manager,
          `UPDATE transactions SET category_id = $3, version = version + 1, updated_at = now()
           WHERE user_id = $1 AND category_id = $2 RETURNING id`,
          [user.id, c.id, reassignTo],
        );
        for (const t of await manager.findBy(Transaction, { id: In(moved.map((r) => r.id)) }))
          await publishTransactionChange(manager, 'updated', t);

        await manager.delete(Category, { id: c.id, userId: user.id });
        await publishCategoryDeleted(manager, c, reassignTo);
      });
      return undefined;
    },
  );

  return api;
}

/** A replacement must keep the hierarchy one level deep and the kind fitting the filed transactions. */
async function checkReplacement(manager: EntityManager, userId: string, c: Category, body: CategoryBody) {
  if (body.parent_id) await checkParent(manager, userId, c.id, body.parent_id);
  if (body.kind !== c.kind) {
    const used = await transactionTypesIn(manager, userId, c.id);
    if (!kindAcceptsAll(body.kind, used))
      throw new HttpProblem(
        409,
        `The category has ${used.join(' and ')} transactions, which a ${body.kind} category cannot hold`,
        {
          errors: [{ field: 'body.kind', message: 'Does not fit the transactions already in this category' }],
        },
      );
  }
}
