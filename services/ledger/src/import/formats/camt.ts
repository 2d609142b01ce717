import { calendarDate } from './dates';
import { StatementError, type StatementItem, type StatementRow } from './statement';
import { decodeText, xmlDeclaredEncoding } from './text';
import { child, descendants, textAt, xmlEvents, type XmlElement } from './xml';

/**
 * ISO 20022 camt.053 (bank-to-customer statement, `BkToCstmrStmt`), versions 001.02 to 001.08 →
 * statement rows, one per booked `Ntry`: BookgDt (else ValDt) → date; Amt with CdtDbtInd → signed
 * amount, its Ccy → currency; AcctSvcrRef (else NtryRef, else the first TxDtls' AcctSvcrRef or
 * EndToEndId) → externalId; the RmtInf/Ustrd lines (else AddtlTxInf, else AddtlNtryInf) →
 * description; the counterparty's name (the creditor of a debit, the debtor of a credit) → payee.
 * Entries whose status is not booked (PDNG, INFO) are skipped and counted. docs/import-formats.md
 * has the field table.
 */

export interface CamtReadOptions {
  /** More entries than this: StatementError('tooLarge'). */
  maxRows: number;
}

const NAMESPACE = /^urn:iso:std:iso:20022:tech:xsd:camt\.(\d{3})\.001\.(\d{2})$/;
const SUPPORTED_VERSIONS = new Set(['02', '03', '04', '05', '06', '07', '08']);
/** ISO 20022 ActiveOrHistoricCurrencyAndAmount: up to 18 digits, at most 5 after the `.`, unsigned. */
const CAMT_AMOUNT = /^(\d{1,15})(?:\.(\d{1,5}))?$/;
const ISO_DATE = /^(\d{4}-\d{2}-\d{2})(?:T.*)?$/;

/** Reads a camt.053 statement and yields a dialect, then a row or problem per entry, then a last dialect. */
export async function* readCamt(
  input: AsyncIterable<Buffer | string>,
  options: CamtReadOptions,
): AsyncGenerator<StatementItem> {
  const text = await decodeText(input, undefined, xmlDeclaredEncoding);
  try {
    async function* all(): AsyncGenerator<string> {
      yield text.prefix;
      yield* text.rest;
    }
    let version: string | null = null;
    let rows = 0;
    let skipped = 0;
    let statements = 0;
    for await (const event of xmlEvents(all(), { entry: 'Ntry', context: new Set(['Id']), xmlns: true })) {
      if (event.kind === 'root') {
        version = camtVersion(event.name, event.namespace);
        yield { kind: 'dialect', dialect: { format: 'camt.053', version, encoding: text.encoding } };
        continue;
      }
      if (event.kind === 'context') {
        if (event.path.length === 4 && event.path[2] === 'Stmt') statements++;
        continue;
      }
      const status = textAt(event.element, 'Sts', 'Cd') ?? textAt(event.element, 'Sts');
      if (status !== null && status !== 'BOOK') {
        skipped++;
        continue;
      }
      if (++rows > options.maxRows)
        throw new StatementError(`The file has more than ${options.maxRows} entries`, 'tooLarge');
      yield camtItem(event.element);
    }
    if (rows === 0)
      throw new StatementError(
        skipped > 0
          ? `The statement has no booked entries (${skipped} pending or informational)`
          : 'The statement has no entries (Ntry)',
      );
    yield {
      kind: 'dialect',
      dialect: {
        format: 'camt.053',
        version,
        encoding: text.encoding,
        statements,
        records: rows,
        skipped_not_booked: skipped,
        complete: true,
      },
    };
  } finally {
    await text.close();
  }
}

