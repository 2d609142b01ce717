import {
  ApiRouter,
  cursorTimestamp,
  decodeCursor,
  etagHeader,
  lockUserForWrite,
  newId,
  notFound,
  pageSchema,
  paginationQuery,
  setETag,
  singleLineText,
  toPage,
  type ServiceContext,
} from '@finance/shared';
import { z } from 'zod';
import type { NotifierConfig } from '../config';
import { findItem, insertItem, listItems, type Item } from '../data/items';

const tags = ['notifier'];
const itemSchema = z
  .object({ id: z.uuid(), name: z.string(), created_at: z.string(), version: z.number().int() })
  .meta({ id: 'NotifierItem' });
const cursorSchema = z.object({ created_at: cursorTimestamp, id: z.uuid() });

function present(item: Item) {
  return { id: item.id, name: item.name, created_at: item.createdAt.toISOString(), version: item.version };
}

/** An example resource (replace it): validate → call data/ → answer, with the house's HTTP semantics. */
export function itemsRouter(context: ServiceContext<NotifierConfig>): ApiRouter {
  const api = new ApiRouter({ authenticate: context.authenticate });
  const db = context.dataSource;

  api.post(
    '/notifications/items',
    {
      summary: 'Create an item',
      tags,
      body: z.object({ name: singleLineText({ max: 100 }) }),
      responses: {
        201: {
          description: 'The item',
          schema: itemSchema,
          headers: { ...etagHeader, Location: { description: 'Its URL' } },
        },
      },
    },
    async ({ body, user }, _req, res) => {
      const item = await db.transaction(async (manager) => {
        await lockUserForWrite(manager, user.id);
        return insertItem(manager, { id: newId(), userId: user.id, name: body.name });
      });
      setETag(res, item.version);
      res.location(`/notifications/items/${item.id}`);
      return present(item);
    },
  );

  api.get(
    '/notifications/items',
    {
      summary: 'List your items',
      tags,
      query: z.object(paginationQuery),
      responses: { 200: { description: 'A page, oldest first', schema: pageSchema(itemSchema) } },
    },
    async ({ query, user }) => {
      const after = query.cursor ? decodeCursor(query.cursor, cursorSchema) : undefined;
      const rows = await listItems(
        db,
        user.id,
        query.limit,
        after && { createdAt: after.created_at, id: after.id },
      );
      return toPage(
        rows,
        query.limit,
        (item) => ({ created_at: item.createdAt.toISOString(), id: item.id }),
        present,
      );
    },
  );

  api.get(
    '/notifications/items/:id',
    {
      summary: 'One of your items',
      tags,
      params: z.object({ id: z.uuid() }),
      responses: {
        200: { description: 'The item', schema: itemSchema, headers: etagHeader },
        404: { description: 'No such item of yours' },
      },
    },
    async ({ params, user }, _req, res) => {
      const item = await findItem(db, user.id, params.id);
      if (!item) throw notFound('Item');
      setETag(res, item.version);
      return present(item);
    },
  );

  return api;
}
