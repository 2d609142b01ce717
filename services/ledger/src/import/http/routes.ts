import type { Request } from 'express';
import { z, type ZodType } from 'zod';
import {
  ApiRouter,
  HttpProblem,
  decodeCursor,
  etagHeader,
  idempotencyKeyHeader,
  idempotencyKeyOf,
  ifMatchHeader,
  pageSchema,
  paginationQuery,
  sendIdempotentAnswer,
  setETag,
  singleLineText,
  toPage,
  uniqueViolation,
  type ServiceContext,
} from '@finance/shared';
import { findAccount } from '../../data/accounts';
import { idParams, timestamps, withETag } from '../../http/fields';
import { callUseCase, ifMatchOf } from '../../http/use-case-calls';
import type { LedgerConfig } from '../../config';
import { StatementError } from '../formats/statement';
import {
  dropUpload,
  listImports,
  stagedUpload,
  stageUploadChunk,
  UPLOAD_CHUNK_BYTES,
  type ImportRequestOptions,
} from '../data/imports';
import {
  deleteMapping,
  findMapping,
  insertMapping,
  listMappings,
  updateMapping,
  type SavedMapping,
} from '../data/mappings';
import type { ImportJobs } from '../jobs/import-jobs';
import type { StatementReader } from '../use-cases/import-statement';
import {
  enqueueImport,
  getImport,
  ImportRefused,
  importNow,
  previewImport,
  undoImport,
  type ImportRequest,
} from '../use-cases/imports';
import { receiveFile, type ReceivedFile } from './upload';
import {
  importQuery,
  importSchema,
  presentImport,
  presentPreview,
  previewSchema,
  problemErrors,
} from './schemas';

type Context = ServiceContext<LedgerConfig>;
const tags = ['import'];

/** One statement format's upload route: its path, its reader, its mapping's schema and the media types a file arrives as. */
export interface StatementFormat {
  /** `csv` → `POST /import/csv`. */
  format: string;
  reader: StatementReader;
  /** Validates a request's or a saved mapping (opaque to the pipeline); null: the format takes none. */
  mappingSchema: ZodType | null;
  /** The file's own media type besides multipart (`text/csv`, `application/x-ofx`, `application/xml`). */
  mediaType: string;
  summary: string;
}

/**
 * `POST /import/{format}`: every format is this one route over its reader (formats-registry.ts
 * lists them: csv, ofx, camt). The file streams in; small files are imported in the request, large
 * ones by a background job (202); a dry run previews in a rolled-back transaction.
 */
