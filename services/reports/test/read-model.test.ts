import { randomUUID } from 'node:crypto';
import { toMinorUnits } from '@finance/shared';
import { UNCATEGORISED } from '../src/domain/analytics';
import { bulkLoadTransactions, openReportsDatabase, type BulkTransaction } from '../src/data/bulk-load';
import { insertReport, listReports } from '../src/data/monthly-reports';
import { rebuildRollups } from '../src/data/rollups';
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

describe('read model and daily roll-ups', () => {
  let service: ReportsService;
  const userId = randomUUID();
  const checking = randomUUID();
  const savings = randomUUID();
  const food = randomUUID();
  const travel = randomUUID();

  beforeAll(async () => {
    service = await startReports('reports_read_model', { browser: false });
  });
  afterAll(async () => {
    await service?.close();
  });

  const rollups = async () =>
    (await service.dataSource.query(
      `SELECT to_char(date, 'YYYY-MM-DD') AS date, category_key, type, total_minor::text AS total, count
       FROM daily_rollups WHERE user_id = $1 ORDER BY date, type, category_key`,
      [userId],
    )) as Array<{ date: string; category_key: string; type: string; total: string; count: number }>;
  const accountRollups = async () =>
    (await service.dataSource.query(
      `SELECT account_id, to_char(date, 'YYYY-MM-DD') AS date, type, total_minor::text AS total, count
       FROM daily_account_rollups WHERE user_id = $1 ORDER BY date, type, account_id`,
      [userId],
    )) as Array<{ account_id: string; date: string; type: string; total: string; count: number }>;

  it('adds on created, moves on updated (− old, + new), subtracts on deleted', async () => {
    const id = randomUUID();
    const other = randomUUID();
    const created = event(
      'ledger.transaction.created',
      userId,
      id,
      1,
      transaction({ accountId: checking, amount: '12.34', categoryId: food, date: '2026-05-02' }),
    );
    await apply(
      service,
      created,
      event(
        'ledger.transaction.created',
        userId,
        other,
        1,
        transaction({ accountId: checking, amount: '0.66', categoryId: food, date: '2026-05-02' }),
      ),
    );
    expect(await rollups()).toEqual([
      { date: '2026-05-02', category_key: food, type: 'expense', total: '1300', count: 2 },
    ]);

    await apply(
      service,
      event(
        'ledger.transaction.updated',
        userId,
        id,
        2,
        transaction({ accountId: checking, amount: '20.00', categoryId: travel, date: '2026-05-03' }),
      ),
    );
    expect(await rollups()).toEqual([
      { date: '2026-05-02', category_key: food, type: 'expense', total: '66', count: 1 },
      { date: '2026-05-03', category_key: travel, type: 'expense', total: '2000', count: 1 },
    ]);

    await apply(
      service,
      event(
        'ledger.transaction.deleted',
        userId,
        id,
        3,
        transaction({ accountId: checking, amount: '20.00', categoryId: travel, date: '2026-05-03' }),
      ),
    );
    // The emptied day disappears instead of lingering as a zero row.
    expect(await rollups()).toEqual([
      { date: '2026-05-02', category_key: food, type: 'expense', total: '66', count: 1 },
    ]);
    expect(await service.dataSource.query(`SELECT id FROM report_transactions WHERE id = $1`, [id])).toEqual(
      [],
    );

    await apply(
      service,
      event(
        'ledger.transaction.deleted',
        userId,
        other,
        2,
        transaction({ accountId: checking, amount: '0.66', categoryId: food, date: '2026-05-02' }),
      ),
    );
    expect(await rollups()).toEqual([]);
  });

  it('ignores duplicates and events overtaken by a newer version, in any order', async () => {
    const id = randomUUID();
    const v1 = event(
      'ledger.transaction.created',
      userId,
      id,
      1,
      transaction({ accountId: checking, amount: '5.00', date: '2026-06-01' }),
    );
    const v2 = event(
      'ledger.transaction.updated',
      userId,
      id,
      2,
      transaction({ accountId: checking, amount: '7.00', date: '2026-06-01' }),
    );
    const v3 = event(
      'ledger.transaction.updated',
      userId,
      id,
      3,
      transaction({ accountId: checking, amount: '9.00', date: '2026-06-02' }),
    );
    // v3 first, then the late v1 and v2, then v3 again.
    await apply(service, v3, v1, v2, v3, v1);
    expect(await rollups()).toEqual([
      { date: '2026-06-02', category_key: UNCATEGORISED, type: 'expense', total: '900', count: 1 },
    ]);
    const [row] = await service.dataSource.query(
      `SELECT amount_minor::text AS amount, version FROM report_transactions WHERE id = $1`,
      [id],
    );
    expect(row).toEqual({ amount: '900', version: 3 });

    // A delete that overtook its update: the late update must not resurrect the row.
    const gone = randomUUID();
    await apply(
      service,
      event(
        'ledger.transaction.created',
        userId,
        gone,
        1,
        transaction({ accountId: checking, amount: '1.00', date: '2026-06-03' }),
      ),
      event(
        'ledger.transaction.deleted',
        userId,
        gone,
        3,
        transaction({ accountId: checking, amount: '1.00', date: '2026-06-03' }),
      ),
      event(
        'ledger.transaction.updated',
        userId,
        gone,
        2,
        transaction({ accountId: checking, amount: '2.00', date: '2026-06-03' }),
      ),
    );
    expect((await rollups()).filter((r) => r.date === '2026-06-03')).toEqual([]);

    await service.dataSource.query(`DELETE FROM report_transactions WHERE user_id = $1`, [userId]);
    await service.dataSource.query(`DELETE FROM daily_rollups WHERE user_id = $1`, [userId]);
    await service.dataSource.query(`DELETE FROM daily_account_rollups WHERE user_id = $1`, [userId]);
  });

  it('keeps transfers out of income/expense and books them per account', async () => {
    const id = randomUUID();
    await apply(
      service,
      event(
        'ledger.transaction.created',
        userId,
        id,
        1,
        transaction({
          accountId: checking,
          toAccountId: savings,
          type: 'transfer',
          amount: '100.00',
          date: '2026-07-01',
        }),
      ),
    );
    expect(await rollups()).toEqual([]);
    expect(await accountRollups()).toEqual(
      expect.arrayContaining([
        { account_id: checking, date: '2026-07-01', type: 'transfer_out', total: '10000', count: 1 },
        { account_id: savings, date: '2026-07-01', type: 'transfer_in', total: '10000', count: 1 },
      ]),
    );
    // Turned into an expense: the transfer rows go, the expense appears.
    await apply(
      service,
      event(
        'ledger.transaction.updated',
        userId,
        id,
        2,
        transaction({ accountId: checking, type: 'expense', amount: '100.00', date: '2026-07-01' }),
      ),
    );
    expect(await accountRollups()).toEqual([
      { account_id: checking, date: '2026-07-01', type: 'expense', total: '10000', count: 1 },
    ]);
    expect(await rollups()).toHaveLength(1);
  });

  it('incremental roll-ups equal a rebuild from the transactions after a random history', async () => {
    const someone = randomUUID();
    const accounts = [randomUUID(), randomUUID()];
    const categories = [randomUUID(), randomUUID(), null];
    const ids = Array.from({ length: 30 }, () => randomUUID());
    const versions = new Map<string, number>();
    let seed = 42;
    const pick = <T>(items: T[]): T => {
      seed = (seed * 16807) % 2147483647;
      return items[seed % items.length];
    };
    for (let step = 0; step < 200; step++) {
      const id = pick(ids);
      const version = (versions.get(id) ?? 0) + 1;
      versions.set(id, version);
      const type = pick(['income', 'expense', 'expense', 'transfer'] as const);
      const payload = transaction({
        accountId: pick(accounts),
        toAccountId: type === 'transfer' ? pick(accounts) : null,
        type,
        amount: `${pick([1, 7, 19, 250])}.${pick(['00', '05', '99'])}`,
        categoryId: type === 'transfer' ? null : pick(categories),
        date: `2026-08-0${pick([1, 2, 3])}`,
      });
      const kind = version === 1 ? 'created' : pick(['updated', 'updated', 'deleted'] as const);
      await apply(service, event(`ledger.transaction.${kind}`, someone, id, version, payload));
      if (kind === 'deleted') versions.set(id, version + 100); // a new life for the id starts above the delete
    }
    const snapshot = async () => [
      await service.dataSource.query(
        `SELECT date, category_key, type, total_minor, count FROM daily_rollups WHERE user_id = $1 ORDER BY 1, 2, 3`,
        [someone],
      ),
      await service.dataSource.query(
        `SELECT account_id, date, category_key, type, total_minor, count FROM daily_account_rollups WHERE user_id = $1 ORDER BY 1, 2, 3, 4`,
        [someone],
      ),
    ];
    const incremental = await snapshot();
    expect(incremental[0].length).toBeGreaterThan(3);
    await rebuildRollups(service.dataSource, someone);
    expect(await snapshot()).toEqual(incremental);
  }, 30_000);

  it('a bulk load (the bench’s seeding) leaves exactly what consuming the same transactions leaves', async () => {
    const viaEvents = randomUUID();
    const viaBulk = randomUUID();
    const accounts = [randomUUID(), randomUUID()];
    const shapes = Array.from({ length: 60 }, (_, n) => {
      const type =
        n % 7 === 0 ? ('transfer' as const) : n % 5 === 0 ? ('income' as const) : ('expense' as const);
      return {
        accountId: accounts[n % 2],
        toAccountId: type === 'transfer' ? accounts[(n + 1) % 2] : null,
        type,
        amount: `${n + 1}.${String((n * 37) % 100).padStart(2, '0')}`,
        categoryId: type === 'transfer' || n % 3 === 0 ? null : n % 2 ? food : travel,
        date: `2026-10-0${1 + (n % 9)}`,
        description: `Row ${n}`,
        tags: n % 4 ? [] : ['bulk', `n${n}`],
      };
    });
    await apply(
      service,
      ...shapes.map((shape) =>
        event(
          'ledger.transaction.created',
          viaEvents,
          randomUUID(),
          1,
          transaction({ ...shape, currency: 'NZD' }),
        ),
      ),
    );
    // As the bench loads it: a data source of its own on the running service's database.
    const bench = await openReportsDatabase(service.config.DATABASE_URL);
    try {
      const rows: BulkTransaction[] = shapes.map((shape) => ({
        ...shape,
        id: randomUUID(),
        userId: viaBulk,
        amountMinor: toMinorUnits(shape.amount, 'NZD'),
        currency: 'NZD',
        baseAmountMinor: toMinorUnits(shape.amount, 'NZD'),
        baseCurrency: 'NZD',
      }));
      expect(await bulkLoadTransactions(bench, rows, { batchSize: 25 })).toEqual({
        inserted: 60,
        users: [viaBulk],
      });
    } finally {
      await bench.destroy();
    }
    const contents = async (userId: string) => [
      await service.dataSource.query(
        `SELECT account_id, to_account_id, category_id, type, base_amount_minor, base_currency, amount_minor,
                currency, date, description, payee, notes, tags, version
         FROM report_transactions WHERE user_id = $1 ORDER BY description`,
        [userId],
      ),
      await service.dataSource.query(
        `SELECT date, category_key, type, base_currency, total_minor, count FROM daily_rollups
         WHERE user_id = $1 ORDER BY 1, 2, 3`,
        [userId],
      ),
      await service.dataSource.query(
        `SELECT account_id, date, category_key, type, base_currency, total_minor, count FROM daily_account_rollups
         WHERE user_id = $1 ORDER BY 1, 2, 3, 4`,
        [userId],
      ),
    ];
    const expected = await contents(viaEvents);
    expect(expected[1].length).toBeGreaterThan(5);
    expect(await contents(viaBulk)).toEqual(expected);
  });

  it('sums beyond 64 bits stay exact, and each base currency keeps its own roll-up rows', async () => {
    const someone = randomUUID();
    const wallet = randomUUID();
    const day = '2026-09-10';
    const expense = (amount: string, currency: string) =>
      event(
        'ledger.transaction.created',
        someone,
        randomUUID(),
        1,
        transaction({
          accountId: wallet,
          currency,
          amount,
          baseCurrency: currency,
          categoryId: food,
          date: day,
        }),
      );
    // Ten BHD 999,999,999,999,999.000: each fits 64 bits, their sum does not.
    await apply(service, ...Array.from({ length: 10 }, () => expense('999999999999999.000', 'BHD')));
    // The same day and category in another base currency (after a base-currency change).
    await apply(service, expense('1.00', 'USD'));
    const rows = async (table: string) =>
      (await service.dataSource.query(
        `SELECT base_currency, type, total_minor::text AS total, count FROM ${table}
         WHERE user_id = $1 ORDER BY base_currency, type`,
        [someone],
      )) as Array<{ base_currency: string; type: string; total: string; count: number }>;
    const expected = [
      { base_currency: 'BHD', type: 'expense', total: '9999999999999990000', count: 10 },
      { base_currency: 'USD', type: 'expense', total: '100', count: 1 },
    ];
    expect(await rows('daily_rollups')).toEqual(expected);
    expect(await rows('daily_account_rollups')).toEqual(expected);
    await rebuildRollups(service.dataSource, someone);
    expect(await rows('daily_rollups')).toEqual(expected);
    expect(await rows('daily_account_rollups')).toEqual(expected);
  });

  it('stores monthly totals beyond 64 bits exactly', async () => {
    const someone = randomUUID();
    const income = 123456789012345678901234567n;
    await service.dataSource.transaction((manager) =>
      insertReport(manager, {
        id: randomUUID(),
        userId: someone,
        month: '2026-09',
        currency: 'BHD',
        incomeMinor: income,
        expenseMinor: 9999999999999990000n,
        pdf: Buffer.from('%PDF-'),
      }),
    );
    const [row] = await listReports(service.dataSource, someone, undefined, 10);
    expect([row.income_minor, row.expense_minor]).toEqual([income.toString(), '9999999999999990000']);
  });

  it('categories and accounts: newest version wins, deleted ones are kept flagged', async () => {
    await apply(
      service,
      event('ledger.category.updated', userId, food, 2, category('Food & drink', '#FF7043')),
      event('ledger.category.created', userId, food, 1, category('Food', '#000000')),
      event('ledger.category.deleted', userId, travel, 3, {
        ...category('Travel', '#0288D1'),
        reassignedTo: null,
      }),
      event('ledger.category.updated', userId, travel, 2, category('Trips', '#0288D1')),
      event('ledger.account.created', userId, checking, 1, account('Checking', 'NZD', '10.50')),
      event('ledger.account.created', userId, checking, 1, account('Duplicate', 'NZD', '99')),
    );
    const categories = await service.dataSource.query(
      `SELECT id, name, color, deleted FROM report_categories WHERE user_id = $1 ORDER BY name`,
      [userId],
    );
    expect(categories).toEqual([
      { id: food, name: 'Food & drink', color: '#FF7043', deleted: false },
      { id: travel, name: 'Travel', color: '#0288D1', deleted: true },
    ]);
    const [acct] = await service.dataSource.query(
      `SELECT name, opening_balance_minor::text AS opening FROM report_accounts WHERE id = $1`,
      [checking],
    );
    expect(acct).toEqual({ name: 'Checking', opening: '1050' });
  });

  it('purges everything about a deleted user, and keeps only a tombstone in the user directory', async () => {
    await apply(
      service,
      event('auth.user.registered', userId, userId, 1, profile('NZD', 'Pacific/Auckland')),
    );
    await service.dataSource.transaction((manager) =>
      insertReport(manager, {
        id: randomUUID(),
        userId,
        month: '2026-05',
        currency: 'NZD',
        incomeMinor: 0n,
        expenseMinor: 66n,
        pdf: Buffer.from('%PDF-'),
      }),
    );
    await apply(service, event('auth.user.deleted', userId, userId, 9, {}));
    for (const table of [
      'report_transactions',
      'report_categories',
      'report_accounts',
      'daily_rollups',
      'daily_account_rollups',
      'monthly_reports',
    ]) {
      const [{ count }] = await service.dataSource.query(
        `SELECT count(*)::int AS count FROM ${table} WHERE user_id = $1`,
        [userId],
      );
      expect({ table, count }).toEqual({ table, count: 0 });
    }
    expect(
      await service.dataSource.query(
        `SELECT base_currency, timezone, deleted_at IS NOT NULL AS deleted FROM user_directory WHERE user_id = $1`,
        [userId],
      ),
    ).toEqual([{ base_currency: null, timezone: null, deleted: true }]);
  });
});
