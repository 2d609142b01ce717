import { createHash } from 'node:crypto';
import type { Request } from 'express';
import busboy from 'busboy';
import type { DataSource } from 'typeorm';
import { HttpProblem, newId } from '@finance/shared';
import { stageUploadChunk, UPLOAD_CHUNK_BYTES } from '../data/imports';

/** Where a received file is: in memory (small), or staged in the database under `stagedId` (large). */
export interface ReceivedFile {
  /** The import's id to be: a staged file is kept under it. */
  id: string;
  fileName: string | null;
  bytes: number;
  /** Line breaks + 1: what the background threshold counts (a quoted field's line break counts too). */
  lines: number;
  sha256: string;
  /** The multipart form's `mapping` (JSON text) and `mapping_name` fields. */
  fields: { mapping?: string; mapping_name?: string };
  /** Held in memory; empty when staged. */
  chunks: Buffer[];
  staged: boolean;
}

export interface UploadLimits {
  maxBytes: number;
  /** Past this many bytes the file goes to the staging table as it arrives instead of memory. */
  spillBytes: number;
}

const tooLarge = (maxBytes: number) =>
  new HttpProblem(413, `The file is larger than ${maxBytes} bytes (IMPORT_MAX_BYTES)`, {
    errors: [{ field: 'body.file', message: `At most ${maxBytes} bytes` }],
  });

/**
 * Receives the statement file as it streams (a multipart `file` part, or a `text/csv`-like body):
 * hashed and counted on the way, kept in memory while small, staged in the database chunk by chunk
 * once large, so no request holds a whole large file. Over `maxBytes`: 413.
 */
export async function receiveFile(
  req: Request,
  dataSource: DataSource,
  limits: UploadLimits,
): Promise<ReceivedFile> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limits.maxBytes) throw tooLarge(limits.maxBytes);
  const file: ReceivedFile = {
    id: newId(),
    fileName: null,
    bytes: 0,
    lines: 1,
    sha256: '',
    fields: {},
    chunks: [],
    staged: false,
  };
  const hash = createHash('sha256');
  let held = 0;
  let seq = 0;
  const flush = async (all: boolean) => {
    // Staged in chunks of UPLOAD_CHUNK_BYTES (the last one may be shorter).
    let buffer = Buffer.concat(file.chunks);
    while (buffer.length >= UPLOAD_CHUNK_BYTES || (all && buffer.length > 0)) {
      await stageUploadChunk(dataSource.manager, file.id, seq++, buffer.subarray(0, UPLOAD_CHUNK_BYTES));
      buffer = buffer.subarray(UPLOAD_CHUNK_BYTES);
    }
    file.chunks = buffer.length > 0 ? [buffer] : [];
    held = buffer.length;
  };
  const take = async (chunk: Buffer) => {
    file.bytes += chunk.length;
    if (file.bytes > limits.maxBytes) throw tooLarge(limits.maxBytes);
    hash.update(chunk);
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) file.lines += 1;
    file.chunks.push(chunk);
    held += chunk.length;
    if (file.staged || file.bytes > limits.spillBytes) {
      file.staged = true;
      if (held >= UPLOAD_CHUNK_BYTES) await flush(false);
    }
  };

  if (req.is('multipart/form-data')) await receiveMultipart(req, file, take);
  else for await (const chunk of req as AsyncIterable<Buffer>) await take(chunk);
  if (file.staged) await flush(true);
  file.sha256 = hash.digest('hex');
  return file;
}

async function receiveMultipart(
  req: Request,
  file: ReceivedFile,
  take: (chunk: Buffer) => Promise<void>,
): Promise<void> {
  let parser: busboy.Busboy;
  try {
    parser = busboy({
      headers: req.headers,
      limits: { files: 1, fields: 4, fieldSize: 64 * 1024, parts: 6 },
    });
  } catch (error) {
    throw new HttpProblem(400, `The multipart body cannot be read: ${(error as Error).message}`, {
      errors: [
        { field: 'body', message: 'Send multipart/form-data with a boundary, or the file as text/csv' },
      ],
    });
  }
  let sawFile = false;
  const done = new Promise<void>((resolve, reject) => {
    const fail = (message: string) =>
      reject(new HttpProblem(400, message, { errors: [{ field: 'body', message }] }));
    let reading: Promise<void> = Promise.resolve();
    parser.on('file', (name, stream, info) => {
      if (name !== 'file') {
        stream.resume();
        return fail(`Unknown form part "${name}"; the file goes in the part named "file"`);
      }
      sawFile = true;
      file.fileName = info.filename ?? null;
      reading = (async () => {
        for await (const chunk of stream as AsyncIterable<Buffer>) await take(chunk);
      })();
      reading.catch((error) => {
        stream.resume();
        reject(error);
      });
    });
    parser.on('field', (name, value) => {
      if (name === 'mapping' || name === 'mapping_name') file.fields[name] = value;
      else fail(`Unknown form field "${name}" (allowed: file, mapping, mapping_name)`);
    });
    parser.on('partsLimit', () => fail('Too many form parts'));
    parser.on('filesLimit', () => fail('Only one file per import'));
    parser.on('fieldsLimit', () => fail('Too many form fields'));
    parser.on('error', (error: Error) => fail(`The multipart body cannot be read: ${error.message}`));
    parser.on('close', () => {
      reading.then(resolve, reject);
    });
  });
  req.pipe(parser);
  try {
    await done;
  } finally {
    req.unpipe(parser);
  }
  if (!sawFile)
    throw new HttpProblem(400, 'The form has no file', {
      errors: [{ field: 'body.file', message: 'Required: the statement file, in the part named "file"' }],
    });
}