export function statementImportRoute(
  api: ApiRouter,
  context: Context,
  jobs: ImportJobs,
  f: StatementFormat,
): void {
  const { config } = context;
  const scope = `POST /import/${f.format}`;
  api.post(
    `/import/${f.format}`,
    {
      summary: f.summary,
      description:
        `The file as \`multipart/form-data\` (part \`file\`${f.mappingSchema ? '; optional fields `mapping`: JSON, `mapping_name`' : ''}) or as the body itself (\`${f.mediaType}\`). ` +
        `Up to IMPORT_MAX_BYTES (${config.IMPORT_MAX_BYTES} bytes; 413) and IMPORT_MAX_ROWS (${config.IMPORT_MAX_ROWS} rows; 413). ` +
        `Every row is checked with the rules of POST /transactions; a file with a bad row imports nothing unless \`skip_invalid=true\` (422 listing each row's line, column and reason). ` +
        `Duplicates (same external id, or same account, date, amount and normalised description as a stored transaction or an earlier row) are skipped unless \`duplicates=import\`. ` +
        `A file over IMPORT_BACKGROUND_ROWS lines (${config.IMPORT_BACKGROUND_ROWS}) or IMPORT_BACKGROUND_BYTES runs as a background job: 202 with Location /import/{id}. ` +
        'All or nothing: the transactions and their events commit in one database transaction. With an `Idempotency-Key`, a retry with the same file and query creates nothing new.',
      tags,
      query: importQuery,
      headers: idempotencyKeyHeader,
      streamedBody: {
        [f.mediaType]: z.string().meta({ description: 'The statement file' }),
        'multipart/form-data': z.object({
          file: z.string().meta({ description: 'The statement file', format: 'binary' }),
          // Only a format that takes a mapping (CSV) advertises its fields.
          ...(f.mappingSchema && {
            mapping: z
              .string()
              .optional()
              .meta({ description: 'The mapping as JSON (see /import/mappings)' }),
            mapping_name: z.string().optional().meta({ description: 'A saved mapping, by name' }),
          }),
        }),
      },
      responses: {
        200: { description: 'Dry run: the preview', schema: previewSchema },
        201: {
          description: 'Imported',
          schema: importSchema,
          headers: { Location: { description: '/import/{id}' } },
        },
        202: {
          description: 'Accepted as a background import',
          schema: importSchema,
          headers: { Location: { description: '/import/{id}' } },
        },
        400: { description: 'Invalid query, form or mapping' },
        404: { description: 'account_id or mapping_name is not yours' },
        413: { description: 'The file is over IMPORT_MAX_BYTES or IMPORT_MAX_ROWS' },
        415: { description: 'Neither multipart/form-data nor the file media type' },
        422: { description: 'The file cannot be read, or has bad rows (each named by line and column)' },
      },
    },
    async ({ query, user }, req, res) => {
      const key = idempotencyKeyOf(req);
      // What the query names is checked before the file is read (a 404 costs no upload).
      if (query.account_id && !(await findAccount(context.dataSource.manager, user.id, query.account_id)))
        throw new HttpProblem(404, 'Account not found', {
          errors: [{ field: 'query.account_id', message: 'Not found' }],
        });
      if (
        query.mapping_name &&
        !(await findMapping(context.dataSource.manager, user.id, { name: query.mapping_name }))
      )
        throw new HttpProblem(404, `You have no saved mapping named "${query.mapping_name}"`, {
          errors: [{ field: 'query.mapping_name', message: 'Not found' }],
        });
      if (!req.is(['multipart/form-data', f.mediaType, 'text/plain', 'application/octet-stream']))
        throw new HttpProblem(415, `Send the file as multipart/form-data (part "file") or as ${f.mediaType}`);
      const file = await receiveFile(req, context.dataSource, {
        maxBytes: config.IMPORT_MAX_BYTES,
        spillBytes: config.IMPORT_BACKGROUND_BYTES,
      });
      try {
        const options = await optionsOf(context, user.id, f, query, file);
        const request: ImportRequest = {
          importId: file.id,
          userId: user.id,
          fileName: file.fileName,
          options,
          reader: f.reader,
          maxRows: config.IMPORT_MAX_ROWS,
        };
        const input = () =>
          file.staged ? stagedUpload(context.dataSource.manager, file.id) : inMemory(file);
        if (query.dry_run)
          return presentPreview(await readingFile(() => previewImport(context, request, input)));
        const idempotency = {
          key,
          scope,
          fingerprint: { file: file.sha256, query, mapping: options.mapping },
        };
        const background =
          file.lines > config.IMPORT_BACKGROUND_ROWS || file.bytes > config.IMPORT_BACKGROUND_BYTES;
        if (background) {
          if (!file.staged) await stageAll(context, file);
          const answer = await enqueueImport(context, request, idempotency, presentImport);
          if (answer.replayed) await dropUpload(context.dataSource.manager, file.id);
          else jobs.kick();
          res.location(`/import/${answer.body.id}`);
          return sendIdempotentAnswer(res, answer);
        }
        const answer = await readingFile(() =>
          importNow(context, request, input, idempotency, presentImport),
        );
        res.location(`/import/${answer.body.id}`);
        setETag(res, answer.body.version);
        return sendIdempotentAnswer(res, answer);
      } finally {
        if (file.staged && query.dry_run) await dropUpload(context.dataSource.manager, file.id);
      }
    },
  );
}

