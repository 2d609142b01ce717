import { LedgerHarness, type TestUser } from './support';
import { allTransactions } from './import-support';

/**
 * OFX/QFX and camt.053 through the one import pipeline: the file's own fields become
 * transactions in the target account, the bank's id (FITID, AcctSvcrRef) is the external id that
 * makes a re-import of an overlapping statement skip what is stored, and undo removes them.
 */
describe('POST /import/ofx and /import/camt', () => {
  let h: LedgerHarness;
  beforeAll(async () => {
    h = await LedgerHarness.start('import_bank');
  });
  afterAll(() => h?.stop());

  const upload = (user: TestUser, format: string, body: string, mediaType: string, query = '') =>
    h.call('POST', `/import/${format}${query ? `?${query}` : ''}`, user, {
      body,
      headers: { 'content-type': mediaType },
    });

  async function userWithAccount(): Promise<{ user: TestUser; account: string }> {
    const user = await h.user({ baseCurrency: 'EUR' });
    const account = (
      await h.call('POST', '/accounts', user, { body: { name: 'Bank', type: 'checking', currency: 'EUR' } })
    ).body.id;
    return { user, account };
  }

  const ofxEntry = (fitid: string, date: string, amount: string, name: string) =>
    `<STMTTRN><TRNTYPE>${amount.startsWith('-') ? 'DEBIT' : 'CREDIT'}<DTPOSTED>${date}<TRNAMT>${amount}<FITID>${fitid}<NAME>${name}</STMTTRN>`;
  const ofx = (entries: string[]) =>
    [
      'OFXHEADER:100',
      'DATA:OFXSGML',
      'VERSION:102',
      '',
      '<OFX><BANKMSGSRSV1><STMTTRNRS><TRNUID>1<STMTRS><CURDEF>EUR',
      '<BANKTRANLIST><DTSTART>20260301<DTEND>20260331',
      ...entries,
      '</BANKTRANLIST></STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>',
    ].join('\r\n');

  it('imports an OFX statement, skips its FITIDs on a re-import of an overlapping one, and undoes it', async () => {
    const { user, account } = await userWithAccount();
    const march = ofx([
      ofxEntry('F1', '20260302', '-110.70', 'Shop'),
      ofxEntry('F2', '20260305', '2500.00', 'Employer'),
    ]);
    const first = await upload(user, 'ofx', march, 'application/x-ofx', `account_id=${account}`);
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ format: 'ofx', imported: 2, duplicates: 0, invalid: 0 });
    const stored = await allTransactions(h, user);
    expect(
      stored.map((t) => [t.date, t.transaction_type, t.amount, t.description, t.external_id, t.account_id]),
    ).toEqual([
      ['2026-03-02', 'expense', '110.70', 'Shop', 'F1', account],
      ['2026-03-05', 'income', '2500.00', 'Employer', 'F2', account],
    ]);

    // The next statement overlaps: F2 again (even described otherwise), F3 new.
    const overlapping = ofx([
      ofxEntry('F2', '20260305', '2500.00', 'EMPLOYER LTD'),
      ofxEntry('F3', '20260401', '-9.99', 'Streaming'),
    ]);
    const second = await upload(user, 'ofx', overlapping, 'application/x-ofx', `account_id=${account}`);
    expect(second.status).toBe(201);
    expect(second.body).toMatchObject({ imported: 1, duplicates: 1 });
    expect((await allTransactions(h, user)).map((t) => t.external_id)).toEqual(['F1', 'F2', 'F3']);

    const undo = await h.call('DELETE', `/import/${first.body.id}`, user);
    expect(undo.status).toBeLessThan(300);
    expect((await allTransactions(h, user)).map((t) => t.external_id)).toEqual(['F3']);
  });

  it('takes no mapping for OFX (400) and reports a bad entry by line, importing nothing', async () => {
    const { user, account } = await userWithAccount();
    const withBadAmount = ofx([
      ofxEntry('F1', '20260302', '-1.00', 'Ok'),
      ofxEntry('F9', '20260303', '12,3.4', 'Bad'),
    ]);
    const bad = await upload(user, 'ofx', withBadAmount, 'application/x-ofx', `account_id=${account}`);
    expect(bad.status).toBe(422);
    expect(bad.headers.get('content-type')).toContain('application/problem+json');
    expect(JSON.stringify(bad.body)).toContain('"line":8');
    expect(await allTransactions(h, user)).toEqual([]);
    const named = await upload(user, 'ofx', withBadAmount, 'application/x-ofx', 'mapping_name=mine');
    expect(named.status).toBeGreaterThanOrEqual(400);
    expect(named.status).toBeLessThan(500);
    expect(await allTransactions(h, user)).toEqual([]);
  });

  const camt = (entries: string[]) => `<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">
  <BkToCstmrStmt>
    <GrpHdr><MsgId>M1</MsgId><CreDtTm>2026-03-31T20:00:00</CreDtTm></GrpHdr>
    <Stmt>
      <Id>S1</Id>
      <Acct><Id><IBAN>NL91ABNA0417164300</IBAN></Id><Ccy>EUR</Ccy></Acct>
${entries.join('\n')}
    </Stmt>
  </BkToCstmrStmt>
</Document>
`;
  const camtEntry = (ref: string, date: string, amount: string, direction: 'DBIT' | 'CRDT', text: string) =>
    `<Ntry><Amt Ccy="EUR">${amount}</Amt><CdtDbtInd>${direction}</CdtDbtInd><Sts>BOOK</Sts>` +
    `<BookgDt><Dt>${date}</Dt></BookgDt><AcctSvcrRef>${ref}</AcctSvcrRef><AddtlNtryInf>${text}</AddtlNtryInf></Ntry>`;

  it('imports a camt.053 statement by AcctSvcrRef, a dry run writing nothing, a re-import nothing new', async () => {
    const { user, account } = await userWithAccount();
    const file = camt([
      camtEntry('R1', '2026-03-02', '110.70', 'DBIT', 'CARD PAYMENT'),
      camtEntry('R2', '2026-03-05', '2500', 'CRDT', 'SALARY MARCH'),
    ]);
    const preview = await upload(user, 'camt', file, 'application/xml', `account_id=${account}&dry_run=true`);
    expect(preview.status).toBe(200);
    expect(await allTransactions(h, user)).toEqual([]);

    const first = await upload(user, 'camt', file, 'application/xml', `account_id=${account}`);
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ format: 'camt', imported: 2 });
    expect(
      (await allTransactions(h, user)).map((t) => [t.transaction_type, t.amount, t.external_id]),
    ).toEqual([
      ['expense', '110.70', 'R1'],
      ['income', '2500.00', 'R2'],
    ]);
    const again = await upload(user, 'camt', file, 'application/xml', `account_id=${account}`);
    expect(again.status).toBe(201);
    expect(again.body).toMatchObject({ imported: 0, duplicates: 2 });
    expect(await allTransactions(h, user)).toHaveLength(2);
  });
});
