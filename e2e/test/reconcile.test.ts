import { httpJson, waitFor } from '@finance/shared/testing';
import { registerAndLogin } from './hostile-support';
import { startSystem, type System } from './system';

/**
 * Reconciling an account against a bank statement through the gateway: transactions marked
 * cleared, a statement with the wrong balance (the difference and the candidates, nothing
 * changed), the right one (reconciled, locked), a locked change refused, then forced and audited,
 * and the account's balance, cleared balance and reconciled balance all along.
 */
describe('reconciling an account through the gateway', () => {
  let system: System;
  let api: string;

  beforeAll(async () => {
    system = await startSystem('e2e_reconcile');
    api = system.gateway;
  });
  afterAll(async () => {
    await system?.stop();
  });

  it('marks cleared, refuses a wrong statement, reconciles the right one, locks, forces and audits', async () => {
    const { token } = await registerAndLogin(api, 'reconciler', { base_currency: 'EUR' });
    const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
      httpJson(method, `${api}${path}`, { token, body, headers });

    const checking = (
      await call('POST', '/accounts', { name: 'Checking', type: 'checking', opening_balance: '250.00' })
    ).body;
    expect(checking.currency).toBe('EUR');
    const savings = (await call('POST', '/accounts', { name: 'Savings', type: 'savings' })).body;
    const book = async (body: Record<string, unknown>) => {
      const res = await call('POST', '/transactions', { account_id: checking.id, ...body });
      expect(res.status).toBe(201);
      return res.body as { id: string; version: number };
    };
    const salary = await book({ amount: '1800.00', transaction_type: 'income', date: '2026-01-02' });
    const rent = await book({ amount: '950.00', transaction_type: 'expense', date: '2026-01-03' });
    const saved = await book({
      amount: '200.00',
      transaction_type: 'transfer',
      to_account_id: savings.id,
      date: '2026-01-10',
    });
    const coffee = await book({ amount: '3.40', transaction_type: 'expense', date: '2026-01-20' });

    // The bank's statement shows all but the coffee: mark those cleared.
    for (const t of [salary, rent, saved]) {
      const res = await call('PATCH', `/transactions/${t.id}`, { cleared: 'cleared' });
      expect(res.status).toBe(200);
      expect(res.body.cleared).toBe('cleared');
    }
    const cleared = await call('GET', `/transactions?account_id=${checking.id}&cleared=cleared`);
    expect(cleared.body.data.map((t: { id: string }) => t.id).sort()).toEqual(
      [salary.id, rent.id, saved.id].sort(),
    );
    expect((await call('GET', `/accounts/${checking.id}`)).body).toMatchObject({
      balance: '896.60',
      cleared_balance: '900.00',
      reconciled_balance: '250.00',
    });

    // The statement says 896.60 (the coffee cleared at the bank too): 3.40 apart, the coffee the candidate.
    const wrong = await call('POST', `/accounts/${checking.id}/reconcile`, {
      statement_balance: '896.60',
      statement_date: '2026-01-31',
    });
    expect(wrong.status).toBe(409);
    expect(wrong.headers.get('content-type')).toContain('application/problem+json');
    expect(wrong.body).toMatchObject({ difference: '-3.40', cleared_balance: '900.00', candidates_total: 1 });
    expect(wrong.body.candidates.map((t: { id: string }) => t.id)).toEqual([coffee.id]);
    expect((await call('GET', `/accounts/${checking.id}/reconciliations`)).body.data).toEqual([]);
    expect((await call('GET', `/transactions/${salary.id}`)).body.cleared).toBe('cleared');

    // Clearing the coffee makes them agree.
    expect((await call('PATCH', `/transactions/${coffee.id}`, { cleared: 'cleared' })).status).toBe(200);
    const right = await call(
      'POST',
      `/accounts/${checking.id}/reconcile`,
      { statement_balance: '896.60', statement_date: '2026-01-31' },
      { 'Idempotency-Key': 'january-statement' },
    );
    expect(right.status).toBe(200);
    expect(right.body).toMatchObject({ statement_balance: '896.60', currency: 'EUR', transaction_count: 4 });
    const again = await call(
      'POST',
      `/accounts/${checking.id}/reconcile`,
      { statement_balance: '896.60', statement_date: '2026-01-31' },
      { 'Idempotency-Key': 'january-statement' },
    );
    expect(again.body).toEqual(right.body);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect((await call('GET', `/accounts/${checking.id}/reconciliations`)).body.data).toEqual([right.body]);
    expect((await call('GET', `/accounts/${checking.id}`)).body).toMatchObject({
      balance: '896.60',
      cleared_balance: '896.60',
      reconciled_balance: '896.60',
    });
    // The transfer's other side counts it too.
    expect((await call('GET', `/accounts/${savings.id}`)).body).toMatchObject({
      balance: '200.00',
      reconciled_balance: '200.00',
    });

    // Locked: the amount needs force; the category does not.
    const refused = await call('PATCH', `/transactions/${rent.id}`, { amount: '995.00' });
    expect(refused.status).toBe(409);
    expect(refused.body.errors.map((e: { field: string }) => e.field)).toEqual(['body.amount']);
    const housing = await waitFor(
      async () =>
        (await call('GET', '/categories?limit=200')).body?.data?.find(
          (c: { name: string }) => c.name === 'Housing',
        ) as { id: string } | undefined,
      { description: 'the default categories' },
    );
    const filed = await call('PATCH', `/transactions/${rent.id}`, { category_id: housing.id });
    expect(filed.body).toMatchObject({ category_id: housing.id, cleared: 'reconciled' });
    expect((await call('DELETE', `/transactions/${coffee.id}`)).status).toBe(409);
    const forced = await call('PATCH', `/transactions/${rent.id}?force=true`, { amount: '995.00' });
    expect(forced.status).toBe(200);
    expect(forced.body).toMatchObject({ amount: '995.00', cleared: 'reconciled' });
    const audit = await call('GET', `/transactions/${rent.id}/audit`);
    expect(audit.body.data).toHaveLength(1);
    expect(audit.body.data[0]).toMatchObject({
      action: 'updated',
      changed: ['amount'],
      before: { amount: '950.00' },
      after: { amount: '995.00' },
    });
    expect((await call('GET', `/accounts/${checking.id}`)).body).toMatchObject({
      balance: '851.60',
      reconciled_balance: '851.60',
    });

    // Another user sees none of it.
    const other = await registerAndLogin(api, 'outsider');
    const theirs = (path: string, method = 'GET', body?: unknown) =>
      httpJson(method, `${api}${path}`, { token: other.token, body });
    expect((await theirs(`/accounts/${checking.id}/reconciliations`)).status).toBe(404);
    expect((await theirs(`/transactions/${rent.id}/audit`)).status).toBe(404);
    expect(
      (
        await theirs(`/accounts/${checking.id}/reconcile`, 'POST', {
          statement_balance: '851.60',
          statement_date: '2026-01-31',
        })
      ).status,
    ).toBe(404);

    // The reconciled status reaches the other services' events as part of the transaction's state.
    await waitFor(
      async () => {
        const rows: Array<{ cleared: string }> = await system.services.ledger.dataSource.query(
          `SELECT envelope->'payload'->>'cleared' AS cleared FROM outbox
            WHERE envelope->>'aggregateId' = $1 AND sent_at IS NOT NULL ORDER BY position DESC LIMIT 1`,
          [salary.id],
        );
        return rows[0]?.cleared === 'reconciled';
      },
      { description: "the salary's reconciled event relayed" },
    );
  });
});