async function* inMemory(file: ReceivedFile): AsyncGenerator<Buffer> {
  yield* file.chunks;
}

async function stageAll(context: Context, file: ReceivedFile): Promise<void> {
  const whole = Buffer.concat(file.chunks);
  for (let seq = 0, at = 0; at < whole.length || seq === 0; seq += 1, at += UPLOAD_CHUNK_BYTES)
    await stageUploadChunk(
      context.dataSource.manager,
      file.id,
      seq,
      whole.subarray(at, at + UPLOAD_CHUNK_BYTES),
    );
  file.staged = true;
  file.chunks = [];
}

/** The file's problems as HTTP answers: unreadable 422, too many rows 413, bad rows 422 listing them. */
async function readingFile<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await callUseCase({ accountId: 'query.account_id' }, work);
  } catch (error) {
    if (error instanceof StatementError)
      throw new HttpProblem(error.reason === 'tooLarge' ? 413 : 422, error.message, {
        errors: [{ field: 'body.file', message: error.message }],
      });
    if (error instanceof ImportRefused) {
      const { problems } = error.outcome;
      throw new HttpProblem(
        422,
        `${problems.length} row(s) of the file cannot be imported, so nothing was (fix them, or import with skip_invalid=true to leave them out)`,
        { errors: problemErrors(problems), extensions: { problems: problems.slice(0, 1_000) } },
      );
    }
    throw error;
  }
}

/** The request's options: the mapping from the form or by name (validated by the format's schema), the target account. */
async function optionsOf(
  context: Context,
  userId: string,
  f: StatementFormat,
  query: z.output<typeof importQuery>,
  file: ReceivedFile,
): Promise<ImportRequestOptions> {
  const mappingName = file.fields.mapping_name ?? query.mapping_name;
  let mapping: unknown = null;
  let accountId = query.account_id ?? null;
  if (file.fields.mapping !== undefined && mappingName !== undefined)
    throw new HttpProblem(400, 'Give a mapping or a mapping_name, not both', {
      errors: [{ field: 'body.mapping', message: 'Not together with mapping_name' }],
    });
  if (file.fields.mapping !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(file.fields.mapping);
    } catch {
      throw new HttpProblem(400, 'The mapping is not JSON', {
        errors: [{ field: 'body.mapping', message: 'Must be JSON' }],
      });
    }
    mapping = validMapping(f, parsed, 'body.mapping');
  } else if (mappingName !== undefined) {
    const saved = await findMapping(context.dataSource.manager, userId, { name: mappingName });
    if (!saved)
      throw new HttpProblem(404, `You have no saved mapping named "${mappingName}"`, {
        errors: [{ field: 'query.mapping_name', message: 'Not found' }],
      });
    mapping = validMapping(f, saved.mapping, 'query.mapping_name');
    accountId ??= saved.accountId;
  }
  if (accountId && !(await findAccount(context.dataSource.manager, userId, accountId)))
    throw new HttpProblem(404, 'Account not found', {
      errors: [{ field: 'query.account_id', message: 'Not found' }],
    });
  return {
    format: f.format,
    accountId,
    duplicates: query.duplicates,
    skipInvalid: query.skip_invalid,
    createCategories: query.create_categories,
    mapping,
  };
}

function validMapping(f: StatementFormat, mapping: unknown, field: string): unknown {
  if (!f.mappingSchema)
    throw new HttpProblem(400, `A ${f.format} file takes no mapping`, {
      errors: [{ field, message: 'Not for this format' }],
    });
  const result = f.mappingSchema.safeParse(mapping);
  if (!result.success)
    throw new HttpProblem(400, 'The mapping is invalid', {
      errors: result.error.issues.map((i) => ({
        field: [field, ...i.path.map(String)].join('.'),
        message: i.message,
      })),
    });
  return result.data;
}

const importCursor = z.object({ c: z.string(), id: z.uuid() });

