import fc from 'fast-check';
import iconv from 'iconv-lite';
import { readCamt } from '../src/import/formats/camt';
import { StatementError } from '../src/import/formats/statement';
import { bankRow, chunks, collect } from './import-formats-support';

const read = (data: Buffer | string, chunk?: number, maxRows = 100) =>
  collect(readCamt(chunks(data, chunk), { maxRows }));
const failure = async (data: Buffer | string, maxRows = 100) => {
  const error = await read(data, undefined, maxRows).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(StatementError);
  return error as StatementError;
};

/** A camt.053 statement of the given version; 001.08 nests party names in Pty, and Sts in Cd. */
function statement(version: string, entries: string[]): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.${version}">
  <BkToCstmrStmt>
    <GrpHdr><MsgId>M1</MsgId><CreDtTm>2026-03-31T20:00:00</CreDtTm></GrpHdr>
    <Stmt>
      <Id>S1</Id>
      <Acct><Id><IBAN>NL91ABNA0417164300</IBAN></Id><Ccy>EUR</Ccy></Acct>
      <Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">100.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-03-01</Dt></Dt></Bal>
${entries.join('\n')}
    </Stmt>
  </BkToCstmrStmt>
</Document>
`;
}

const v08 = (version: string) => version === '08';
const status = (version: string, code: string) =>
  v08(version) ? `<Sts><Cd>${code}</Cd></Sts>` : `<Sts>${code}</Sts>`;
const party = (version: string, role: string, name: string) =>
  v08(version) ? `<${role}><Pty><Nm>${name}</Nm></Pty></${role}>` : `<${role}><Nm>${name}</Nm></${role}>`;

const entries = (version: string) => [
  // line 9: a card payment (debit) to a shop: the creditor is the payee
  `<Ntry>
  <Amt Ccy="EUR">110.70</Amt><CdtDbtInd>DBIT</CdtDbtInd>${status(version, 'BOOK')}
  <BookgDt><Dt>2026-03-02</Dt></BookgDt><ValDt><Dt>2026-03-03</Dt></ValDt>
  <AcctSvcrRef>REF-1</AcctSvcrRef>
  <NtryDtls><TxDtls><Refs><EndToEndId>E2E-1</EndToEndId></Refs>
    <RltdPties>${party(version, 'Dbtr', 'Me')}${party(version, 'Cdtr', 'Shop &amp; Co')}</RltdPties>
    <RmtInf><Ustrd>Invoice 42</Ustrd><Ustrd>thank you</Ustrd></RmtInf>
  </TxDtls></NtryDtls>
  <AddtlNtryInf>CARD PAYMENT</AddtlNtryInf>
</Ntry>`,
  // line 19: salary (credit): the debtor is the payee; no AcctSvcrRef, so NtryRef
  `<Ntry>
  <NtryRef>NR-2</NtryRef>
  <Amt Ccy="EUR">2500</Amt><CdtDbtInd>CRDT</CdtDbtInd>${status(version, 'BOOK')}
  <BookgDt><DtTm>2026-03-05T08:00:00+01:00</DtTm></BookgDt>
  <NtryDtls><TxDtls><RltdPties>${party(version, 'Dbtr', 'Employer Ltd')}</RltdPties></TxDtls></NtryDtls>
  <AddtlNtryInf>SALARY MARCH</AddtlNtryInf>
