import type { Request, Response } from 'express';
import { preconditionFailed } from './problem';

/**
 * Optimistic concurrency over HTTP, the same on every service: a resource's `version` is its
 * strong ETag (`"3"`), and a write that sends `If-Match` with a stale one answers 412.
 */

/** ETags are strong and carry the row version: `"3"`. */
export function setETag(res: Response, version: number): void {
  res.set('ETag', `"${version}"`);
}

/**
 * Honours If-Match: absent → the update proceeds; otherwise one of the listed tags (weak or
 * strong, quoted or bare) must be the current version, or `*`.
 */
export function checkIfMatch(req: Request, currentVersion: number): void {
  checkIfMatchValue(req.header('if-match'), currentVersion);
}

/**
 * {@link checkIfMatch} for an If-Match value that arrived some other way than as the request's
 * header (each operation of a bulk request carries its own).
 */
export function checkIfMatchValue(header: string | undefined, currentVersion: number): void {
  if (header === undefined) return;
  const tags = header.split(',').map((tag) =>
    tag
      .trim()
      .replace(/^W\//, '')
      .replace(/^"(.*)"$/, '$1'),
  );
  if (tags.includes('*') || tags.includes(String(currentVersion))) return;
  throw preconditionFailed(
    `The resource has changed (current version ${currentVersion}); fetch it again and retry with its ETag`,
  );
}

/** Response header documentation for routes that answer a versioned resource. */
export const etagHeader = { ETag: { description: 'The version, for If-Match' } };

/** Request header documentation for routes that change a versioned resource. */
export const ifMatchHeader = {
  'If-Match': {
    description: 'The ETag last read; a stale one answers 412. Omit to overwrite unconditionally.',
  },
};
