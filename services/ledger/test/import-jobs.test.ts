import { newId } from '@finance/shared';
import { waitFor } from '@finance/shared/testing';
import { LedgerHarness, type TestUser } from './support';
import { exportCsv, importCsv, type ExportRow } from './import-support';

// A 100,000-row import on a shared two-core machine (other suites running) takes minutes, not its 10 s alone.
jest.setTimeout(900_000);

describe('background imports', () => {
  let h: LedgerHarness;

  beforeAll(async () => {
    h = await LedgerHarness.start('import_jobs', {
      env: {
        IMPORT_BACKGROUND_ROWS: '100',
        IMPORT_JOB_POLL_MS: '200',
        IMPORT_JOB_MAX_ATTEMPTS: '2',
        DB_POOL_SIZE: '8',
      },
    });
  });
  afterAll(() => h?.stop());

  const rows = (n: number, from = 0): ExportRow[] =>
    Array.from({ length: n }, (_, i) => ({
      date: `2026-0${1 + ((from + i) % 9)}-${String(1 + ((from + i) % 28)).padStart(2, '0')}`,
      transaction_type: (from + i) % 10 === 0 ? 'income' : 'expense',
      amount: `${1 + ((from + i) % 997)}.${String((from + i) % 100).padStart(2, '0')}`,
      account: 'Checking',
      description: `Entry ${from + i}`,
    }));

  async function userWithAccount(): Promise<TestUser> {
    const user = await h.user();
    await h.call('POST', '/accounts', user, { body: { name: 'Checking', type: 'checking' } });
    return user;
  }

  const finished = (user: TestUser, id: string) =>
    waitFor(
      async () => {
        const got = await h.call('GET', `/import/${id}`, user);
        return ['completed', 'failed'].includes(got.body.status) ? got.body : undefined;
      },
      { timeoutMs: 800_000, intervalMs: 100, description: `import ${id} finished` },
    );

  it('runs a file over the threshold as a job: 202, Location, progress, completion, its event', async () => {
    const user = await userWithAccount();
    const res = await importCsv(h, user, exportCsv(rows(3_000)));
    expect(res.status).toBe(202);
    expect(res.headers.get('location')).toBe(`/import/${res.body.id}`);
    expect(['pending', 'running', 'completed']).toContain(res.body.status);
    const seen = new Set<string>();
    const done = await waitFor(
      async () => {
        const got = (await h.call('GET', `/import/${res.body.id}`, user)).body;
        seen.add(`${got.status}:${got.rows_done > 0 && got.rows_done < 3_000 ? 'partial' : got.rows_done}`);
        return got.status === 'completed' ? got : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 20, description: 'completed' },
    );
    expect(done).toMatchObject({
      rows_total: 3_000,
      rows_done: 3_000,
      imported: 3_000,
      duplicates: 0,
      invalid: 0,
    });
    expect(seen.has('completed:3000')).toBe(true);
    expect((await h.rowsOf(user.id)).transactions).toBe(3_000);
    const events = await h.outbox({ type: 'ledger.import.completed', userId: user.id });
    expect(events.map((e) => e.payload)).toEqual([
      { importId: res.body.id, fileName: null, imported: 3_000, skipped: 0, failed: 0 },
    ]);
    // The staged file is gone once imported.
    const [{ n }] = await h.dataSource.query(
      `SELECT count(*)::int AS n FROM import_uploads WHERE import_id = $1`,
      [res.body.id],
    );
    expect(n).toBe(0);
    // Listed with the synchronous ones, newest first, keyset-paginated.
    const small = await importCsv(h, user, exportCsv(rows(3, 5_000)));
    expect(small.status).toBe(201);
    const first = await h.call('GET', '/import?limit=1', user);
    expect(first.body.data.map((i: { id: string }) => i.id)).toEqual([small.body.id]);
    const second = await h.call('GET', `/import?limit=1&cursor=${first.body.next_cursor}`, user);
    expect(second.body.data.map((i: { id: string }) => i.id)).toEqual([res.body.id]);
    expect(second.body.next_cursor).toBeNull();
  });

  it('imports a 100,000-row file completely: every row once, the amounts summing exactly', async () => {
    const user = await userWithAccount();
    const file = rows(100_000);
    const expected = file.reduce(
      (sum, r) => sum + (r.transaction_type === 'income' ? 1n : -1n) * BigInt(r.amount.replace('.', '')),
      0n,
    );
    const res = await importCsv(h, user, exportCsv(file));
    expect(res.status).toBe(202);
    const done = await finished(user, res.body.id);
    expect(done).toMatchObject({ status: 'completed', rows_total: 100_000, imported: 100_000 });
    const [stored] = await h.dataSource.query(
      `SELECT count(*)::int AS n,
              sum(CASE WHEN transaction_type = 'income' THEN amount_minor ELSE -amount_minor END)::text AS total
         FROM transactions WHERE user_id = $1 AND import_id = $2`,
      [user.id, res.body.id],
    );
    expect(stored).toEqual({ n: 100_000, total: expected.toString() });
    const [events] = await h.dataSource.query(
      `SELECT count(*)::int AS n FROM outbox WHERE type = 'ledger.transaction.created' AND envelope->>'userId' = $1`,
      [user.id],
    );
    expect(events.n).toBe(100_000);
  });

  it('fails a job whose database write keeps failing, leaving nothing of it', async () => {
    const user = await userWithAccount();
    await h.dataSource.query(`
      CREATE FUNCTION fail_import_row() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.description = 'Entry 150' THEN RAISE EXCEPTION 'injected failure'; END IF;
        RETURN NEW;
      END $$`);
    await h.dataSource.query(
      `CREATE TRIGGER fail_import_row BEFORE INSERT ON transactions FOR EACH ROW EXECUTE FUNCTION fail_import_row()`,
    );
    try {
      const res = await importCsv(h, user, exportCsv(rows(300)));
      expect(res.status).toBe(202);
      const done = await finished(user, res.body.id);
      expect(done).toMatchObject({ status: 'failed', imported: 0 });
      expect(done.failure).toContain('2 attempts');
      expect((await h.rowsOf(user.id)).transactions).toBe(0);
      expect(await h.outbox({ type: 'ledger.transaction.created', userId: user.id })).toEqual([]);
    } finally {
      await h.dataSource.query(`DROP TRIGGER fail_import_row ON transactions`);
      await h.dataSource.query(`DROP FUNCTION fail_import_row()`);
    }
  });

  it('runs again, once, a job its process died in (record running, file staged, nothing applied)', async () => {
    const user = await userWithAccount();
    // What a killed process leaves: its job's transaction never committed, so only the record
    // (running, one attempt) and the staged file are there, and no process holds the job's lock.
    const id = newId();
    const csv = Buffer.from(exportCsv(rows(500)));
    await h.dataSource.query(`INSERT INTO import_uploads (import_id, seq, chunk) VALUES ($1, 0, $2)`, [
      id,
      csv,
    ]);
    await h.dataSource.query(
      `INSERT INTO imports (id, user_id, format, status, options, attempts, created_at, updated_at)
       VALUES ($1, $2, 'csv', 'running', $3, 1, now(), now())`,
      [
        id,
        user.id,
        JSON.stringify({
          format: 'csv',
          accountId: null,
          duplicates: 'skip',
          skipInvalid: false,
          createCategories: false,
          mapping: null,
        }),
      ],
    );
    const done = await finished(user, id);
    expect(done).toMatchObject({ status: 'completed', imported: 500 });
    expect((await h.rowsOf(user.id)).transactions).toBe(500);
  });

  it('records a job whose file has bad rows as failed, with the problems, importing nothing', async () => {
    const user = await userWithAccount();
    const file = rows(200);
    file[120] = { ...file[120], account: 'Nowhere' };
    const res = await importCsv(h, user, exportCsv(file));
    const done = await finished(user, res.body.id);
    expect(done).toMatchObject({ status: 'failed', imported: 0, invalid: 1 });
    expect(done.problems).toEqual([
      { line: 122, column: 'account', reason: 'you have no account named "Nowhere"' },
    ]);
    expect((await h.rowsOf(user.id)).transactions).toBe(0);
    const other = await h.user();
    expect((await h.call('GET', `/import/${res.body.id}`, other)).status).toBe(404);
  });
});
