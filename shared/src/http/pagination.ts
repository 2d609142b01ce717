import { z, type ZodType } from 'zod';
import { HttpProblem } from './problem';

export const MAX_PAGE_SIZE = 200;
export const DEFAULT_PAGE_SIZE = 50;

/** `?limit=` (1–200, default 50) and an opaque `?cursor=`; spread into a route's query schema. */
export const paginationQuery = {
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_PAGE_SIZE)
    .default(DEFAULT_PAGE_SIZE)
    .meta({ description: `Page size, 1–${MAX_PAGE_SIZE}` }),
  cursor: z
    .string()
    .max(1024)
    .optional()
    .meta({ description: "Opaque cursor from the previous page's next_cursor" }),
};

export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

/** The JSON shape of a page of `item`s, for route response schemas. */
export function pageSchema<S extends ZodType>(item: S) {
  return z.object({ data: z.array(item), next_cursor: z.string().nullable() });
}

/** Cursors are base64url JSON of the sort key of the last row seen; clients treat them as opaque. */
export function encodeCursor(position: unknown): string {
  return Buffer.from(JSON.stringify(position), 'utf8').toString('base64url');
}

/** Decodes and validates a cursor; a malformed or tampered one is the client's mistake (400). */
export function decodeCursor<S extends ZodType>(cursor: string, schema: S): z.output<S> {
  try {
    const parsed = schema.safeParse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
    if (parsed.success) return parsed.data;
  } catch {
    // falls through to the problem below
  }
  throw new HttpProblem(400, 'The cursor is not valid', {
    errors: [{ field: 'query.cursor', message: 'Invalid cursor' }],
  });
}

/**
 * Turns `limit + 1` fetched rows into a page: the extra row only proves there is a next page.
 * `positionOf` gives the sort key of a row (what the next query continues after).
 */
export function toPage<Row, Item>(
  rows: Row[],
  limit: number,
  positionOf: (row: Row) => unknown,
  present: (row: Row) => Item,
): Page<Item> {
  const hasMore = rows.length > limit;
  const pageRows = hasMore ? rows.slice(0, limit) : rows;
  return {
    data: pageRows.map(present),
    next_cursor: hasMore ? encodeCursor(positionOf(pageRows[pageRows.length - 1])) : null,
  };
}
