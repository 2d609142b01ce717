import { exportCsv, importCsv } from './import-support';
import { LedgerHarness, fieldsOf, type TestUser } from './support';

describe('reconciliation', () => {
  let h: LedgerHarness;
  let alice: TestUser;
  let bob: TestUser;

  beforeAll(async () => {
    h = await LedgerHarness.start('reconciliation');
    alice = await h.user();
    bob = await h.user();
  });
  afterAll(() => h?.stop());

  const account = async (user: TestUser, name: string, opening = '0') => {
    const res = await h.call('POST', '/accounts', user, {
      body: { name, type: 'checking', opening_balance: opening },
    });
    expect(res.status).toBe(201);
    return res.body as { id: string };
  };
  const book = async (user: TestUser, body: Record<string, unknown>) => {
    const res = await h.call('POST', '/transactions', user, { body });
    expect(res.status).toBe(201);
    return res.body as { id: string; version: number; cleared: string };
  };

  it('keeps a cleared status a client sets, defaults it to uncleared, filters by it, and never lets a client set reconciled', async () => {
    const checking = await account(alice, 'Status checking');
    const plain = await book(alice, { account_id: checking.id, amount: '5', transaction_type: 'expense' });
    expect(plain.cleared).toBe('uncleared');
    const cleared = await book(alice, {
      account_id: checking.id,
      amount: '6',
      transaction_type: 'expense',
      cleared: 'cleared',
    });
    expect(cleared.cleared).toBe('cleared');
    const [event] = await h.outbox({ aggregateId: cleared.id });
    expect(event.payload.cleared).toBe('cleared');

    const refused = await h.call('POST', '/transactions', alice, {
      body: { account_id: checking.id, amount: '7', transaction_type: 'expense', cleared: 'reconciled' },
    });
    expect(refused.status).toBe(422);
    expect(fieldsOf(refused.body)).toEqual(['body.cleared']);
    const patchedToReconciled = await h.call('PATCH', `/transactions/${plain.id}`, alice, {
      body: { cleared: 'reconciled' },
    });
    expect(patchedToReconciled.status).toBe(422);

    const patched = await h.call('PATCH', `/transactions/${plain.id}`, alice, {
      body: { cleared: 'cleared' },
    });
    expect(patched.body).toMatchObject({ cleared: 'cleared', version: 2 });
    // A PUT that does not restate the status keeps it.
    const put = await h.call('PUT', `/transactions/${plain.id}`, alice, {
      body: { amount: '5', transaction_type: 'expense', description: 'restated' },
    });
    expect(put.body).toMatchObject({ cleared: 'cleared', description: 'restated' });
    const back = await h.call('PATCH', `/transactions/${plain.id}`, alice, {
      body: { cleared: 'uncleared' },
    });
    expect(back.body.cleared).toBe('uncleared');

    const list = await h.call('GET', `/transactions?account_id=${checking.id}&cleared=cleared`, alice);
    expect(list.body.data.map((t: { id: string }) => t.id)).toEqual([cleared.id]);
    expect((await h.call('GET', '/transactions?cleared=bogus', alice)).status).toBe(400);
  });

  it('refuses a statement that differs (difference, candidates, nothing changed), reconciles one that matches, and shows the balances', async () => {
    const checking = await account(alice, 'Reconciled checking', '100.00');
    const savings = await account(alice, 'Reconciled savings', '500.00');
    const on = (date: string, extra: Record<string, unknown>) =>
      book(alice, { account_id: checking.id, date, cleared: 'cleared', ...extra });
    const income = await on('2026-01-05', { amount: '50.00', transaction_type: 'income' });
    const expense = await on('2026-01-06', { amount: '20.25', transaction_type: 'expense' });
    const out = await on('2026-01-07', {
      amount: '10.00',
      transaction_type: 'transfer',
      to_account_id: savings.id,
    });
    const into = await book(alice, {
      account_id: savings.id,
      to_account_id: checking.id,
      amount: '5.10',
      transaction_type: 'transfer',
      date: '2026-01-08',
      cleared: 'cleared',
    });
    const uncleared = await book(alice, {
      account_id: checking.id,
      amount: '7.00',
      transaction_type: 'expense',
      date: '2026-01-09',
    });
    const later = await on('2026-02-02', { amount: '1.00', transaction_type: 'expense' });
    // Cleared up to Jan 31: 100 + 50 − 20.25 − 10 + 5.10 = 124.85.
    const before = await h.outboxCount(alice.id);

    const wrong = await h.call('POST', `/accounts/${checking.id}/reconcile`, alice, {
      body: { statement_balance: '117.85', statement_date: '2026-01-31' },
    });
    expect(wrong.status).toBe(409);
    expect(wrong.headers.get('content-type')).toContain('application/problem+json');
    expect(wrong.body).toMatchObject({
      statement_balance: '117.85',
      cleared_balance: '124.85',
      difference: '-7.00',
      currency: 'USD',
      candidates_total: 1,
    });
    expect(wrong.body.candidates.map((t: { id: string }) => t.id)).toEqual([uncleared.id]);
    expect(fieldsOf(wrong.body)).toEqual(['body.statement_balance']);
    expect(await h.outboxCount(alice.id)).toBe(before);
    expect((await h.call('GET', `/accounts/${checking.id}/reconciliations`, alice)).body.data).toEqual([]);

    const tooPrecise = await h.call('POST', `/accounts/${checking.id}/reconcile`, alice, {
      body: { statement_balance: '124.851', statement_date: '2026-01-31' },
    });
    expect(tooPrecise.status).toBe(400);
    expect(fieldsOf(tooPrecise.body)).toEqual(['body.statement_balance']);
    const theirs = await h.call('POST', `/accounts/${checking.id}/reconcile`, bob, {
      body: { statement_balance: '124.85', statement_date: '2026-01-31' },
    });
    expect(theirs.status).toBe(404);
    expect((await h.call('GET', `/accounts/${checking.id}/reconciliations`, bob)).status).toBe(404);

    const request = {
      body: { statement_balance: '124.85', statement_date: '2026-01-31' },
      headers: { 'Idempotency-Key': `reconcile-${checking.id}` },
    };
    const right = await h.call('POST', `/accounts/${checking.id}/reconcile`, alice, request);
    expect(right.status).toBe(200);
    expect(right.body).toMatchObject({
      account_id: checking.id,
      statement_date: '2026-01-31',
      statement_balance: '124.85',
      currency: 'USD',
      transaction_count: 4,
    });
    const replay = await h.call('POST', `/accounts/${checking.id}/reconcile`, alice, request);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.body).toEqual(right.body);

    for (const t of [income, expense, out, into]) {
      const now = (await h.call('GET', `/transactions/${t.id}`, alice)).body;
      expect(now).toMatchObject({ cleared: 'reconciled', version: t.version + 1 });
      const events = await h.outbox({ aggregateId: t.id });
      expect(events.at(-1)).toMatchObject({
        type: 'ledger.transaction.updated',
        aggregateVersion: t.version + 1,
        payload: { cleared: 'reconciled' },
      });
    }
    for (const t of [uncleared, later])
      expect((await h.call('GET', `/transactions/${t.id}`, alice)).body.cleared).toBe(t.cleared);

    const list = await h.call('GET', `/accounts/${checking.id}/reconciliations`, alice);
    expect(list.body).toEqual({ data: [right.body], next_cursor: null });

    const shown = (await h.call('GET', `/accounts/${checking.id}`, alice)).body;
    // All: 124.85 − 7 − 1 = 116.85; cleared adds the later cleared one: 123.85; reconciled: 124.85.
    expect(shown).toMatchObject({
      balance: '116.85',
      cleared_balance: '123.85',
      reconciled_balance: '124.85',
    });
    const listed = (await h.call('GET', '/accounts?limit=200', alice)).body.data.find(
      (a: { id: string }) => a.id === savings.id,
    );
    // Savings: 500 + 10 in − 5.10 out, all reconciled or cleared on checking's statement.
    expect(listed).toMatchObject({
      balance: '504.90',
      cleared_balance: '504.90',
      reconciled_balance: '504.90',
    });
  });

  it('locks a reconciled transaction: locked fields need force and are audited, free fields stay free', async () => {
    const checking = await account(alice, 'Locked checking');
    const t = await book(alice, {
      account_id: checking.id,
      amount: '30.00',
      transaction_type: 'income',
      date: '2026-03-01',
      cleared: 'cleared',
    });
    const reconciled = await h.call('POST', `/accounts/${checking.id}/reconcile`, alice, {
      body: { statement_balance: '30', statement_date: '2026-03-31' },
    });
    expect(reconciled.body.transaction_count).toBe(1);

    const locked = await h.call('PATCH', `/transactions/${t.id}`, alice, { body: { amount: '31.00' } });
    expect(locked.status).toBe(409);
    expect(fieldsOf(locked.body)).toEqual(['body.amount']);
    expect(locked.body.detail).toContain('force=true');
    const moved = await h.call('PATCH', `/transactions/${t.id}`, alice, {
      body: { date: '2026-04-01', cleared: 'cleared' },
    });
    expect(fieldsOf(moved.body)).toEqual(['body.date', 'body.cleared']);
    const free = await h.call('PATCH', `/transactions/${t.id}`, alice, {
      body: { notes: 'bonus', tags: ['work'], description: 'Bonus' },
    });
    expect(free.status).toBe(200);
    expect(free.body).toMatchObject({ cleared: 'reconciled', notes: 'bonus', version: 3 });
    const refusedDelete = await h.call('DELETE', `/transactions/${t.id}`, alice);
    expect(refusedDelete.status).toBe(409);
    expect(fieldsOf(refusedDelete.body)).toEqual(['query.force']);
    expect((await h.call('GET', `/transactions/${t.id}/audit`, alice)).body.data).toEqual([]);

    const forced = await h.call('PATCH', `/transactions/${t.id}?force=true`, alice, {
      body: { amount: '31.00' },
    });
    expect(forced.status).toBe(200);
    expect(forced.body).toMatchObject({ amount: '31.00', cleared: 'reconciled', version: 4 });
    const deleted = await h.call('DELETE', `/transactions/${t.id}?force=true`, alice);
    expect(deleted.status).toBe(204);

    const audit = await h.call('GET', `/transactions/${t.id}/audit`, alice);
    expect(audit.status).toBe(200);
    expect(audit.body.data).toHaveLength(2);
    const base = {
      currency: 'USD',
      account_id: checking.id,
      to_account_id: null,
      transaction_type: 'income',
      cleared: 'reconciled',
    };
    expect(audit.body.data[0]).toMatchObject({
      transaction_id: t.id,
      actor_id: alice.id,
      action: 'updated',
      changed: ['amount'],
      before: { ...base, amount: '30.00', date: '2026-03-01' },
      after: { ...base, amount: '31.00', date: '2026-03-01' },
    });
    expect(audit.body.data[1]).toMatchObject({ action: 'deleted', after: null, before: { amount: '31.00' } });
    expect((await h.call('GET', `/transactions/${t.id}/audit`, bob)).status).toBe(404);
    expect((await h.call('PATCH', `/transactions/${t.id}?force=yes`, alice, { body: {} })).status).toBe(400);
  });

  it('audits the reconciled transactions a forced import undo deletes', async () => {
    const checking = await account(alice, 'Imported checking');
    const imported = await importCsv(
      h,
      alice,
      exportCsv([
        { date: '2026-05-02', transaction_type: 'expense', amount: '12.00', account: 'Imported checking' },
        { date: '2026-05-03', transaction_type: 'expense', amount: '8.00', account: 'Imported checking' },
      ]),
    );
    expect(imported.status).toBe(201);
    const rows = (await h.call('GET', `/transactions?account_id=${checking.id}`, alice)).body.data as Array<{
      id: string;
      amount: string;
    }>;
    const first = rows.find((t) => t.amount === '12.00')!;
    const second = rows.find((t) => t.amount === '8.00')!;
    await h.call('PATCH', `/transactions/${first.id}`, alice, { body: { cleared: 'cleared' } });
    const reconciled = await h.call('POST', `/accounts/${checking.id}/reconcile`, alice, {
      body: { statement_balance: '-12.00', statement_date: '2026-05-31' },
    });
    expect(reconciled.body.transaction_count).toBe(1);

    expect((await h.call('DELETE', `/import/${imported.body.id}`, alice)).status).toBe(409);
    expect((await h.call('DELETE', `/import/${imported.body.id}?force=true`, alice)).status).toBe(200);
    const audit = (await h.call('GET', `/transactions/${first.id}/audit`, alice)).body.data;
    expect(audit).toMatchObject([{ action: 'deleted', before: { amount: '12.00', cleared: 'reconciled' } }]);
    // Not reconciled: deleted by the undo without an audit entry.
    expect((await h.call('GET', `/transactions/${second.id}/audit`, alice)).status).toBe(404);
  });

  it('runs a reconciliation next to edits of the same account without a deadlock or a 5xx', async () => {
    const checking = await account(alice, 'Busy checking');
    const booked = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        book(alice, {
          account_id: checking.id,
          amount: `${i + 1}.00`,
          transaction_type: 'income',
          date: '2026-06-01',
          cleared: 'cleared',
        }),
      ),
    );
    // 1 + … + 6 = 21; edits of free fields and new bookings race the reconciliation.
    const answers = await Promise.all([
      h.call('POST', `/accounts/${checking.id}/reconcile`, alice, {
        body: { statement_balance: '21.00', statement_date: '2026-06-30' },
      }),
      ...booked.map((t) => h.call('PATCH', `/transactions/${t.id}`, alice, { body: { notes: 'racing' } })),
      h.call('POST', '/transactions', alice, {
        body: { account_id: checking.id, amount: '1.00', transaction_type: 'expense', date: '2026-06-02' },
      }),
    ]);
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200, 200, 200, 201]);
    expect(answers[0].body.transaction_count).toBe(6);
    const shown = (await h.call('GET', `/accounts/${checking.id}`, alice)).body;
    expect(shown).toMatchObject({ balance: '20.00', cleared_balance: '21.00', reconciled_balance: '21.00' });
  });
});
