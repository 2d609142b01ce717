import { SaxesParser, type SaxesTagNS } from 'saxes';
import { StatementError } from './statement';

/**
 * Streamed XML for statement files (OFX 2.x, OFX 1.x after {@link sgmlToXml}, camt.053), parsed by
 * saxes: only the elements of one entry (`STMTTRN`, `Ntry`) are ever held, as a small tree; the
 * rest of the document passes by as events. saxes does not expand entities a DOCTYPE declares,
 * and a DOCTYPE is refused outright (no statement format has one), so there is no entity bomb;
 * an entry is bounded in size and depth.
 */

/** One element of an entry: local name (no namespace prefix), attributes, text and children. */
export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  text: string;
  children: XmlElement[];
  /** 1-based line of its start tag. */
  line: number;
}

/** The first child named `name`, following a path (`child(ntry, 'BookgDt', 'Dt')`). */
export function child(element: XmlElement | undefined, ...path: string[]): XmlElement | undefined {
  let at = element;
  for (const name of path) at = at?.children.find((c) => c.name === name);
  return at;
}

/** The trimmed text at the path, or `null` when absent or empty. */
export function textAt(element: XmlElement | undefined, ...path: string[]): string | null {
  const text = child(element, ...path)?.text.trim();
  return text ? text : null;
}

/** Every descendant named `name`, in document order. */
export function descendants(element: XmlElement, name: string): XmlElement[] {
  const found: XmlElement[] = [];
  const walk = (at: XmlElement) => {
    for (const c of at.children) {
      if (c.name === name) found.push(c);
      walk(c);
    }
  };
  walk(element);
  return found;
}

export type XmlEvent =
  /** The root element's start (name and namespace), before anything else. */
  | { kind: 'root'; name: string; namespace: string; line: number }
  /** A leaf outside entries whose name the caller asked for (`CURDEF`, `Ccy`), with its path. */
  | { kind: 'context'; path: string[]; text: string }
  /** A whole entry. */
  | { kind: 'entry'; element: XmlElement };

export interface XmlEntryOptions {
  /** Local name of the entry elements. */
  entry: string;
  /** Local names of leaves outside entries to report (`context` events). */
  context: ReadonlySet<string>;
  /** Namespaces on (camt): names are local names without prefix. */
  xmlns: boolean;
}

/** An entry holds at most this much text, and this many elements deep. */
const MAX_ENTRY_CHARS = 256 * 1024;
const MAX_DEPTH = 32;

/** The XML text's events, in order; a document that is not well-formed → StatementError with its line. */
export async function* xmlEvents(
  text: AsyncIterable<string>,
  options: XmlEntryOptions,
): AsyncGenerator<XmlEvent> {
  const parser = new SaxesParser({ xmlns: options.xmlns, position: true });
  const events: XmlEvent[] = [];
  const path: string[] = [];
  let stack: XmlElement[] = []; // the entry being built, outermost first
  let entryChars = 0;
  let leafText = '';
  let rooted = false;
  let failure: StatementError | null = null;
  const fail = (message: string) => {
    failure ??= new StatementError(message);
  };

  parser.on('doctype', () => fail(`Line ${parser.line}: a DOCTYPE is refused (no statement format has one)`));
  // saxes says "13:36: unexpected close tag." (line:column); said here for a person.
  const notWellFormed = (error: Error) =>
    fail(`The XML is not well-formed: ${error.message.replace(/^(\d+):(\d+): /, 'line $1, column $2: ')}`);
  parser.on('error', notWellFormed);
  parser.on('opentag', (tag) => {
    const name = options.xmlns ? (tag as SaxesTagNS).local : tag.name;
    if (!rooted) {
      rooted = true;
      const namespace = options.xmlns ? ((tag as SaxesTagNS).uri ?? '') : '';
      events.push({ kind: 'root', name, namespace, line: parser.line });
    }
    path.push(name);
    leafText = '';
    if (stack.length === 0 && name !== options.entry) return;
    if (stack.length >= MAX_DEPTH)
      return fail(`Line ${parser.line}: an ${options.entry} is nested too deeply`);
    const attributes: Record<string, string> = {};
    for (const [key, value] of Object.entries(tag.attributes))
      attributes[options.xmlns ? ((value as { local: string }).local ?? key) : key] =
        typeof value === 'string' ? value : (value as { value: string }).value;
    const element: XmlElement = { name, attributes, text: '', children: [], line: parser.line };
    stack[stack.length - 1]?.children.push(element);
    stack.push(element);
  });
  const onText = (data: string) => {
    if (stack.length > 0) {
      entryChars += data.length;
      if (entryChars > MAX_ENTRY_CHARS)
        return fail(
          `Line ${stack[0].line}: an ${options.entry} is larger than ${MAX_ENTRY_CHARS} characters`,
        );
      stack[stack.length - 1].text += data;
    } else if (options.context.has(path[path.length - 1]) && leafText.length < 1024) leafText += data;
  };
  parser.on('text', onText);
  parser.on('cdata', onText);
  parser.on('closetag', () => {
    const name = path.pop()!;
    if (stack.length === 0) {
      if (options.context.has(name) && leafText.trim() !== '')
        events.push({ kind: 'context', path: [...path, name], text: leafText.trim() });
      leafText = '';
      return;
    }
    const element = stack.pop()!;
    if (stack.length === 0) {
      events.push({ kind: 'entry', element });
      entryChars = 0;
      stack = [];
    }
  });

  const write = (chunk: string | null) => {
    try {
      if (chunk === null) parser.close();
      else parser.write(chunk);
    } catch (error) {
      notWellFormed(error as Error);
    }
    if (failure !== null) throw failure;
  };
  for await (const chunk of text) {
    write(chunk);
    yield* events.splice(0);
  }
  write(null);
  yield* events.splice(0);
  if (!rooted) throw new StatementError('The file has no XML element');
}

