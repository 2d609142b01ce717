import fc from 'fast-check';
import iconv from 'iconv-lite';
import { readOfx } from '../src/import/formats/ofx';
import { StatementError } from '../src/import/formats/statement';
import { bankRow, chunks, collect } from './import-formats-support';

const read = (data: Buffer | string, chunk?: number, maxRows = 100) =>
  collect(readOfx(chunks(data, chunk), { maxRows }));
const failure = async (data: Buffer | string, maxRows = 100) => {
  const error = await read(data, undefined, maxRows).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(StatementError);
  return error as StatementError;
};

// OFX 1.x: an SGML header, then elements whose leaves are not closed.
const SGML = [
  'OFXHEADER:100', // 1
  'DATA:OFXSGML',
  'VERSION:102',
  'SECURITY:NONE',
  'ENCODING:USASCII', // 5
  'CHARSET:1252',
  'COMPRESSION:NONE',
  'OLDFILEUID:NONE',
  'NEWFILEUID:NONE',
  '', // 10
  '<OFX>',
  '<SIGNONMSGSRSV1><SONRS><STATUS><CODE>0<SEVERITY>INFO</STATUS><DTSERVER>20260331120000<LANGUAGE>ENG</SONRS></SIGNONMSGSRSV1>',
  '<BANKMSGSRSV1><STMTTRNRS><TRNUID>1<STMTRS>',
  '<CURDEF>EUR',
  '<BANKACCTFROM><BANKID>123<ACCTID>456<ACCTTYPE>CHECKING</BANKACCTFROM>', // 15
  '<BANKTRANLIST><DTSTART>20260301<DTEND>20260331',
  '<STMTTRN>',
  '<TRNTYPE>DEBIT',
  '<DTPOSTED>20260302120000.000[-5:EST]',
  '<TRNAMT>-110.70', // 20
  '<FITID>2026030201',
  '<NAME>Shop & Co',
  '<MEMO>Card 1234',
  '</STMTTRN>',
  '<STMTTRN>', // 25
  '<TRNTYPE>CREDIT',
  '<DTPOSTED>20260305',
  '<TRNAMT>2500,00',
  '<FITID>2026030501',
  '<PAYEE><NAME>Employer Ltd<ADDR1>Main St 1</PAYEE>', // 30
  '</STMTTRN>',
  '<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20260231<TRNAMT>-1.00<FITID>bad-date</STMTTRN>',
  '<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20260310<TRNAMT>12,3.4<FITID>bad-amount</STMTTRN>',
  '<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20260311<TRNAMT>-5<FITID>usd<CURRENCY><CURRATE>1.1<CURSYM>usd</CURRENCY></STMTTRN>',
  '</BANKTRANLIST>', // 35
  '<LEDGERBAL><BALAMT>1234.56<DTASOF>20260331</LEDGERBAL>',
  '</STMTRS></STMTTRNRS></BANKMSGSRSV1>',
  '</OFX>',
].join('\r\n');

const XML = `<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<?OFX OFXHEADER="200" VERSION="220" SECURITY="NONE" OLDFILEUID="NONE" NEWFILEUID="NONE"?>
<OFX>
  <CREDITCARDMSGSRSV1>
    <CCSTMTTRNRS>
      <TRNUID>1</TRNUID>
      <CCSTMTRS>
        <CURDEF>GBP</CURDEF>
        <BANKTRANLIST>
          <STMTTRN>
            <TRNTYPE>DEBIT</TRNTYPE>
            <DTPOSTED>20260302</DTPOSTED>
            <TRNAMT>-12.00</TRNAMT>
            <FITID>A1</FITID>
            <NAME>Caf&#233; &amp; Bar</NAME>
          </STMTTRN>
          <STMTTRN>
            <TRNTYPE>CREDIT</TRNTYPE>
            <DTPOSTED>20260303093000[+1:CET]</DTPOSTED>
            <TRNAMT>+3.5</TRNAMT>
            <FITID>A2</FITID>
            <MEMO>Refund</MEMO>
          </STMTTRN>
          <STMTTRN>
            <TRNTYPE>DEBIT</TRNTYPE>
            <DTPOSTED>20260304</DTPOSTED>
            <TRNAMT>abc</TRNAMT>
            <FITID>A3</FITID>
          </STMTTRN>
        </BANKTRANLIST>
      </CCSTMTRS>
    </CCSTMTTRNRS>
  </CREDITCARDMSGSRSV1>
</OFX>
`;

