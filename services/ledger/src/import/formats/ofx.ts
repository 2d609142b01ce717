import { calendarDate } from './dates';
import { StatementError, type StatementItem, type StatementRow } from './statement';
import { decodeText, ofxDeclaredEncoding } from './text';
import { sgmlToXml, textAt, xmlEvents, type XmlElement } from './xml';

/**
 * OFX (and Quicken's QFX, the same format) bank and credit-card statements → statement rows.
 * OFX 1.x (SGML, leaf tags not closed) goes through {@link sgmlToXml} first; OFX 2.x is XML.
 * Each `STMTTRN` is one row: DTPOSTED → date, TRNAMT → amount, NAME (or PAYEE/NAME) → payee and
 * description, MEMO → notes, FITID → externalId, CURRENCY/CURSYM or the statement's CURDEF →
 * currency. docs/import-formats.md has the field table.
 */

export interface OfxReadOptions {
  /** More transactions than this: StatementError('tooLarge'). */
  maxRows: number;
}

/** `YYYYMMDD[HHMMSS[.XXX]][[±hh[.mm]][:TZ]]`: the date part as the bank wrote it (its own time zone). */
const OFX_DATE =
  /^(\d{4})(\d{2})(\d{2})(?:\d{2}(?:\d{2}(?:\d{2}(?:\.\d{1,3})?)?)?)?\s*(?:\[[+-]?\d{1,2}(?:[.:]\d{2})?(?::[A-Za-z]+)?\])?$/;
/** A signed decimal with `.` (or `,`, which some European banks write) and no grouping. */
const OFX_AMOUNT = /^([+-])?(\d*)(?:[.,](\d+))?$/;

/** `-12.50` as the exact signed decimal string (`-12.50`), or `null`. */
export function ofxAmount(text: string): string | null {
  const match = OFX_AMOUNT.exec(text.trim());
  if (match === null || (match[2] === '' && match[3] === undefined)) return null;
  const integer = match[2].replace(/^0+(?=\d)/, '') || '0';
  if (integer.length > 15 || (match[3]?.length ?? 0) > 8) return null;
  const value = match[3] === undefined ? integer : `${integer}.${match[3]}`;
  return match[1] === '-' && !/^[0.]*$/.test(value) ? `-${value}` : value;
}

export function ofxDate(text: string): string | null {
  const match = OFX_DATE.exec(text.trim());
  return match === null ? null : calendarDate(match[1], match[2], match[3]);
}

/** Reads OFX 1.x or 2.x (QFX too) and yields a dialect, then a row or problem per STMTTRN, then a last dialect. */
export async function* readOfx(
  input: AsyncIterable<Buffer | string>,
  options: OfxReadOptions,
): AsyncGenerator<StatementItem> {
  const text = await decodeText(input, undefined, ofxDeclaredEncoding);
  try {
    const head = text.prefix.replace(/^\s+/, '');
    const xml = head.startsWith('<?xml') || /OFXHEADER\s*=\s*"2\d\d"/.test(head.slice(0, 2000));
    if (!xml && !/^OFXHEADER\s*:\s*\d+/.test(head) && !/<OFX>/i.test(head))
      throw new StatementError('The file is not OFX: it starts with neither OFXHEADER nor <?xml nor <OFX>');
    const version = xml ? '2.x (XML)' : '1.x (SGML)';
    yield { kind: 'dialect', dialect: { format: 'ofx', version, encoding: text.encoding } };

    async function* all(): AsyncGenerator<string> {
      yield text.prefix;
      yield* text.rest;
    }
    const events = xmlEvents(xml ? all() : sgmlToXml(all()), {
      entry: 'STMTTRN',
      context: new Set(['CURDEF']),
      xmlns: false,
    });
    let statementCurrency: string | null = null;
    let rows = 0;
    for await (const event of events) {
      if (event.kind === 'root' && event.name !== 'OFX')
        throw new StatementError(`The file's root element is <${event.name}>, not <OFX>`);
      if (event.kind === 'context') statementCurrency = event.text.toUpperCase();
      if (event.kind !== 'entry') continue;
      if (++rows > options.maxRows)
        throw new StatementError(`The file has more than ${options.maxRows} transactions`, 'tooLarge');
      yield ofxItem(event.element, statementCurrency);
    }
    if (rows === 0) throw new StatementError('The OFX file has no transactions (STMTTRN)');
    yield {
      kind: 'dialect',
      dialect: {
        format: 'ofx',
        version,
        encoding: text.encoding,
        currency: statementCurrency,
        records: rows,
        complete: true,
      },
    };
  } finally {
    await text.close();
  }
}

function ofxItem(entry: XmlElement, statementCurrency: string | null): StatementItem {
  const line = entry.line;
  const problem = (column: string, reason: string): StatementItem => ({
    kind: 'problem',
    problem: { line, column, reason },
  });
  const posted = textAt(entry, 'DTPOSTED');
  if (posted === null) return problem('DTPOSTED', 'the transaction has no DTPOSTED');
  const date = ofxDate(posted);
  if (date === null) return problem('DTPOSTED', `${JSON.stringify(posted)} is not an OFX date (YYYYMMDD…)`);
  const trnamt = textAt(entry, 'TRNAMT');
  if (trnamt === null) return problem('TRNAMT', 'the transaction has no TRNAMT');
  const amount = ofxAmount(trnamt);
  if (amount === null) return problem('TRNAMT', `${JSON.stringify(trnamt)} is not an amount`);
  const currency = (textAt(entry, 'CURRENCY', 'CURSYM') ?? statementCurrency)?.toUpperCase() ?? null;
  if (currency !== null && !/^[A-Z]{3}$/.test(currency))
    return problem('CURSYM', `${JSON.stringify(currency)} is not an ISO 4217 currency code`);
  const payee = textAt(entry, 'NAME') ?? textAt(entry, 'PAYEE', 'NAME');
  const memo = textAt(entry, 'MEMO');
  const row: StatementRow = {
    line,
    date,
    amount,
    currency,
    type: null,
    account: null,
    toAccount: null,
    description: payee ?? memo ?? textAt(entry, 'TRNTYPE') ?? '',
    payee,
    category: null,
    notes: memo,
    tags: [],
    externalId: textAt(entry, 'FITID'),
  };
  return { kind: 'row', row };
}
