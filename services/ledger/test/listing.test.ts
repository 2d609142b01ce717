import { randomUUID } from 'node:crypto';
import { toMinorUnits } from '@finance/shared';
import { transactionListQuery } from '../src/data/transactions';
import { LedgerHarness, fieldsOf, type TestUser } from './support';

interface Tx {
  id: string;
  date: string;
  amount: string;
  transaction_type: string;
  category_id: string | null;
  account_id: string;
  to_account_id: string | null;
  tags: string[];
  description: string;
}

describe('listing transactions', () => {
  let h: LedgerHarness;
  let user: TestUser;
  let checking: { id: string };
  let cash: { id: string };
  let food: { id: string };
  let pay: { id: string };
  const made: Tx[] = [];

  beforeAll(async () => {
    h = await LedgerHarness.start('listing');
    user = await h.user({ registered: false });
    checking = (await h.call('POST', '/accounts', user, { body: { name: 'Checking', type: 'checking' } }))
      .body;
    cash = (await h.call('POST', '/accounts', user, { body: { name: 'Cash', type: 'cash' } })).body;
    food = (
      await h.call('POST', '/categories', user, { body: { name: 'Food', color: '#00FF00', kind: 'expense' } })
    ).body;
    pay = (
      await h.call('POST', '/categories', user, { body: { name: 'Pay', color: '#0000FF', kind: 'income' } })
    ).body;
    const rows: object[] = [
      {
        account_id: checking.id,
        amount: '2500',
        transaction_type: 'income',
        date: '2024-01-31',
        category_id: pay.id,
        description: 'January salary',
        payee: 'ACME Corp',
      },
      {
        account_id: checking.id,
        amount: '54.20',
        transaction_type: 'expense',
        date: '2024-02-03',
        category_id: food.id,
        description: 'Groceries',
        payee: 'FreshMart',
        tags: ['family'],
      },
      {
        account_id: cash.id,
        amount: '4.50',
        transaction_type: 'expense',
        date: '2024-02-03',
        category_id: food.id,
        description: 'Coffee',
        notes: 'with Sam',
        tags: ['treat'],
      },
      {
        account_id: checking.id,
        to_account_id: cash.id,
        amount: '100',
        transaction_type: 'transfer',
        date: '2024-02-10',
        description: 'ATM',
      },
      {
        account_id: checking.id,
        amount: '950',
        transaction_type: 'expense',
        date: '2024-02-01',
        description: 'Rent 50% share',
        payee: 'Landlord',
      },
      {
        account_id: cash.id,
        amount: '12',
        transaction_type: 'expense',
        date: '2024-03-05',
        description: 'Cinema',
        tags: ['treat', 'family'],
      },
      {
        account_id: checking.id,
        amount: '54.20',
        transaction_type: 'expense',
        date: '2024-03-05',
        category_id: food.id,
        description: 'More groceries',
        payee: 'freshmart',
      },
      {
        account_id: checking.id,
        amount: '300',
        transaction_type: 'income',
        date: '2024-03-20',
        description: 'Freelance_job',
        payee: 'Client',
      },
    ];
    for (const body of rows) {
      const res = await h.call('POST', '/transactions', user, { body });
      expect(res.status).toBe(201);
      made.push(res.body);
    }
  });
  afterAll(() => h?.stop());

  async function all(query: string): Promise<Tx[]> {
    const out: Tx[] = [];
    let cursor: string | null = null;
    do {
      const res: any = await h.call(
        'GET',
        `/transactions?${query}&limit=3${cursor ? `&cursor=${cursor}` : ''}`,
        user,
      );
      expect(res.status).toBe(200);
      out.push(...res.body.data);
      cursor = res.body.next_cursor;
    } while (cursor);
    return out;
  }
  const ids = (txs: Tx[]) => txs.map((t) => t.id);
  const byDateDesc = (a: Tx, b: Tx) =>
    a.date === b.date ? (a.id < b.id ? 1 : -1) : a.date < b.date ? 1 : -1;
  const minor = (t: Tx) => toMinorUnits(t.amount, 'USD');
  const byMinor = (a: Tx, b: Tx) => (minor(a) < minor(b) ? -1 : minor(a) > minor(b) ? 1 : 0);
  const expected = (keep: (t: Tx) => boolean) => ids(made.filter(keep).sort(byDateDesc));

  it('sorts by date and amount both ways, ties broken by id, across pages', async () => {
    expect(ids(await all('sort=-date'))).toEqual(ids([...made].sort(byDateDesc)));
    expect(ids(await all(''))).toEqual(ids([...made].sort(byDateDesc)));
    expect(ids(await all('sort=date'))).toEqual(ids([...made].sort(byDateDesc).reverse()));
    const byAmount = [...made].sort((a, b) => byMinor(a, b) || (a.id < b.id ? -1 : 1));
    expect(ids(await all('sort=amount'))).toEqual(ids(byAmount));
    const byAmountDesc = [...made].sort((a, b) => byMinor(b, a) || (a.id < b.id ? 1 : -1));
    expect(ids(await all('sort=-amount'))).toEqual(ids(byAmountDesc));
  });

  it('filters by date range, type, account, category, amount range, text and tag', async () => {
    expect(ids(await all('from=2024-02-01&to=2024-02-29'))).toEqual(
      expected((t) => t.date >= '2024-02-01' && t.date <= '2024-02-29'),
    );
    expect(ids(await all('transaction_type=expense'))).toEqual(
      expected((t) => t.transaction_type === 'expense'),
    );
    expect(ids(await all(`account_id=${cash.id}`))).toEqual(
      expected((t) => t.account_id === cash.id || t.to_account_id === cash.id),
    );
    expect(ids(await all(`category_id=${food.id}`))).toEqual(expected((t) => t.category_id === food.id));
    expect(ids(await all('category_id=uncategorized'))).toEqual(expected((t) => t.category_id === null));
    expect(ids(await all('min_amount=12&max_amount=100'))).toEqual(
      expected((t) => minor(t) >= 1200n && minor(t) <= 10000n),
    );
    expect(ids(await all('min_amount=54.2'))).toEqual(expected((t) => minor(t) >= 5420n));
    expect(ids(await all('q=FRESHMART'))).toEqual(expected((t) => /freshmart/i.test(JSON.stringify(t))));
    expect(ids(await all('q=sam'))).toEqual(expected((t) => t.description === 'Coffee')); // notes
    expect(ids(await all('q=50%25'))).toEqual(expected((t) => t.description.includes('50%'))); // % is literal
    expect(ids(await all('q=e_j'))).toEqual(expected((t) => t.description.includes('e_j'))); // _ is literal
    expect(ids(await all('tag=treat'))).toEqual(expected((t) => t.tags.includes('treat')));
    expect(ids(await all(`tag=family&transaction_type=expense&account_id=${cash.id}&sort=amount`))).toEqual(
      ids(made.filter((t) => t.tags.includes('family') && t.account_id === cash.id)),
    );
  });

  it('rejects bad filters and foreign cursors with 400 naming the field', async () => {
    const cases: Array<[string, string]> = [
      ['from=2024-13-01', 'query.from'],
      ['from=2024-03-01&to=2024-02-01', 'query.from'],
      ['transaction_type=gift', 'query.transaction_type'],
      ['account_id=abc', 'query.account_id'],
      ['category_id=none', 'query.category_id'],
      ['min_amount=abc', 'query.min_amount'],
      ['min_amount=1.001', 'query.min_amount'],
      ['min_amount=10&max_amount=5', 'query.min_amount'],
      ['sort=payee', 'query.sort'],
      ['limit=0', 'query.limit'],
      ['limit=201', 'query.limit'],
      ['cursor=garbage', 'query.cursor'],
    ];
    for (const [query, field] of cases) {
      const res = await h.call('GET', `/transactions?${query}`, user);
      expect({ query, status: res.status }).toEqual({ query, status: 400 });
      expect(fieldsOf(res.body)).toContain(field);
    }
    const dateCursor = (await h.call('GET', '/transactions?limit=1', user)).body.next_cursor;
    const mixed = await h.call('GET', `/transactions?sort=amount&cursor=${dateCursor}`, user);
    expect(mixed.status).toBe(400);
    expect(fieldsOf(mixed.body)).toEqual(['query.cursor']);
  });

  it('loses and repeats no row while others are inserted between pages', async () => {
    const other = await h.user({ registered: false });
    const start: string[] = [];
    for (let i = 0; i < 40; i++) {
      const day = String(1 + (i % 20)).padStart(2, '0');
      start.push(
        (
          await h.call('POST', '/transactions', other, {
            body: { amount: '1', transaction_type: 'expense', date: `2024-06-${day}` },
          })
        ).body.id,
      );
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    let inserted = 0;
    do {
      const page: any = await h.call(
        'GET',
        `/transactions?limit=6${cursor ? `&cursor=${cursor}` : ''}`,
        other,
      );
      seen.push(...page.body.data.map((t: { id: string }) => t.id));
      cursor = page.body.next_cursor;
      // Rows land before, at and after the current position (same dates too) while paging.
      await Promise.all(
        ['2024-06-25', '2024-06-10', '2024-05-01'].map((date) =>
          h.call('POST', '/transactions', other, { body: { amount: '2', transaction_type: 'income', date } }),
        ),
      );
      inserted += 3;
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    for (const id of start) expect(seen).toContain(id);
    expect(inserted).toBeGreaterThan(0);
  });

  describe('at volume', () => {
    const bulkUser = randomUUID();
    let account: string;

    beforeAll(async () => {
      account = randomUUID();
      await h.dataSource.query(
        `INSERT INTO accounts (id, user_id, name, type, currency) VALUES ($1, $2, 'Bulk', 'checking', 'USD')`,
        [account, bulkUser],
      );
      // 10,000 × 0.10 and 10,000 × 0.20 as income, spread over ~3 years.
      await h.dataSource.query(
        `INSERT INTO transactions (id, user_id, account_id, transaction_type, amount_minor, currency, base_amount_minor, base_currency, description, date)
         SELECT gen_random_uuid(), $1, $2, 'income', a, 'USD', a, 'USD', md5(g::text), DATE '2021-01-01' + (g % 1000)
           FROM generate_series(1, 10000) AS g, (VALUES (10), (20)) AS amounts(a)`,
        [bulkUser, account],
      );
      await h.dataSource.query(`ANALYZE transactions`);
    });

    it('sums 0.1 + 0.2 over 10,000 rows each exactly', async () => {
      const token = h.issuer.token(bulkUser);
      const res = await h.call('GET', `/accounts/${account}`, { id: bulkUser, token });
      expect(res.body.balance).toBe('3000.00');
    });

    it('reads any page through an index (keyset, not OFFSET)', async () => {
      const token = h.issuer.token(bulkUser);
      const page = await h.call('GET', '/transactions?limit=200', { id: bulkUser, token });
      expect(page.body.data).toHaveLength(200);
      const cursor = JSON.parse(Buffer.from(page.body.next_cursor, 'base64url').toString());
      const plan = async (sort: '-date' | 'amount', filter = {}, seqscan = true) => {
        const [sql, params] = transactionListQuery(
          h.dataSource.manager,
          bulkUser,
          filter,
          sort,
          sort === '-date' && Object.keys(filter).length === 0 ? cursor : undefined,
          50,
        ).getQueryAndParameters();
        return h.dataSource.transaction(async (m) => {
          if (!seqscan) await m.query('SET LOCAL enable_seqscan = off');
          const rows: Array<{ 'QUERY PLAN': string }> = await m.query(`EXPLAIN ${sql}`, params);
          return rows.map((r) => r['QUERY PLAN']).join('\n');
        });
      };
      const byDate = await plan('-date');
      expect(byDate).not.toMatch(/Seq Scan on transactions/);
      expect(byDate).toMatch(/transactions_user_date/);
      const byAmount = await plan('amount');
      expect(byAmount).not.toMatch(/Seq Scan on transactions/);
      expect(byAmount).toMatch(/transactions_user_amount/);
      // A selective text search goes through the trigram index; a tag filter has an index to use.
      expect(await plan('-date', { text: 'zqxj' })).toMatch(/Bitmap Index Scan on transactions_search/);
      expect(await plan('-date', { tag: 'x' }, false)).not.toMatch(/Seq Scan on transactions/);
    });
  });
});
