import { z, type ZodType } from 'zod';
import { HttpProblem, findUnstorableText } from './problem';

export const MAX_PAGE_SIZE = 200;
export const DEFAULT_PAGE_SIZE = 50;

/**
 * A whole number in a query string, written only with digits. `z.coerce.number()` reads `Number(text)`,
 * which also takes " 5", "0x10", "1e2" and "" (→ 0); a client sending those made a mistake (400).
 */
export function queryInteger<S extends ZodType<number, number | undefined>>(schema: S) {
  return z.preprocess(
    (value) => (typeof value === 'string' && /^\d{1,15}$/.test(value) ? Number(value) : value),
    schema,
  );
}

/**
 * An instant inside a cursor. z.iso.datetime() alone lets a forged cursor carry year 0000, which
 * PostgreSQL's timestamptz refuses (a 500); the cursor is then simply invalid (400).
 */
export const cursorTimestamp = z.iso
  .datetime()
  .refine((text) => !text.startsWith('0000') && !Number.isNaN(Date.parse(text)), 'Not a usable instant');

/** `?limit=` (1–200, default 50) and an opaque `?cursor=`; spread into a route's query schema. */
export const paginationQuery = {
  // The default sits inside, where the OpenAPI document still sees it.
  limit: queryInteger(z.number().int().min(1).max(MAX_PAGE_SIZE).default(DEFAULT_PAGE_SIZE)).meta({
    description: `Page size, 1–${MAX_PAGE_SIZE}`,
  }),
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
    const position: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    const parsed = schema.safeParse(position);
    // A forged cursor may smuggle a NUL or a lone surrogate, which PostgreSQL refuses (500).
    if (parsed.success && findUnstorableText(position) === undefined) return parsed.data;
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

/**
 * The one keyset cursor of lists in creation order: the last row's creation instant and id
 * (`{ c, id }`), what every such list continues after.
 */
export const creationCursorSchema = z.object({ c: cursorTimestamp, id: z.uuid() });
export type CreationCursor = z.output<typeof creationCursorSchema>;

/** The cursor position of a row listed in creation order. */
export function creationPosition(row: { createdAt: Date; id: string }): CreationCursor {
  return { c: row.createdAt.toISOString(), id: row.id };
}

/** The `?cursor=` of a list in creation order, decoded (a tampered one is a 400), or undefined. */
export function creationCursorOf(cursor: string | undefined): CreationCursor | undefined {
  return cursor === undefined ? undefined : decodeCursor(cursor, creationCursorSchema);
}

/** What {@link pageInCreationOrder} needs of a TypeORM query builder (kept structural: no TypeORM import here). */
interface KeysetQuery<Q> {
  andWhere(condition: string, parameters: Record<string, unknown>): Q;
  orderBy(sort: string, order: 'ASC' | 'DESC'): Q;
  addOrderBy(sort: string, order: 'ASC' | 'DESC'): Q;
  limit(limit: number): Q;
}

/**
 * One keyset page of a query in creation order, oldest first: the rows after `after`, ordered by
 * (created_at, id), `limit + 1` of them (the extra one proves there is a next page: `toPage`).
 * Uses the (…, created_at, id) index every such table has.
 */
export function pageInCreationOrder<Q extends KeysetQuery<Q>>(
  query: Q,
  alias: string,
  page: { after?: CreationCursor; limit: number },
): Q {
  if (page.after)
    query.andWhere(
      `(${alias}.created_at, ${alias}.id) > (CAST(:keysetAt AS timestamptz), CAST(:keysetId AS uuid))`,
      {
        keysetAt: page.after.c,
        keysetId: page.after.id,
      },
    );
  return query
    .orderBy(`${alias}.created_at`, 'ASC')
    .addOrderBy(`${alias}.id`, 'ASC')
    .limit(page.limit + 1);
}
