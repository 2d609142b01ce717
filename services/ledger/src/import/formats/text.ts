import iconv from 'iconv-lite';
import { StatementError } from './statement';

/**
 * Bytes of an uploaded file → text, streamed: the encoding is decided once from a bounded prefix
 * (a BOM; else UTF-16 by its NUL bytes; else UTF-8 when the prefix is valid UTF-8; else
 * Windows-1252), then every later chunk is decoded with it. iconv-lite does the decoding (Node's
 * own TextDecoder, built with small ICU, maps Windows-1252's 0x80 to U+0080 instead of €).
 */

export const ENCODINGS = ['utf-8', 'utf-16le', 'utf-16be', 'windows-1252', 'iso-8859-1'] as const;
export type Encoding = (typeof ENCODINGS)[number];

/** How much of the file detection may look at before it streams the rest. */
export const PREFIX_BYTES = 64 * 1024;

const ICONV_NAMES: Record<Encoding, string> = {
  'utf-8': 'utf8',
  'utf-16le': 'utf16le',
  'utf-16be': 'utf16be',
  // ISO-8859-1 files are read as Windows-1252, its superset (as browsers do): 0x80–0x9F are
  // € ‚ … in Windows-1252 and unused control codes in ISO-8859-1.
  'windows-1252': 'win1252',
  'iso-8859-1': 'win1252',
};

export interface DecodedText {
  encoding: Encoding;
  /** The file's text up to the prefix's end (the BOM removed). */
  prefix: string;
  /** True when the prefix is the whole file. */
  complete: boolean;
  /** The rest of the text, decoded as it is read. */
  rest: AsyncGenerator<string>;
  /** Ends the input early (also when `rest` was never started). */
  close(): Promise<void>;
}

function bomOf(bytes: Buffer): { encoding: Encoding; length: number } | null {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return { encoding: 'utf-8', length: 3 };
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return { encoding: 'utf-16le', length: 2 };
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return { encoding: 'utf-16be', length: 2 };
  return null;
}

/** UTF-16 without a BOM: text in a Latin script has a NUL in every other byte. */
function utf16ByNuls(bytes: Buffer): Encoding | null {
  const pairs = Math.min(bytes.length >> 1, 512);
  if (pairs < 4) return null;
  let evenNuls = 0;
  let oddNuls = 0;
  for (let i = 0; i < pairs; i++) {
    if (bytes[2 * i] === 0) evenNuls++;
    if (bytes[2 * i + 1] === 0) oddNuls++;
  }
  if (oddNuls > pairs * 0.4 && evenNuls === 0) return 'utf-16le';
  if (evenNuls > pairs * 0.4 && oddNuls === 0) return 'utf-16be';
  return null;
}

function isUtf8(bytes: Buffer, complete: boolean): boolean {
  try {
    // stream: a multi-byte character cut by the prefix's end is not an error.
    new TextDecoder('utf-8', { fatal: true }).decode(bytes, { stream: !complete });
    return true;
  } catch {
    return false;
  }
}

/**
 * Reads up to {@link PREFIX_BYTES} (or `prefixBytes`), decides the encoding (the given one, a BOM,
 * UTF-16 by its NULs, what the file's own header `declared` — XML's `encoding=`, OFX's `CHARSET:` —
 * else UTF-8 when valid, else Windows-1252), and streams the rest. A file detected as UTF-8 whose later bytes are not UTF-8 is refused
 * (StatementError): re-reading it as another encoding would need the whole file.
 */
