import { waitFor } from '@finance/shared/testing';
import { allTransactions, exportCsv, importCsv } from './import-support';
import { LedgerHarness, type TestUser } from './support';

/** Rules tried, applied to existing transactions (at once and as a background job), and learned. */
describe('rules: test, apply, suggestions', () => {
  let h: LedgerHarness;

  beforeAll(async () => {
    h = await LedgerHarness.start('rules_runs', {
      env: { RULE_APPLY_SYNC_LIMIT: '5', RULE_JOB_SCHEDULE: '*/1 * * * * *' },
    });
  });
  afterAll(() => h?.stop());

  async function userWithCategories(): Promise<{ user: TestUser; category: (name: string) => string }> {
    const user = await h.user();
    const list = await h.call('GET', '/categories?limit=200', user);
    return {
      user,
      category: (name) => list.body.data.find((c: { name: string }) => c.name === name).id,
    };
  }

  const spend = (user: TestUser, description: string, date: string, extra: object = {}) =>
    h.call('POST', '/transactions', user, {
      body: { amount: '12.30', transaction_type: 'expense', description, date, ...extra },
    });

  it('POST /rules/test shows what would change, on a sample or the last N, and saves nothing', async () => {
    const { user, category } = await userWithCategories();
    const groceries = category('Groceries');
    await spend(user, 'ALBERT HEIJN 1234 AMSTERDAM', '2026-01-02');
    await spend(user, 'JUMBO 55', '2026-01-03');
    const rule = {
      name: 'AH',
      conditions: [{ field: 'description', operator: 'contains', value: 'albert heijn' }],
      actions: [
        { type: 'set_description', description: 'Albert Heijn' },
        { type: 'set_category', category_id: groceries },
      ],
    };
    const outboxBefore = await h.outboxCount(user.id);

    const sample = await h.call('POST', '/rules/test', user, {
      body: {
        rule,
        transaction: { amount: '3', transaction_type: 'expense', description: 'Albert Heijn to go' },
      },
    });
    expect(sample.status).toBe(200);
    expect(sample.body.results).toEqual([
      expect.objectContaining({
        transaction_id: null,
        matched: true,
        before: expect.objectContaining({ description: 'Albert Heijn to go', category_id: null }),
        after: expect.objectContaining({ description: 'Albert Heijn', category_id: groceries }),
        rules: [{ rule_id: null, rule_name: 'AH', changed: ['description', 'category_id'], skipped: [] }],
      }),
    ]);

    const last = await h.call('POST', '/rules/test', user, { body: { rule, last: 10 } });
    expect(last.body.results.map((r: { matched: boolean }) => r.matched)).toEqual([false, true]);
    expect(last.body.results[1].after.description).toBe('Albert Heijn');

    const bad = await h.call('POST', '/rules/test', user, { body: { rule, last: 101 } });
    expect(bad.status).toBe(400);
    const neither = await h.call('POST', '/rules/test', user, { body: { rule } });
    expect(neither.status).toBe(400);

    // Without a rule: the user's own (none yet) change nothing.
    const own = await h.call('POST', '/rules/test', user, { body: { last: 5 } });
    expect(own.body.results.every((r: { matched: boolean }) => !r.matched)).toBe(true);

    expect(await h.outboxCount(user.id)).toBe(outboxBefore);
    expect((await h.call('GET', '/rules', user)).body.data).toEqual([]);
    const stored = await h.call('GET', '/transactions', user);
    expect(stored.body.data.map((t: { description: string }) => t.description).sort()).toEqual([
      'ALBERT HEIJN 1234 AMSTERDAM',
      'JUMBO 55',
    ]);
  });

  it('applies a rule to a date range at once, through the normal update path', async () => {
    const { user, category } = await userWithCategories();
    const groceries = category('Groceries');
    const inRange = await spend(user, 'ALBERT HEIJN 1', '2026-02-10');
    const outside = await spend(user, 'ALBERT HEIJN 2', '2026-03-10');
    const other = await spend(user, 'JUMBO 3', '2026-02-11');
    const rule = await h.call('POST', '/rules', user, {
      body: {
        name: 'AH',
        enabled: false,
        conditions: [{ field: 'description', operator: 'starts_with', value: 'ALBERT HEIJN' }],
        actions: [{ type: 'set_category', category_id: groceries }],
      },
    });
    const applied = await h.call('POST', `/rules/${rule.body.id}/apply?from=2026-02-01&to=2026-02-28`, user);
    expect(applied.status).toBe(200);
    expect(applied.body).toEqual({ examined: 2, changed: 1, failed: 0 });
    const got = async (id: string) => (await h.call('GET', `/transactions/${id}`, user)).body;
    expect(await got(inRange.body.id)).toMatchObject({ category_id: groceries, version: 2 });
    expect(await got(outside.body.id)).toMatchObject({ category_id: null, version: 1 });
    expect(await got(other.body.id)).toMatchObject({ category_id: null, version: 1 });
    const events = await h.outbox({ type: 'ledger.transaction.updated', aggregateId: inRange.body.id });
    expect(events).toHaveLength(1);
    expect(events[0].payload).toMatchObject({ categoryId: groceries });

    // Once more: nothing left to change.
    const again = await h.call('POST', `/rules/${rule.body.id}/apply?from=2026-02-01&to=2026-02-28`, user);
    expect(again.body).toEqual({ examined: 2, changed: 0, failed: 0 });
    const foreign = await h.call('POST', `/rules/${rule.body.id}/apply`, await h.user());
    expect(foreign.status).toBe(404);
    const backwards = await h.call(
      'POST',
      `/rules/${rule.body.id}/apply?from=2026-03-01&to=2026-02-01`,
      user,
    );
    expect(backwards.status).toBe(400);
  });

  it('applies to a large set as a background job with progress', async () => {
    const { user, category } = await userWithCategories();
    const groceries = category('Groceries');
    const ids: string[] = [];
    for (let day = 1; day <= 8; day += 1)
      ids.push((await spend(user, `ALBERT HEIJN ${day}`, `2026-04-0${day}`)).body.id);
    const rule = await h.call('POST', '/rules', user, {
      body: {
        name: 'AH',
        conditions: [{ field: 'description', operator: 'starts_with', value: 'ALBERT HEIJN' }],
        actions: [
          { type: 'set_description', description: 'Albert Heijn' },
          { type: 'set_category', category_id: groceries },
        ],
      },
    });
    const started = await h.call('POST', `/rules/${rule.body.id}/apply`, user);
    expect(started.status).toBe(202);
    const location = started.headers.get('location')!;
    expect(location).toBe(`/rules/jobs/${started.body.id}`);
    expect(started.body).toMatchObject({ status: 'pending', total: 8, rule_id: rule.body.id });
    const done = await waitFor(
      async () => {
        const job = await h.call('GET', location, user);
        return job.body.status === 'completed' ? job.body : undefined;
      },
      { timeoutMs: 30_000, description: 'the rule job to complete' },
    );
    expect(done).toMatchObject({ examined: 8, changed: 8, failed: 0, failure: null });
    for (const id of ids)
      expect((await h.call('GET', `/transactions/${id}`, user)).body).toMatchObject({
        description: 'Albert Heijn',
        category_id: groceries,
        version: 2,
      });
    expect((await h.call('GET', location, await h.user())).status).toBe(404);
  });

  it('runs on imported rows before duplicates are looked for; a dry run shows what they did', async () => {
    const { user, category } = await userWithCategories();
    const groceries = category('Groceries');
    const dining = category('Dining');
    await h.call('POST', '/rules', user, {
      body: {
        name: 'AH',
        conditions: [{ field: 'description', operator: 'regex', value: '^albert heijn \\d+' }],
        actions: [
          { type: 'set_description', description: 'Albert Heijn' },
          { type: 'set_category', category_id: groceries },
        ],
      },
    });
    const csv = exportCsv([
      {
        date: '2026-06-01',
        transaction_type: 'expense',
        amount: '20.00',
        description: 'ALBERT HEIJN 1234 AMSTERDAM',
      },
      {
        date: '2026-06-02',
        transaction_type: 'expense',
        amount: '8.00',
        category: 'Dining',
        description: 'ALBERT HEIJN 99 TO GO',
      },
      { date: '2026-06-03', transaction_type: 'expense', amount: '5.00', description: 'JUMBO' },
    ]);
    const preview = await importCsv(h, user, csv, 'dry_run=true');
    expect(preview.status).toBe(200);
    expect(preview.body.rule_effects).toEqual([
      {
        line: 2,
        rules: [expect.objectContaining({ rule_name: 'AH', changed: ['description', 'category_id'] })],
      },
      {
        line: 3,
        rules: [
          expect.objectContaining({
            changed: ['description'],
            skipped: [{ action: 'set_category', reason: 'The transaction already has a category' }],
          }),
        ],
      },
    ]);
    expect(preview.body.transactions.map((t: { description: string }) => t.description)).toEqual([
      'Albert Heijn',
      'Albert Heijn',
      'JUMBO',
    ]);
    expect(await allTransactions(h, user)).toEqual([]);

    const imported = await importCsv(h, user, csv);
    expect(imported.status).toBe(201);
    const stored = await allTransactions(h, user);
    expect(stored.map((t) => [t.description, t.category_id])).toEqual([
      ['Albert Heijn', groceries],
      ['Albert Heijn', dining],
      ['JUMBO', null],
    ]);
    // The same file again: the renamed rows are recognised as the ones already imported.
    const again = await importCsv(h, user, csv);
    expect(again.body).toMatchObject({ imported: 0, duplicates: 3 });
  });

  it('suggests a rule after two manual re-categorisations, until a rule covers it or it is dismissed', async () => {
    const { user, category } = await userWithCategories();
    const dining = category('Dining');
    const transport = category('Transport');
    const recategorise = async (description: string, categoryId: string) => {
      const t = await spend(user, description, '2026-05-01');
      const patched = await h.call('PATCH', `/transactions/${t.body.id}`, user, {
        body: { category_id: categoryId },
      });
      expect(patched.status).toBe(200);
    };
    await recategorise('COFFEE CORNER 12', dining);
    expect((await h.call('GET', '/rules/suggestions', user)).body.data).toEqual([]);
    await recategorise('Coffee  Corner 12', dining);
    await recategorise('NS TICKET', transport);
    await recategorise('NS TICKET', transport);

    const offered = await h.call('GET', '/rules/suggestions', user);
    expect(offered.status).toBe(200);
    expect(offered.body.data).toHaveLength(2);
    const coffee = offered.body.data.find(
      (s: { action: { category_id: string } }) => s.action.category_id === dining,
    );
    expect(coffee).toMatchObject({
      condition: { field: 'description', operator: 'equals', value: 'Coffee  Corner 12' },
      action: { type: 'set_category', category_id: dining },
      example_count: 2,
    });
    // Offered, never applied: the rule body is ready to POST; then it covers the suggestion.
    expect((await h.call('GET', '/rules', user)).body.data).toEqual([]);
    const made = await h.call('POST', '/rules', user, { body: coffee.rule });
    expect(made.status).toBe(201);
    const after = await h.call('GET', '/rules/suggestions', user);
    expect(after.body.data.map((s: { action: { category_id: string } }) => s.action.category_id)).toEqual([
      transport,
    ]);

    const ns = after.body.data[0];
    expect((await h.call('DELETE', `/rules/suggestions/${ns.id}`, await h.user())).status).toBe(404);
    expect((await h.call('DELETE', `/rules/suggestions/${ns.id}`, user)).status).toBe(204);
    expect((await h.call('GET', '/rules/suggestions', user)).body.data).toEqual([]);
    expect((await h.call('DELETE', `/rules/suggestions/${ns.id}`, user)).status).toBe(404);
  });
});
