import {
  ApiRouter,
  decodeCursor,
  etagHeader,
  ifMatchHeader,
  pageSchema,
  toPage,
  type ServiceContext,
} from '@finance/shared';
import { categoryCursorAfter, categoryCursorSchema } from '../data/categories';
import * as categories from '../use-cases/categories';
import * as wire from './category-schemas';
import { MERGE_PATCH_DESCRIPTION, idParams, withETag } from './fields';
import { callUseCase, ifMatchOf } from './use-case-calls';

export function categoriesRouter(context: ServiceContext): ApiRouter {
  const api = new ApiRouter({ authenticate: context.authenticate });
  const tags = ['categories'];
  const changed = {
    200: { description: 'Updated', schema: wire.categorySchema, headers: etagHeader },
    404: { description: 'Not found (or parent_id is not yours)' },
    409: { description: 'Name already used, or kind does not fit its transactions' },
    412: { description: 'Stale If-Match' },
    422: { description: 'Parent not allowed' },
  };

  api.post(
    '/categories',
    {
      summary: 'Create a category',
      tags,
      body: wire.categoryBody,
      responses: {
        201: { description: 'Created', schema: wire.categorySchema, headers: etagHeader },
        404: { description: 'parent_id is not one of your categories' },
        409: { description: 'Name already used' },
        422: { description: 'Parent is itself a sub-category' },
      },
    },
    async ({ body, user }, _req, res) => {
      const created = await callUseCase(wire.CATEGORY_PATHS, () =>
        categories.createCategory(context, user.id, wire.categoryStateOf(body)),
      );
      res.location(`/categories/${created.id}`);
      return withETag(res, wire.presentCategory(created));
    },
  );

  api.get(
    '/categories',
    {
      summary: 'List your categories',
      tags,
      query: wire.categoryListQuery,
      responses: {
        200: { description: 'A page of categories by name', schema: pageSchema(wire.categorySchema) },
      },
    },
    async ({ query, user }) => {
      const rows = await categories.listCategoriesPage(context, user.id, {
        kind: query.kind,
        after: query.cursor ? decodeCursor(query.cursor, categoryCursorSchema) : undefined,
        limit: query.limit,
      });
      return toPage(rows, query.limit, categoryCursorAfter, wire.presentCategory);
    },
  );

  api.get(
    '/categories/:id',
    {
      summary: 'Get a category',
      tags,
      params: idParams,
      responses: {
        200: { description: 'The category', schema: wire.categorySchema, headers: etagHeader },
        404: { description: 'Not found' },
      },
    },
    async ({ params, user }, _req, res) => {
      const found = await callUseCase({}, () => categories.getCategory(context, user.id, params.id));
      return withETag(res, wire.presentCategory(found));
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
      body: wire.categoryBody,
      headers: ifMatchHeader,
      responses: changed,
    },
    async ({ params, body, user }, req, res) => {
      const replaced = await callUseCase(wire.CATEGORY_PATHS, () =>
        categories.replaceCategory(context, user.id, params.id, wire.categoryStateOf(body), ifMatchOf(req)),
      );
      return withETag(res, wire.presentCategory(replaced));
    },
  );

  api.patch(
    '/categories/:id',
    {
      summary: 'Change some fields of a category',
      description: MERGE_PATCH_DESCRIPTION,
      tags,
      params: idParams,
      body: wire.categoryPatchBody,
      headers: ifMatchHeader,
      responses: changed,
    },
    async ({ params, body, user }, req, res) => {
      const patched = await callUseCase(wire.CATEGORY_PATHS, () =>
        categories.patchCategory(context, user.id, params.id, wire.categoryPatchOf(body), ifMatchOf(req)),
      );
      return withETag(res, wire.presentCategory(patched));
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
      query: wire.categoryDeletionQuery,
      responses: {
        204: { description: 'Deleted' },
        404: { description: 'Category (or reassign_to) not found' },
        412: { description: 'Stale If-Match' },
        422: { description: 'reassign_to is this category or does not fit its transactions' },
      },
    },
    async ({ params, query, user }, req) => {
      await callUseCase(wire.CATEGORY_PATHS, () =>
        categories.deleteCategory(context, user.id, params.id, query.reassign_to ?? null, ifMatchOf(req)),
      );
      return undefined;
    },
  );

  return api;
}