describe('OFX 1.x (SGML)', () => {
  it('reads every STMTTRN, debit and credit, with problems at their lines', async () => {
    for (const chunk of [undefined, 3, 17]) {
      const { dialect, end, rows, problems } = await read(SGML, chunk);
      // CHARSET:1252 decides: the start of the file is plain ASCII.
      expect(dialect).toEqual({ format: 'ofx', version: '1.x (SGML)', encoding: 'windows-1252' });
      expect(end).toMatchObject({ currency: 'EUR', records: 5, complete: true });
      expect(rows).toEqual([
        bankRow({
          line: 17,
          date: '2026-03-02',
          amount: '-110.70',
          currency: 'EUR',
          description: 'Shop & Co',
          payee: 'Shop & Co',
          notes: 'Card 1234',
          externalId: '2026030201',
        }),
        bankRow({
          line: 25,
          date: '2026-03-05',
          amount: '2500.00',
          currency: 'EUR',
          description: 'Employer Ltd',
          payee: 'Employer Ltd',
          externalId: '2026030501',
        }),
        bankRow({
          line: 34,
          date: '2026-03-11',
          amount: '-5',
          currency: 'USD',
          description: 'DEBIT',
          externalId: 'usd',
        }),
      ]);
      expect(problems).toEqual([
        { line: 32, column: 'DTPOSTED', reason: '"20260231" is not an OFX date (YYYYMMDD…)' },
        { line: 33, column: 'TRNAMT', reason: '"12,3.4" is not an amount' },
      ]);
    }
  });

  it('CHARSET:1252 read as declared past the first 64 KiB; UTF-8 bytes despite CHARSET:1252 read as UTF-8', async () => {
    const filler = '<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20260301<TRNAMT>-1.00<FITID>f</STMTTRN>\r\n'.repeat(
      1200,
    );
    const late = SGML.replace('<STMTTRN>\r\n<TRNTYPE>DEBIT', `${filler}<STMTTRN>\r\n<TRNTYPE>DEBIT`).replace(
      'Shop & Co',
      'Café €',
    );
    const { rows } = await read(iconv.encode(late, 'win1252'), undefined, 2000);
    expect(rows.find((r) => r.externalId === '2026030201')?.payee).toBe('Café €');
    const utf8 = SGML.replace('OFXHEADER:100', 'OFXHEADER:100\r\nX-NOTE:é').replace('Shop & Co', 'Café €');
    const read8 = await read(Buffer.from(utf8, 'utf8'));
    expect([read8.dialect.encoding, read8.rows[0].payee]).toEqual(['utf-8', 'Café €']);
  });

  it('a Windows-1252 QFX (CHARSET:1252 bytes) keeps its é and €', async () => {
    const bytes = iconv.encode(SGML.replace('Shop & Co', 'Café €'), 'win1252');
    const { dialect, rows } = await read(bytes);
    expect(dialect.encoding).toBe('windows-1252');
    expect(rows[0].payee).toBe('Café €');
  });
});

describe('OFX 2.x (XML)', () => {
  it('reads every STMTTRN with entities, time zones and signs', async () => {
    const { dialect, rows, problems } = await read(XML, 11);
    expect(dialect).toEqual({ format: 'ofx', version: '2.x (XML)', encoding: 'utf-8' });
    expect(rows).toEqual([
      bankRow({
        line: 10,
        date: '2026-03-02',
        amount: '-12.00',
        currency: 'GBP',
        description: 'Café & Bar',
        payee: 'Café & Bar',
        externalId: 'A1',
      }),
      bankRow({
        line: 17,
        date: '2026-03-03',
        amount: '3.5',
        currency: 'GBP',
        description: 'Refund',
        notes: 'Refund',
        externalId: 'A2',
      }),
    ]);
    expect(problems).toEqual([{ line: 24, column: 'TRNAMT', reason: '"abc" is not an amount' }]);
  });

  it('a DOCTYPE (entity bomb) is refused before anything expands', async () => {
    const bomb = XML.replace(
      '<OFX>',
      '<!DOCTYPE OFX [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>\n<OFX>',
    ).replace('<MEMO>Refund', '<MEMO>&b;');
    expect((await failure(bomb)).message).toMatch(/DOCTYPE is refused/);
  });

  it('whole-file problems: not OFX, broken XML with its line, no transactions, too many', async () => {
    expect((await failure('hello')).message).toMatch(/not OFX/);
    expect((await failure(XML.replace('</TRNAMT>', '</TRNAMTX>'))).message).toMatch(
      /^The XML is not well-formed: line 13, column 36: unexpected close tag/,
    );
    expect((await failure('<?xml version="1.0"?><OFX></OFX>')).message).toBe(
      'The OFX file has no transactions (STMTTRN)',
    );
    const tooMany = await failure(XML, 2);
    expect([tooMany.reason, tooMany.message]).toEqual(['tooLarge', 'The file has more than 2 transactions']);
  });
});

describe('OFX fuzz', () => {
  it('any text built from OFX pieces → rows, problems or a StatementError', async () => {
    const token = fc.constantFrom(
      'OFXHEADER:100\n',
      '<OFX>',
      '</OFX>',
      '<STMTTRN>',
      '</STMTTRN>',
      '<TRNAMT>',
      '-1.5',
      '<DTPOSTED>',
      '20260301',
      '<NAME>',
      'x & y',
      '<',
      '>',
      '</',
      '\n',
      '<?xml version="1.0"?>',
      '&amp;',
      '&bad;',
      '<!DOCTYPE x>',
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
