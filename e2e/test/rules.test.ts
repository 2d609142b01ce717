import { CSV_COLUMNS } from '@finance/shared';
import { httpJson, waitFor } from '@finance/shared/testing';
import { registerAndLogin } from './hostile-support';
import { startSystem, type System } from './system';

/**
 * Rules through the gateway: a rule that cleans up what the bank sends ("ALBERT HEIJN 1234
 * AMSTERDAM" → "Albert Heijn", in Groceries) on a new transaction and on an imported statement,
 * tried without saving, applied to transactions made before it (a background job), and a rule
 * suggested after two manual re-categorisations.
 */
describe('rules through the gateway', () => {
  let system: System;
  let api: string;

  beforeAll(async () => {
    system = await startSystem('e2e_rules', {
      ledger: { RULE_APPLY_SYNC_LIMIT: '2', RULE_JOB_SCHEDULE: '*/1 * * * * *' },
    });
    api = system.gateway;
  });
  afterAll(async () => {
    await system?.stop();
  });

  it('renames and categorises on create and import, tests, applies to existing, and suggests', async () => {
    const { token } = await registerAndLogin(api, 'ruler');
    const call = (method: string, path: string, body?: unknown) =>
      httpJson(method, `${api}${path}`, { token, body });
    const categories = await waitFor(
      async () => {
        const res = await call('GET', '/categories?limit=200');
        return res.body?.data?.length > 0
          ? (res.body.data as Array<{ id: string; name: string }>)
          : undefined;
      },
      { description: 'default categories' },
    );
    const named = (name: string) => categories.find((c) => c.name === name)!.id;
    const groceries = named('Groceries');
    const dining = named('Dining');
    const spend = (description: string, date: string) =>
      call('POST', '/transactions', { amount: '23.45', transaction_type: 'expense', description, date });

    // Made before the rule: left as they are until the rule is applied to them.
    const older = [
      await spend('ALBERT HEIJN 1234 AMSTERDAM', '2026-02-01'),
      await spend('ALBERT HEIJN 1234 AMSTERDAM', '2026-02-02'),
      await spend('ALBERT HEIJN 77 UTRECHT', '2026-02-03'),
    ];
    expect(older.map((t) => t.status)).toEqual([201, 201, 201]);

    const rule = {
      name: 'Albert Heijn',
      conditions: [{ field: 'description', operator: 'regex', value: '^albert heijn \\d+' }],
      actions: [
        { type: 'set_description', description: 'Albert Heijn' },
        { type: 'set_category', category_id: groceries },
      ],
    };
    const tried = await call('POST', '/rules/test', { rule, last: 10 });
    expect(tried.status).toBe(200);
    expect(tried.body.results).toHaveLength(3);
    expect(tried.body.results[0]).toMatchObject({
      matched: true,
      before: { description: 'ALBERT HEIJN 77 UTRECHT', category_id: null },
      after: { description: 'Albert Heijn', category_id: groceries },
    });
    expect((await call('GET', `/transactions/${older[0].body.id}`)).body.version).toBe(1);

    const made = await call('POST', '/rules', rule);
    expect(made.status).toBe(201);

    // On create.
    const fresh = await spend('ALBERT HEIJN 1234 AMSTERDAM', '2026-03-01');
    expect(fresh.body).toMatchObject({ description: 'Albert Heijn', category_id: groceries });

    // On import: a dry run shows what the rule does; the import stores it.
    const csv =
      [
        CSV_COLUMNS.join(','),
        ['2026-03-02', 'expense', '12.00', 'USD', '', '', '', 'ALBERT HEIJN 1234 AMSTERDAM', '', '', ''].join(
          ',',
        ),
        ['2026-03-03', 'expense', '4.00', 'USD', '', '', '', 'BAKERY', '', '', ''].join(','),
      ].join('\r\n') + '\r\n';
    const upload = (query = '') =>
      httpJson('POST', `${api}/import/csv${query}`, {
        token,
        body: csv,
        headers: { 'content-type': 'text/csv' },
      });
    const preview = await upload('?dry_run=true');
    expect(preview.status).toBe(200);
    expect(preview.body.rule_effects).toEqual([
      {
        line: 2,
        rules: [expect.objectContaining({ rule_id: made.body.id, changed: ['description', 'category_id'] })],
      },
    ]);
    const imported = await upload();
    expect(imported.status).toBe(201);
    const listed = await call('GET', '/transactions?from=2026-03-02&to=2026-03-03&sort=date');
    expect(
      listed.body.data.map((t: { description: string; category_id: string | null }) => [
        t.description,
        t.category_id,
      ]),
    ).toEqual([
      ['Albert Heijn', groceries],
      ['BAKERY', null],
    ]);

    // Applied to the older ones: more than the sync limit, so a background job.
    const applied = await call('POST', `/rules/${made.body.id}/apply?from=2026-02-01&to=2026-02-28`);
    expect(applied.status).toBe(202);
    const job = await waitFor(
      async () => {
        const res = await call('GET', `/rules/jobs/${applied.body.id}`);
        return res.body?.status === 'completed' ? res.body : undefined;
      },
      { timeoutMs: 30_000, description: 'the rule job' },
    );
    expect(job).toMatchObject({ total: 3, examined: 3, changed: 3, failed: 0 });
    for (const t of older)
      expect((await call('GET', `/transactions/${t.body.id}`)).body).toMatchObject({
        description: 'Albert Heijn',
        category_id: groceries,
        version: 2,
      });

    // Two manual re-categorisations of the same description: a rule is suggested, not applied.
    for (const date of ['2026-04-01', '2026-04-02']) {
      const t = await spend('CAFE DE JAREN', date);
      expect((await call('PATCH', `/transactions/${t.body.id}`, { category_id: dining })).status).toBe(200);
    }
    const suggestions = await call('GET', '/rules/suggestions');
    expect(suggestions.status).toBe(200);
    expect(suggestions.body.data).toEqual([
      expect.objectContaining({
        condition: {
          field: 'description',
          operator: 'equals',
          value: 'CAFE DE JAREN',
          case_sensitive: false,
        },
        action: { type: 'set_category', category_id: dining },
        example_count: 2,
      }),
    ]);
    const cafe = await spend('CAFE DE JAREN', '2026-04-03');
    expect(cafe.body.category_id).toBeNull(); // offered, never imposed
    const accepted = await call('POST', '/rules', suggestions.body.data[0].rule);
    expect(accepted.status).toBe(201);
    expect((await call('GET', '/rules/suggestions')).body.data).toEqual([]);
    expect((await spend('CAFE DE JAREN', '2026-04-04')).body.category_id).toBe(dining);
  });
});