/** GET /import, GET/DELETE /import/{id}. */
export function importsRouter(context: Context, formats: StatementFormat[], jobs: ImportJobs): ApiRouter {
  const api = new ApiRouter({ authenticate: context.authenticate });
  for (const f of formats) statementImportRoute(api, context, jobs, f);

  api.get(
    '/import',
    {
      summary: 'List your imports',
      description: 'Newest first, keyset-paginated; synchronous and background imports alike.',
      tags,
      query: z.object(paginationQuery),
      responses: { 200: { description: 'A page of imports', schema: pageSchema(importSchema) } },
    },
    async ({ query, user }) => {
      const after = query.cursor ? decodeCursor(query.cursor, importCursor) : undefined;
      const rows = await listImports(context.dataSource.manager, user.id, after, query.limit);
      return toPage(rows, query.limit, (r) => ({ c: r.createdAt.toISOString(), id: r.id }), presentImport);
    },
  );

  api.get(
    '/import/:id',
    {
      summary: 'An import: status and progress',
      description:
        'pending, running (rows_done of rows_total), completed, failed (failure and problems say why) or undone.',
      tags,
      params: idParams,
      responses: {
        200: { description: 'The import', schema: importSchema, headers: etagHeader },
        404: { description: 'Not found' },
      },
    },
    async ({ params, user }, _req, res) =>
      withETag(res, presentImport(await callUseCase({}, () => getImport(context, user.id, params.id)))),
  );

  api.delete(
    '/import/:id',
    {
      summary: 'Undo an import',
      description:
        'Deletes the transactions the import created (each publishing ledger.transaction.deleted), in one database transaction; the import shows `undone`. ' +
        'Transactions changed since the import: 409 listing them (`changed_transaction_ids`), unless `?force=true`.',
      tags,
      params: idParams,
      query: z.object({
        force: z
          .enum(['true', 'false'])
          .default('false')
          .transform((v) => v === 'true')
          .meta({ description: '`true`: also delete transactions changed since the import' }),
      }),
      responses: {
        200: { description: 'Undone', schema: importSchema },
        404: { description: 'Not found' },
        409: { description: 'Transactions changed since, or the import is not completed' },
      },
    },
    async ({ params, query, user }) =>
      presentImport(await callUseCase({}, () => undoImport(context, user.id, params.id, query.force))),
  );
  return api;
}

// ── saved mappings ────────────────────────────────────────────────────────────

const mappingCursor = z.object({ n: z.string(), id: z.uuid() });

function mappingSchemas(mappingSchema: ZodType) {
  const body = z.object({
    name: singleLineText({ max: 100 }).meta({ example: 'My bank' }),
    mapping: mappingSchema,
    account_id: z
      .uuid()
      .nullable()
      .optional()
      .meta({ description: 'The account its files go to by default' }),
  });
  const resource = z
    .object({
      id: z.uuid(),
      name: z.string(),
      mapping: z.unknown(),
      account_id: z.uuid().nullable(),
      ...timestamps,
    })
    .meta({ id: 'ImportMapping' });
  return { body, resource };
}

function presentMapping(m: SavedMapping) {
  return {
    id: m.id,
    name: m.name,
    mapping: m.mapping,
    account_id: m.accountId,
    created_at: m.createdAt.toISOString(),
    updated_at: m.updatedAt.toISOString(),
    version: m.version,
  };
}