/**
 * OFX 1.x is SGML: leaf elements are not closed (`<TRNAMT>-12.50` then the next tag). This turns
 * it into XML by closing each leaf before the next tag, closing open elements an end tag skips
 * (SGML's omitted end tags), and escaping a bare `&`. It only inserts end tags and `amp;`, never a
 * line break, so lines stay the file's own. Streamed: it holds the text after the last `<` only.
 */
export async function* sgmlToXml(text: AsyncIterable<string>): AsyncGenerator<string> {
  const open: string[] = [];
  let pendingLeaf: string | null = null; // an element opened and followed by text so far
  let leafHasText = false;
  let carry = '';
  let started = false;
  const BARE_AMP = /&(?!(?:[A-Za-z][A-Za-z0-9]*|#\d+|#x[0-9A-Fa-f]+);)/g;

  const convert = (segment: string, final: boolean): string => {
    let out = '';
    let at = 0;
    if (!started) {
      const first = segment.indexOf('<');
      if (first < 0 && !final) return segment.replace(/[^\n]/g, '');
      // The OFXHEADER:100 … lines before <OFX> are not XML: blanked, their line breaks kept.
      const header = first < 0 ? segment : segment.slice(0, first);
      out += header.replace(/[^\n]/g, '');
      at = first < 0 ? segment.length : first;
      started = first >= 0;
    }
    while (at < segment.length) {
      const lt = segment.indexOf('<', at);
      const data = segment.slice(at, lt < 0 ? segment.length : lt);
      if (data !== '') {
        if (data.trim() !== '') leafHasText = pendingLeaf !== null || leafHasText;
        out += data.replace(BARE_AMP, '&amp;');
      }
      if (lt < 0) break;
      const gt = segment.indexOf('>', lt);
      if (gt < 0) throw new StatementError('The OFX file ends inside a tag');
      const tag = segment.slice(lt, gt + 1);
      at = gt + 1;
      const closing = /^<\/\s*([A-Za-z0-9._]+)\s*>$/.exec(tag);
      const opening = /^<([A-Za-z0-9._]+)\s*>$/.exec(tag);
      if (pendingLeaf !== null && leafHasText && !(closing && closing[1] === pendingLeaf)) {
        out += `</${pendingLeaf}>`;
        open.pop();
      }
      const wasLeaf = pendingLeaf !== null && leafHasText;
      pendingLeaf = null;
      leafHasText = false;
      if (closing) {
        const index = open.lastIndexOf(closing[1]);
        if (index < 0 && wasLeaf) continue; // its leaf's end tag, already written above
        if (index >= 0) {
          while (open.length - 1 > index) out += `</${open.pop()}>`;
          open.pop();
        }
        out += tag;
      } else if (opening) {
        if (open.length >= 64) throw new StatementError('The OFX file nests elements too deeply');
        open.push(opening[1]);
        pendingLeaf = opening[1];
        out += tag;
      } else out += tag; // a comment or processing instruction: saxes judges it
    }
    return out;
  };

  for await (const chunk of text) {
    const segment = carry + chunk;
    const cut = segment.lastIndexOf('<');
    if (cut < 0) {
      carry = '';
      yield convert(segment, false);
      continue;
    }
    carry = segment.slice(cut);
    if (carry.length > 64 * 1024) throw new StatementError('The OFX file has a tag longer than 64 KiB');
    yield convert(segment.slice(0, cut), false);
  }
  let tail = convert(carry, true);
  if (pendingLeaf !== null && leafHasText) {
    tail += `</${pendingLeaf}>`;
    open.pop();
  }
  while (open.length > 0) tail += `</${open.pop()}>`;
  yield tail;
}
