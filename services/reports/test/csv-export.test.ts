import { randomUUID } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { TokenVerifier, authenticate } from '@finance/shared';
import {
  TEST_AUDIENCE,
  TEST_ISSUER,
  TestTokenIssuer,
  httpJson,
  startHttpServer,
  testLogger,
  type RunningServer,
} from '@finance/shared/testing';
import { buildApp } from '../src/app';
import { CSV_HEADER, csvField, csvLine } from '../src/domain/csv';
import {
  account,
  apply,
  testRenderer,
  category,
  event,
  openTestDb,
  transaction,
  user,
  type TestDb,
} from './support';

// jest runs without --expose-gc; this exposes it for the memory measurement only.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

describe('CSV export', () => {
  const issuer = new TestTokenIssuer();
  let db: TestDb;
  let server: RunningServer;
  const renderer = testRenderer();
  const me = randomUUID();
  const bulkUser = randomUUID();
  const checking = randomUUID();
  const savings = randomUUID();
  const food = randomUUID();

  beforeAll(async () => {
    await issuer.start();
    db = await openTestDb('reports_csv');
    await apply(
      db.dataSource,
      event('auth.user.registered', me, me, 1, user('EUR', 'Europe/Paris')),
      event('ledger.account.created', me, checking, 1, account('Main, "daily"', 'EUR', '0')),
      event('ledger.account.created', me, savings, 1, account('Savings', 'EUR', '0')),
      event('ledger.category.created', me, food, 1, category('Food', '#2E7D32')),
      event(
        'ledger.transaction.created',
        me,
        randomUUID(),
        1,
        transaction({
          accountId: checking,
          currency: 'EUR',
          amount: '3.5',
          categoryId: food,
          date: '2026-04-02',
          description: 'Café "Le Zinc", Paris',
          payee: 'Le Zinc',
          notes: 'line one\nline two',
          tags: ['coffee', 'work'],
        }),
      ),
      event(
        'ledger.transaction.created',
        me,
        randomUUID(),
        1,
        transaction({
          accountId: checking,
          currency: 'JPY',
          amount: '1200',
          baseAmount: '7.40',
          baseCurrency: 'EUR',
          date: '2026-04-01',
          description: 'Ramen',
        }),
      ),
      event(
        'ledger.transaction.created',
        me,
        randomUUID(),
        1,
        transaction({
          accountId: checking,
          toAccountId: savings,
          type: 'transfer',
          currency: 'EUR',
          amount: '250.00',
          date: '2026-04-03',
          description: 'Save',
        }),
      ),
      event(
        'ledger.transaction.created',
        me,
        randomUUID(),
        1,
        transaction({
          accountId: checking,
          currency: 'EUR',
          amount: '1.00',
          date: '2026-05-01',
          description: 'Outside the range',
        }),
      ),
    );
    const app = buildApp({
      dataSource: db.dataSource,
      logger: testLogger(),
      renderer,
      authenticate: authenticate(
        new TokenVerifier({ jwksUrl: issuer.jwksUrl, issuer: TEST_ISSUER, audience: TEST_AUDIENCE }),
      ),
      clock: () => new Date('2026-04-15T10:00:00Z'),
    });
    server = await startHttpServer(app);
  });

  afterAll(async () => {
    await server?.close();
    await db?.close();
    await issuer.stop();
    await renderer.close();
  });

  it('quotes fields per RFC 4180', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvLine(['a', '', 'b'])).toBe('a,,b\r\n');
  });

  it('streams the range in date order, with the documented columns and a file name', async () => {
    const res = await fetch(`${server.url}/export/csv?from=2026-04-01&to=2026-04-30`, {
      headers: { authorization: `Bearer ${issuer.token(me)}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toBe(
      'attachment; filename="transactions-2026-04-01-to-2026-04-30.csv"',
    );
    expect(await res.text()).toBe(
      'date,transaction_type,amount,currency,account,to_account,category,description,payee,notes,tags\r\n' +
        '2026-04-01,expense,1200,JPY,"Main, ""daily""",,,Ramen,,,\r\n' +
        '2026-04-02,expense,3.50,EUR,"Main, ""daily""",,Food,"Café ""Le Zinc"", Paris",Le Zinc,"line one\nline two",coffee;work\r\n' +
        '2026-04-03,transfer,250.00,EUR,"Main, ""daily""",Savings,,Save,,,\r\n',
    );
  });

  it('filters by type and defaults to the current month; another user gets only a header', async () => {
    const transfers = await fetch(`${server.url}/export/csv?transaction_type=transfer`, {
      headers: { authorization: `Bearer ${issuer.token(me)}` },
    });
    expect(transfers.headers.get('content-disposition')).toContain(
      'transactions-2026-04-01-to-2026-04-30.csv',
    );
    expect((await transfers.text()).split('\r\n').filter(Boolean)).toHaveLength(2);
    const stranger = await fetch(`${server.url}/export/csv?from=2026-04-01&to=2026-04-30`, {
      headers: { authorization: `Bearer ${issuer.token(randomUUID())}` },
    });
    expect(await stranger.text()).toBe(CSV_HEADER);
  });

  it('rejects bad input with 400 problem+json', async () => {
    const res = await httpJson('GET', `${server.url}/export/csv?from=2026-05-01&to=2026-04-01`, {
      token: issuer.token(me),
    });
    expect(res.status).toBe(400);
    expect(res.body.errors[0].field).toBe('query.from');
    const type = await httpJson('GET', `${server.url}/export/csv?transaction_type=gift`, {
      token: issuer.token(me),
    });
    expect(type.body.errors[0].field).toBe('query.transaction_type');
  });

  it('streams 100,000 rows exactly, with bounded memory', async () => {
    const rows = 100_000;
    // Bulk-inserted straight into the read model: this measures the export, not the event path.
    await db.dataSource.query(
      `INSERT INTO report_transactions (id, user_id, account_id, category_id, type, base_amount_minor, base_currency,
         amount_minor, currency, date, description, payee, notes, tags, version)
       SELECT ('00000000-0000-4000-8000-' || lpad(to_hex(n), 12, '0'))::uuid, $1, $2, NULL, 'expense', n, 'EUR',
              n, 'EUR', date '2020-01-01' + (n % 1500), 'Row ' || n, 'Payee, ' || n, NULL, ARRAY['t' || (n % 7)], 1
       FROM generate_series(1, $3::int) AS n`,
      [bulkUser, checking, rows],
    );
    const expectedLine = (n: number) => {
      const date = new Date(Date.UTC(2020, 0, 1) + (n % 1500) * 86_400_000).toISOString().slice(0, 10);
      const amount = `${Math.floor(n / 100)}.${String(n % 100).padStart(2, '0')}`;
      return `${date},expense,${amount},EUR,"Main, ""daily""",,,Row ${n},"Payee, ${n}",,t${n % 7}`;
    };

    const insertedAt = Date.now();
    // Retained heap, measured after a full collection: garbage awaiting collection is not growth.
    const retainedHeap = () => {
      collectGarbage();
      return process.memoryUsage().heapUsed;
    };
    const baseline = retainedHeap();
    const samples: number[] = [];
    const seen = new Uint8Array(rows + 1);
    let count = 0;
    let previousKey = '';
    let pending = '';
    let header: string | undefined;
    const wrong: string[] = [];
    const res = await fetch(`${server.url}/export/csv?from=2020-01-01&to=2024-12-31`, {
      headers: { authorization: `Bearer ${issuer.token(bulkUser)}` },
    });
    expect(res.status).toBe(200);
    const decoder = new TextDecoder();
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      pending += decoder.decode(chunk, { stream: true });
      const lines = pending.split('\r\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        if (header === undefined) {
          header = line;
          continue;
        }
        const n = Number(/,Row (\d+),/.exec(line)?.[1]);
        // (date, id) order: ids are zero-padded hex of n, so the key sorts as text.
        const key = `${line.slice(0, 10)}:${n.toString(16).padStart(12, '0')}`;
        if (line !== expectedLine(n) || seen[n] === 1 || key <= previousKey) wrong.push(line);
        seen[n] = 1;
        previousKey = key;
        count++;
      }
      if (count - samples.length * 10_000 >= 10_000) samples.push(retainedHeap() - baseline);
    }
    expect(header).toBe(CSV_HEADER.trimEnd());
    expect(pending).toBe('');
    expect(count).toBe(rows);
    expect(wrong.slice(0, 3)).toEqual([]);
    // Server and client share this process. Flat: bounded overall, and no growth from the first
    // tenth of the file to the last (holding the whole file would add ~20 MB of strings).
    expect(samples.length).toBeGreaterThanOrEqual(9);
    expect(Math.max(...samples)).toBeLessThan(50 * 1024 * 1024);
    expect(samples[samples.length - 1] - samples[0]).toBeLessThan(8 * 1024 * 1024);
    console.log(
      `streamed ${count} rows in ${Date.now() - insertedAt} ms; retained heap growth (MB): ${samples.map((b) => (b / 1048576).toFixed(1)).join(' ')}`,
    );
  }, 60_000);
});