/** /import/mappings: named CSV mappings per user, reused by `mapping_name`. Registered before /import/{id}. */
export function importMappingsRouter(context: Context, mappingSchema: ZodType): ApiRouter {
  const api = new ApiRouter({ authenticate: context.authenticate });
  const { body, resource } = mappingSchemas(mappingSchema);
  const mappingTags = ['import-mappings'];
  const manager = () => context.dataSource.manager;
  const nameTaken = (error: unknown) => {
    if (uniqueViolation(error))
      return new HttpProblem(409, 'You already have a mapping of that name', {
        errors: [{ field: 'body.name', message: 'Already used' }],
      });
    return error;
  };
  const checkAccount = async (userId: string, accountId: string | null | undefined) => {
    if (accountId && !(await findAccount(manager(), userId, accountId)))
      throw new HttpProblem(404, 'Account not found', {
        errors: [{ field: 'body.account_id', message: 'Not found' }],
      });
  };

  api.post(
    '/import/mappings',
    {
      summary: 'Save a mapping',
      tags: mappingTags,
      body,
      headers: idempotencyKeyHeader,
      responses: {
        201: { description: 'Saved', schema: resource, headers: etagHeader },
        404: { description: 'account_id is not yours' },
        409: { description: 'Name already used' },
      },
    },
    async ({ body: b, user }, req: Request, res) => {
      idempotencyKeyOf(req);
      await checkAccount(user.id, b.account_id);
      const saved = await insertMapping(
        manager(),
        user.id,
        { name: b.name, mapping: b.mapping, accountId: b.account_id ?? null },
        context.clock(),
      ).catch((error) => {
        throw nameTaken(error);
      });
      res.location(`/import/mappings/${saved.id}`);
      return withETag(res, presentMapping(saved));
    },
  );

  api.get(
    '/import/mappings',
    {
      summary: 'List your saved mappings',
      tags: mappingTags,
      query: z.object(paginationQuery),
      responses: { 200: { description: 'A page of mappings', schema: pageSchema(resource) } },
    },
    async ({ query, user }) => {
      const after = query.cursor ? decodeCursor(query.cursor, mappingCursor) : undefined;
      const rows = await listMappings(manager(), user.id, after, query.limit);
      return toPage(rows, query.limit, (m) => ({ n: m.name, id: m.id }), presentMapping);
    },
  );

  const find = async (userId: string, id: string, lock = false) => {
    const m = await findMapping(manager(), userId, { id }, { lock });
    if (!m) throw new HttpProblem(404, 'Mapping not found');
    return m;
  };

  api.get(
    '/import/mappings/:id',
    {
      summary: 'A saved mapping',
      tags: mappingTags,
      params: idParams,
      responses: {
        200: { description: 'The mapping', schema: resource, headers: etagHeader },
        404: { description: 'Not found' },
      },
    },
    async ({ params, user }, _req, res) => withETag(res, presentMapping(await find(user.id, params.id))),
  );

  api.put(
    '/import/mappings/:id',
    {
      summary: 'Replace a saved mapping',
      tags: mappingTags,
      params: idParams,
      body,
      headers: ifMatchHeader,
      responses: {
        200: { description: 'Replaced', schema: resource, headers: etagHeader },
        404: { description: 'Not found' },
        409: { description: 'Name already used' },
        412: { description: 'Stale If-Match' },
      },
    },
    async ({ params, body: b, user }, req, res) => {
      await checkAccount(user.id, b.account_id);
      const saved = await context.dataSource
        .transaction(async (m) => {
          const current = await findMapping(m, user.id, { id: params.id }, { lock: true });
          if (!current) throw new HttpProblem(404, 'Mapping not found');
          ifMatchOf(req)(current.version);
          return updateMapping(
            m,
            current,
            { name: b.name, mapping: b.mapping, accountId: b.account_id ?? null },
            context.clock(),
          );
        })
        .catch((error) => {
          throw nameTaken(error);
        });
      return withETag(res, presentMapping(saved));
    },
  );

  api.delete(
    '/import/mappings/:id',
    {
      summary: 'Delete a saved mapping',
      tags: mappingTags,
      params: idParams,
      headers: ifMatchHeader,
      responses: {
        204: { description: 'Deleted' },
        404: { description: 'Not found' },
        412: { description: 'Stale If-Match' },
      },
    },
    async ({ params, user }, req) => {
      await context.dataSource.transaction(async (m) => {
        const current = await findMapping(m, user.id, { id: params.id }, { lock: true });
        if (!current) throw new HttpProblem(404, 'Mapping not found');
        ifMatchOf(req)(current.version);
        await deleteMapping(m, current);
      });
      return undefined;
    },
  );
  return api;
}