</Ntry>`,
  // line 26: pending: skipped
  `<Ntry><Amt Ccy="EUR">1.00</Amt><CdtDbtInd>DBIT</CdtDbtInd>${status(version, 'PDNG')}<BookgDt><Dt>2026-03-31</Dt></BookgDt></Ntry>`,
  // line 27: a bad amount
  `<Ntry><Amt Ccy="EUR">-5,00</Amt><CdtDbtInd>DBIT</CdtDbtInd>${status(version, 'BOOK')}<BookgDt><Dt>2026-03-06</Dt></BookgDt></Ntry>`,
  // line 28: no direction
  `<Ntry><Amt Ccy="USD">5.00</Amt>${status(version, 'BOOK')}<ValDt><Dt>2026-03-07</Dt></ValDt></Ntry>`,
  // line 29: no date
  `<Ntry><Amt Ccy="EUR">5.00</Amt><CdtDbtInd>CRDT</CdtDbtInd></Ntry>`,
  // line 30: only an EndToEndId; a foreign currency
  `<Ntry><Amt Ccy="USD">0.5</Amt><CdtDbtInd>CRDT</CdtDbtInd><ValDt><Dt>2026-03-08</Dt></ValDt><NtryDtls><TxDtls><Refs><EndToEndId>E2E-7</EndToEndId></Refs><AddtlTxInf>FX credit</AddtlTxInf></TxDtls></NtryDtls></Ntry>`,
];

describe('camt.053', () => {
  it.each(['02', '04', '08'])(
    'version 001.%s: rows by direction, references, texts and problems by line',
    async (version) => {
      const { dialect, end, rows, problems } = await read(statement(version, entries(version)), 13);
      expect(dialect).toEqual({ format: 'camt.053', version: `001.${version}`, encoding: 'utf-8' });
      expect(end).toMatchObject({ statements: 1, records: 6, skipped_not_booked: 1, complete: true });
      expect(rows).toEqual([
        bankRow({
          line: 9,
          date: '2026-03-02',
          amount: '-110.70',
          currency: 'EUR',
          description: 'Invoice 42 thank you',
          payee: 'Shop & Co',
          notes: 'CARD PAYMENT',
          externalId: 'REF-1',
        }),
        bankRow({
          line: 19,
          date: '2026-03-05',
          amount: '2500',
          currency: 'EUR',
          description: 'SALARY MARCH',
          payee: 'Employer Ltd',
          externalId: 'NR-2',
        }),
        bankRow({
          line: 30,
          date: '2026-03-08',
          amount: '0.5',
          currency: 'USD',
          description: 'FX credit',
          externalId: 'E2E-7',
        }),
      ]);
      expect(problems).toEqual([
        { line: 27, column: 'Amt', reason: '"-5,00" is not an unsigned decimal amount' },
        { line: 28, column: 'CdtDbtInd', reason: 'null is neither CRDT nor DBIT' },
        { line: 29, column: 'BookgDt', reason: 'the entry has no BookgDt or ValDt' },
      ]);
    },
  );

  it('an ISO-8859-1 statement (its XML declaration) keeps its accents', async () => {
    const latin = statement('02', entries('02').slice(0, 1))
      .replace('encoding="UTF-8"', 'encoding="ISO-8859-1"')
      .replace('Shop &amp; Co', 'Crème brûlée');
    const { dialect, rows } = await read(iconv.encode(latin, 'latin1'));
    expect([dialect.encoding, rows[0].payee]).toEqual(['iso-8859-1', 'Crème brûlée']);
  });

  it('a consumer that stops after the first entry does not hang and ends the input', async () => {
    let ended = false;
    const [head, tail] = statement('02', ['@']).split('@');
    async function* endless() {
      try {
        yield head;
        for (;;) yield entries('02')[0].repeat(50);
      } finally {
        ended = true;
      }
      yield tail;
    }
    for await (const item of readCamt(endless(), { maxRows: 1e9 })) if (item.kind === 'row') break;
    expect(ended).toBe(true);
  });

  it('a namespace prefix on every element reads the same', async () => {
    const prefixed = statement('02', entries('02').slice(0, 1))
      .replace('<Document xmlns=', '<c:Document xmlns:c=')
      .replace(/<(\/?)(?!\?|c:)([A-Za-z])/g, '<$1c:$2');
    const { rows } = await read(prefixed);
    expect(rows.map((r) => [r.amount, r.payee])).toEqual([['-110.70', 'Shop & Co']]);
  });

  it('whole-file problems name what the file is', async () => {
    expect(
      (await failure('<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.052.001.02"/>')).message,
    ).toBe('The file is camt.052, not a camt.053 bank-to-customer statement');
    expect(
      (await failure('<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.01"/>')).message,
    ).toBe('camt.053.001.01 is not read; versions 001.02 to 001.08 are');
    expect((await failure('<OFX></OFX>')).message).toMatch(/not an ISO 20022 camt document \(root <OFX>/);
    expect((await failure(statement('02', []))).message).toBe('The statement has no entries (Ntry)');
    expect((await failure(statement('02', [entries('02')[2]]))).message).toBe(
      'The statement has no booked entries (1 pending or informational)',
    );
    expect((await failure(statement('02', entries('02')).replace('</Stmt>', ''))).message).toMatch(
      /^The XML is not well-formed: line \d+, column \d+/,
    );
    const tooMany = await failure(statement('02', entries('02')), 2);
    expect([tooMany.reason, tooMany.message]).toEqual(['tooLarge', 'The file has more than 2 entries']);
  });

  it('an entity bomb is refused; an undeclared entity is a well-formedness error', async () => {
    const bomb = statement('02', entries('02')).replace(
      '<Document',
      '<!DOCTYPE Document [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>\n<Document',
    );
    expect((await failure(bomb)).message).toMatch(/DOCTYPE is refused/);
    expect((await failure(statement('02', entries('02')).replace('Invoice 42', '&lol;'))).message).toMatch(
      /not well-formed/,
    );
  });

  it('an entry larger than the bound is refused, not held', async () => {
    const huge = statement('02', [entries('02')[0].replace('Invoice 42', 'x'.repeat(300_000))]);
    expect((await failure(huge)).message).toMatch(/^Line 9: an Ntry is larger than/);
  });

  it('fuzz: any text built from camt pieces → rows, problems or a StatementError', async () => {
    const token = fc.constantFrom(
      '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">',
      '</Document>',
      '<Ntry>',
      '</Ntry>',
      '<Amt Ccy="EUR">',
      '</Amt>',
      '1.00',
      '<CdtDbtInd>',
      'DBIT',
      '</CdtDbtInd>',
      '<BookgDt><Dt>2026-03-01</Dt></BookgDt>',
      '<',
      '&',
      '\n',
      '<x:a>',
      '<!DOCTYPE a>',
      ']]>',
      '<![CDATA[',
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(token, { maxLength: 60 }),
        fc.integer({ min: 1, max: 40 }),
        async (tokens, chunk) => {
          try {
            const { rows } = await read(tokens.join(''), chunk);
            for (const row of rows) expect(row.amount).toMatch(/^-?\d+(\.\d+)?$/);
          } catch (error) {
            if (!(error instanceof StatementError)) throw error;
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
