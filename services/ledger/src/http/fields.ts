import type { Response } from 'express';
import { z } from 'zod';
import { setETag } from '@finance/shared';

/** Wire fields every resource of the ledger shares. */

/** A `?name=true|false` query parameter (default false), as a boolean. */
export const queryFlag = (description: string) =>
  z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true')
    .meta({ description });

export const idParams = z.object({ id: z.uuid().meta({ description: 'Resource id' }) });

export const timestamps = {
  created_at: z
    .string()
    .meta({ description: 'When it was created (ISO 8601)', example: '2024-05-31T12:00:00.000Z' }),
  updated_at: z
    .string()
    .meta({ description: 'When it last changed (ISO 8601)', example: '2024-05-31T12:00:00.000Z' }),
  version: z.number().int().meta({ description: 'Row version; also the ETag, for If-Match', example: 1 }),
};

/** Documents the media type of a PATCH body: a JSON merge patch (RFC 7396) sent as application/json. */
export const MERGE_PATCH_DESCRIPTION =
  'JSON merge patch (RFC 7396), sent as `application/json`: only the fields given change, `null` clears a nullable one, ' +
  'and the result must pass the same rules as a PUT. An empty patch changes nothing (no new version, no event).';

/** Answers a resource with its version as the ETag (what If-Match is then compared with). */
export function withETag<R extends { version: number }>(res: Response, resource: R): R {
  setETag(res, resource.version);
  return resource;
}
