/**
 * Limits on the shape of JSON a client may send, checked on the raw bytes before anything parses
 * or walks them. Every check of client input is linear in its size: the scan below looks at each
 * byte once, and a body nested deeper than {@link MAX_JSON_DEPTH} is refused before `JSON.parse`,
 * validation or the unstorable-text walk ever see it.
 */

/** The deepest nesting of arrays and objects a request body may have. No API body needs more than a few levels. */
export const MAX_JSON_DEPTH = 32;

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Whether the JSON text in `bytes` nests arrays/objects deeper than `max`. One pass, no allocation;
 * brackets inside strings do not count. Malformed text is left for the parser to refuse.
 */
export function jsonNestsDeeperThan(bytes: Uint8Array, max: number = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i];
    if (inString) {
      if (byte === BACKSLASH) i++;
      else if (byte === QUOTE) inString = false;
    } else if (byte === QUOTE) {
      inString = true;
    } else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
      if (++depth > max) return true;
    } else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
      depth--;
    }
  }
  return false;
}

/** The error body-parser's `verify` hook throws for a too-deep body; the error handler answers it with 400. */
export class JsonTooDeepError extends Error {
  readonly type = 'entity.too.deep';
  constructor(readonly max: number) {
    super(`The request body nests arrays or objects deeper than ${max} levels`);
    this.name = 'JsonTooDeepError';
  }
}

/** For `express.json({ verify })`: refuses a too-deep body before it is parsed. */
export function refuseDeepJson(_req: unknown, _res: unknown, body: Buffer): void {
  if (jsonNestsDeeperThan(body)) throw new JsonTooDeepError(MAX_JSON_DEPTH);
}