export async function decodeText(
  input: AsyncIterable<Buffer | string>,
  given: Encoding | undefined,
  declared: (head: string) => Encoding | undefined = () => undefined,
  prefixBytes = PREFIX_BYTES,
): Promise<DecodedText> {
  const source = input[Symbol.asyncIterator]();
  const chunks: Buffer[] = [];
  let size = 0;
  let complete = false;
  while (size < prefixBytes) {
    const next = await source.next();
    if (next.done) {
      complete = true;
      break;
    }
    const chunk = typeof next.value === 'string' ? Buffer.from(next.value, 'utf8') : next.value;
    chunks.push(chunk);
    size += chunk.length;
  }
  const head = Buffer.concat(chunks);
  const bom = bomOf(head);
  const encoding: Encoding =
    given ??
    bom?.encoding ??
    utf16ByNuls(head) ??
    declared(head.subarray(0, 4096).toString('latin1')) ??
    (isUtf8(head, complete) ? 'utf-8' : 'windows-1252');
  const strictUtf8 = encoding === 'utf-8';
  const decoder = strictUtf8
    ? new TextDecoder('utf-8', { fatal: true })
    : iconv.getDecoder(ICONV_NAMES[encoding]);
  let offset = 0;
  const decode = (bytes: Buffer, last: boolean): string => {
    try {
      const text =
        decoder instanceof TextDecoder
          ? decoder.decode(bytes, { stream: !last })
          : decoder.write(bytes) + (last ? (decoder.end() ?? '') : '');
      offset += bytes.length;
      return text;
    } catch {
      throw new StatementError(
        `The file is not valid UTF-8 after byte ${offset} (its start was); save it as UTF-8 or give its encoding`,
      );
    }
  };
  // iconv-lite and TextDecoder both drop a BOM; a given encoding may still meet one.
  let prefix = decode(head, complete);
  if (prefix.charCodeAt(0) === 0xfeff) prefix = prefix.slice(1);

  async function* rest(): AsyncGenerator<string> {
    if (complete) return;
    try {
      for (;;) {
        const next = await source.next();
        if (next.done) break;
        const chunk = typeof next.value === 'string' ? Buffer.from(next.value, 'utf8') : next.value;
        const text = decode(chunk, false);
        if (text !== '') yield text;
      }
      const tail = decode(Buffer.alloc(0), true);
      if (tail !== '') yield tail;
    } finally {
      await close();
    }
  }
  let closed = complete;
  async function close(): Promise<void> {
    if (closed) return;
    closed = true;
    await source.return?.();
  }
  return { encoding, prefix, complete, rest: rest(), close };
}

/** The encoding an XML declaration names (`<?xml version="1.0" encoding="ISO-8859-1"?>`), if read here. */
export function xmlDeclaredEncoding(head: string): Encoding | undefined {
  const name = /^\s*<\?xml[^>]*\bencoding\s*=\s*["']([A-Za-z0-9._-]+)["']/.exec(head)?.[1].toLowerCase();
  return encodingNamed(name);
}

function encodingNamed(name: string | undefined): Encoding | undefined {
  if (name === undefined) return undefined;
  if (name === 'utf-8' || name === 'utf8') return 'utf-8';
  if (/^(iso-?8859-1|latin-?1|8859-1)$/.test(name)) return 'iso-8859-1';
  if (/^(windows-|cp)?1252$/.test(name)) return 'windows-1252';
  return undefined;
}

/**
 * OFX 1.x's header: `CHARSET:1252` / `CHARSET:ISO-8859-1` (`ENCODING:UTF-8` → UTF-8); OFX 2.x: its
 * XML declaration. Many banks declare CHARSET:1252 and send UTF-8, so the header only decides
 * while the start of the file is plain ASCII (where both read the same); non-ASCII bytes decide
 * by the UTF-8 rule.
 */
export function ofxDeclaredEncoding(head: string): Encoding | undefined {
  if (/^\s*<\?xml/.test(head)) return xmlDeclaredEncoding(head);
  if (/[^\t\n\r\x20-\x7e]/.test(head)) return undefined;
  if (/^\s*ENCODING\s*:\s*UTF-?8\s*$/im.test(head)) return 'utf-8';
  return encodingNamed(/^\s*CHARSET\s*:\s*([A-Za-z0-9._-]+)\s*$/im.exec(head)?.[1].toLowerCase());
}
