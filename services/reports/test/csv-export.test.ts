import { randomUUID } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parse } from 'csv-parse/sync';
import { TestTokenIssuer, httpJson } from '@finance/shared/testing';
import { CSV_HEADER } from '../src/domain/csv';
import {
  account,
  apply,
  category,
  event,
  profile,
  startReports,
  transaction,
  type ReportsService,
} from './support';

// jest runs without --expose-gc; this exposes it for the memory measurement only.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

describe('CSV export', () => {
  const issuer = new TestTokenIssuer();
  let service: ReportsService;
  const me = randomUUID();
  const bulkUser = randomUUID();
  const checking = randomUUID();
  const savings = randomUUID();
  const food = randomUUID();
  const ids = { cafe: randomUUID(), ramen: randomUUID(), save: randomUUID(), outside: randomUUID() };

  beforeAll(async () => {
    await issuer.start();
    service = await startReports('reports_csv', {
      issuer,
      clock: () => new Date('2026-04-15T10:00:00Z'),
      browser: false,
    });
    await apply(
      service,
      event('auth.user.registered', me, me, 1, profile('EUR', 'Europe/Paris')),
      event('ledger.account.created', me, checking, 1, account('Main, "daily"', 'EUR', '0')),
      event('ledger.account.created', me, savings, 1, account('Savings', 'EUR', '0')),
      event('ledger.category.created', me, food, 1, category('Food', '#2E7D32')),
      event(
        'ledger.transaction.created',
        me,
        ids.cafe,
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
        ids.ramen,
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
        ids.save,
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
        ids.outside,
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
  });

  afterAll(async () => {
    await service?.close();
    await issuer.stop();
  });

  it('streams the range in date order, with the documented columns and a file name', async () => {
    const res = await fetch(`${service.url}/export/csv?from=2026-04-01&to=2026-04-30`, {
      headers: { authorization: `Bearer ${issuer.token(me)}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toBe(
      'attachment; filename="transactions-2026-04-01-to-2026-04-30.csv"',
    );
    expect(await res.text()).toBe(
      'date,transaction_type,amount,currency,account,to_account,category,description,payee,notes,tags,base_amount,base_currency,transaction_id,split_part\r\n' +
        // The original currency and amount, then the base amount the ledger converted it to, then the id (none is split).
        `2026-04-01,expense,1200,JPY,"Main, ""daily""",,,Ramen,,,,7.40,EUR,${ids.ramen},\r\n` +
        `2026-04-02,expense,3.50,EUR,"Main, ""daily""",,Food,"Café ""Le Zinc"", Paris",Le Zinc,"line one\nline two","[""coffee"",""work""]",3.50,EUR,${ids.cafe},\r\n` +
        `2026-04-03,transfer,250.00,EUR,"Main, ""daily""",Savings,,Save,,,,250.00,EUR,${ids.save},\r\n`,
    );
  });

  it('filters by type and defaults to the current month; another user gets only a header', async () => {
    const transfers = await fetch(`${service.url}/export/csv?transaction_type=transfer`, {
      headers: { authorization: `Bearer ${issuer.token(me)}` },
    });
    expect(transfers.headers.get('content-disposition')).toContain(
      'transactions-2026-04-01-to-2026-04-30.csv',
    );
    expect((await transfers.text()).split('\r\n').filter(Boolean)).toHaveLength(2);
    const stranger = await fetch(`${service.url}/export/csv?from=2026-04-01&to=2026-04-30`, {
      headers: { authorization: `Bearer ${issuer.token(randomUUID())}` },
    });
    expect(await stranger.text()).toBe(CSV_HEADER);
  });

  it('rejects bad input with 400 problem+json', async () => {
    const res = await httpJson('GET', `${service.url}/export/csv?from=2026-05-01&to=2026-04-01`, {
      token: issuer.token(me),
    });
    expect(res.status).toBe(400);
    expect(res.body.errors[0].field).toBe('query.from');
    const type = await httpJson('GET', `${service.url}/export/csv?transaction_type=gift`, {
      token: issuer.token(me),
    });
    expect(type.body.errors[0].field).toBe('query.transaction_type');
  });

  describe('hostile text', () => {
    const hostile = randomUUID();
    const evilAccount = randomUUID();
    const target = randomUUID();
    const evilCategory = randomUUID();
    /** What the ledger holds; the export must bring exactly this back through the documented rules. */
    const originals = [
      {
        account: '=HYPERLINK("http://evil","x")',
        to_account: '',
        category: '@SUM(A1)',
        description: "=cmd|' /C calc'!A0",
        payee: '=payee()',
        notes: '-2+3',
        tags: ['=tag', 'b;c'],
      },
      {
        account: '=HYPERLINK("http://evil","x")',
        to_account: '+target',
        category: '',
        description: '+1',
        payee: '\tTab',
        notes: '\rCR\nand a new line',
        tags: ['a"b', 'x,y', '[not, json]', ';', '\\'],
      },
      {
        account: '=HYPERLINK("http://evil","x")',
        to_account: '',
        category: '@SUM(A1)',
        description: "'already quoted",
        payee: '-',
        notes: "''",
        tags: ["'=quoted tag", 'ünï ✓'],
      },
    ];

    beforeAll(async () => {
      await apply(
        service,
        event('auth.user.registered', hostile, hostile, 1, profile('EUR', 'UTC')),
        event('ledger.account.created', hostile, evilAccount, 1, account(originals[0].account, 'EUR', '0')),
        event('ledger.account.created', hostile, target, 1, account('+target', 'EUR', '0')),
        event('ledger.category.created', hostile, evilCategory, 1, category('@SUM(A1)', '#000000')),
        ...originals.map((o, i) =>
          event(
            'ledger.transaction.created',
            hostile,
            randomUUID(),
            1,
            transaction({
              accountId: evilAccount,
              toAccountId: o.to_account ? target : null,
              type: o.to_account ? 'transfer' : 'expense',
              currency: 'EUR',
              amount: '12.50',
              categoryId: o.category ? evilCategory : null,
              date: `2026-06-0${i + 1}`,
              description: o.description,
              payee: o.payee,
              notes: o.notes,
              tags: o.tags,
            }),
          ),
        ),
      );
    });

    const exportOf = async (query: string) => {
      const res = await fetch(`${service.url}/export/csv?${query}`, {
        headers: { authorization: `Bearer ${issuer.token(hostile)}` },
      });
      return { status: res.status, text: await res.text() };
    };

    it('neutralises every cell a spreadsheet would run as a formula (OWASP); amounts untouched', async () => {
      const { status, text } = await exportOf('from=2026-06-01&to=2026-06-30');
      expect(status).toBe(200);
      // Without the last two columns (the ledger's transaction_id; split_part empty).
      expect(text.split('\r\n')[1].replace(/,[0-9a-f-]{36},$/, '')).toBe(
        `2026-06-01,expense,12.50,EUR,"'=HYPERLINK(""http://evil"",""x"")",,'@SUM(A1),'=cmd|' /C calc'!A0,'=payee(),'-2+3,"[""=tag"",""b;c""]",12.50,EUR`,
      );
      const rows = parse(text, { columns: true }) as Array<Record<string, string>>;
      expect(rows).toHaveLength(3);
      for (const row of rows)
        for (const [column, cell] of Object.entries(row))
          expect({ column, cell, dangerous: /^[=+\-@\t\r]/.test(cell) }).toEqual({
            column,
            cell,
            dangerous: false,
          });
    });

    it('round trip: the documented import rules give back exactly what the ledger holds', async () => {
      const { text } = await exportOf('from=2026-06-01&to=2026-06-30');
      const rows = parse(text, { columns: true }) as Array<Record<string, string>>;
      // The rules as README.md states them for POST /import/csv: a text cell that starts with ' loses
      // that one character; the tags cell is empty (no tags) or a JSON array of strings.
      const restore = (cell: string) => (cell.startsWith("'") ? cell.slice(1) : cell);
      const back = rows.map((row) => ({
        account: restore(row.account),
        to_account: restore(row.to_account),
        category: restore(row.category),
        description: restore(row.description),
        payee: restore(row.payee),
        notes: restore(row.notes),
        tags: row.tags === '' ? [] : (JSON.parse(row.tags) as string[]),
      }));
      expect(back).toEqual(originals);
      expect(rows.map((r) => r.amount)).toEqual(['12.50', '12.50', '12.50']);
    });

    it.each([
      ['account_id', () => checking, 'query.account_id'],
      ['account_id', () => randomUUID(), 'query.account_id'],
      ['category_id', () => food, 'query.category_id'],
      ['category_id', () => randomUUID(), 'query.category_id'],
    ])('%s of another user or unknown → 404 naming the parameter', async (parameter, id, field) => {
      const res = await httpJson('GET', `${service.url}/export/csv?${parameter}=${id()}`, {
        token: issuer.token(hostile),
      });
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(res.body.errors).toEqual([{ field, message: expect.any(String) }]);
    });

    it('category_id=uncategorized exports the uncategorised rows, as the ledger filters them', async () => {
      const res = await exportOf('from=2026-06-01&to=2026-06-30&category_id=uncategorized');
      expect(res.status).toBe(200);
      const rows = parse(res.text, { columns: true }) as Array<Record<string, string>>;
      expect(rows.map((r) => r.date)).toEqual(['2026-06-02']);
      const own = await exportOf(`from=2026-06-01&to=2026-06-30&category_id=${evilCategory}`);
      expect((parse(own.text, { columns: true }) as unknown[]).length).toBe(2);
    });
  });

  it('streams 100,000 rows exactly, with bounded memory', async () => {
    const rows = 100_000;
    // Bulk-inserted straight into the read model: this measures the export, not the event path.
    await service.dataSource.query(
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
      const id = `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
      return `${date},expense,${amount},EUR,"Main, ""daily""",,,Row ${n},"Payee, ${n}",,"[""t${n % 7}""]",${amount},EUR,${id},`;
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
    const res = await fetch(`${service.url}/export/csv?from=2020-01-01&to=2024-12-31`, {
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