/** `001.08` from the root's namespace; any other document → StatementError naming what it is. */
function camtVersion(root: string, namespace: string): string {
  const match = NAMESPACE.exec(namespace);
  if (root !== 'Document' || match === null)
    throw new StatementError(
      `The file is not an ISO 20022 camt document (root <${root}>, namespace ${JSON.stringify(namespace)})`,
    );
  if (match[1] !== '053')
    throw new StatementError(`The file is camt.${match[1]}, not a camt.053 bank-to-customer statement`);
  if (!SUPPORTED_VERSIONS.has(match[2]))
    throw new StatementError(`camt.053.001.${match[2]} is not read; versions 001.02 to 001.08 are`);
  return `001.${match[2]}`;
}

function entryDate(entry: XmlElement): string | null {
  for (const name of ['BookgDt', 'ValDt']) {
    const text = textAt(entry, name, 'Dt') ?? textAt(entry, name, 'DtTm');
    if (text !== null) return text;
  }
  return null;
}

/** A party's name: `Cdtr/Nm` (001.02–001.07) or `Cdtr/Pty/Nm` (001.08). */
function partyName(details: XmlElement | undefined, role: 'Cdtr' | 'Dbtr'): string | null {
  const party = child(details, 'RltdPties', role);
  return textAt(party, 'Nm') ?? textAt(party, 'Pty', 'Nm');
}

function camtItem(entry: XmlElement): StatementItem {
  const line = entry.line;
  const problem = (column: string, reason: string): StatementItem => ({
    kind: 'problem',
    problem: { line, column, reason },
  });
  const written = entryDate(entry);
  if (written === null) return problem('BookgDt', 'the entry has no BookgDt or ValDt');
  const iso = ISO_DATE.exec(written);
  const [year, month, day] = iso === null ? [] : iso[1].split('-');
  const date = iso === null ? null : calendarDate(year, month, day);
  if (date === null) return problem('BookgDt', `${JSON.stringify(written)} is not an ISO date`);

  const amt = child(entry, 'Amt');
  const amountText = amt?.text.trim() ?? '';
  const amount = CAMT_AMOUNT.exec(amountText);
  if (amount === null)
    return problem('Amt', `${JSON.stringify(amountText)} is not an unsigned decimal amount`);
  const currency = amt?.attributes.Ccy ?? null;
  if (currency === null || !/^[A-Z]{3}$/.test(currency))
    return problem('Amt', `the amount's Ccy ${JSON.stringify(currency)} is not an ISO 4217 currency code`);
  const direction = textAt(entry, 'CdtDbtInd');
  if (direction !== 'CRDT' && direction !== 'DBIT')
    return problem('CdtDbtInd', `${JSON.stringify(direction)} is neither CRDT nor DBIT`);
  const integer = amount[1].replace(/^0+(?=\d)/, '');
  const value = amount[2] === undefined ? integer : `${integer}.${amount[2]}`;
  const signed = direction === 'DBIT' && !/^[0.]*$/.test(value) ? `-${value}` : value;

  const details = descendants(entry, 'TxDtls')[0];
  const endToEnd = textAt(details, 'Refs', 'EndToEndId');
  const externalId =
    textAt(entry, 'AcctSvcrRef') ??
    textAt(entry, 'NtryRef') ??
    textAt(details, 'Refs', 'AcctSvcrRef') ??
    (endToEnd === 'NOTPROVIDED' ? null : endToEnd);
  const remittance = descendants(entry, 'Ustrd')
    .map((ustrd) => ustrd.text.trim())
    .filter((part) => part !== '');
  const additional = textAt(entry, 'AddtlNtryInf');
  const description =
    remittance.length > 0 ? remittance.join(' ') : (textAt(details, 'AddtlTxInf') ?? additional ?? '');
  const row: StatementRow = {
    line,
    date,
    amount: signed,
    currency,
    type: null,
    account: null,
    toAccount: null,
    description,
    payee: partyName(details, direction === 'DBIT' ? 'Cdtr' : 'Dbtr'),
    category: null,
    notes: additional !== null && additional !== description ? additional : null,
    tags: [],
    externalId,
  };
  return { kind: 'row', row };
}
