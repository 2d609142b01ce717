import type { Bench } from '../lib/context';
import { compareLoads } from '../lib/load';
import { round } from '../lib/stats';

const RULES = 100;

/**
 * Rules on the write path: POST /transactions for a user with no rules and for one with 100
 * (each with a text condition, every fourth a regex, one in ten an amount range too; the last
 * matches and renames), side by side in one run, alternating. The rules are loaded and compiled
 * once per request; this is what that costs.
 */
export const rulesBench: Bench = {
  name: 'rules',
  title: 'rules: POST /transactions with 0 vs 100 rules',
  async run(ctx) {
    const system = await ctx.system();
    const [none, many] = await Promise.all([ctx.user(0, 'rules-none'), ctx.user(0, 'rules-100')]);
    for (let i = 0; i < RULES; i += 1) {
      const last = i === RULES - 1;
      const conditions: unknown[] = [
        i % 4 === 0
          ? { field: 'description', operator: 'regex', value: last ? '^bench' : `^vendor-${i}\\b.*\\d{4}` }
          : { field: 'description', operator: 'contains', value: last ? 'bench' : `shop number ${i}` },
      ];
      if (i % 10 === 0) conditions.push({ field: 'amount', operator: 'between', min: '1', max: '1000' });
      const res = await fetch(`${system.gateway}/rules`, {
        method: 'POST',
        headers: { authorization: `Bearer ${many.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          name: `Bench rule ${i}`,
          conditions,
          actions: [
            { type: 'set_description', description: `Renamed ${i}` },
            { type: 'add_tags', tags: ['bench'] },
          ],
        }),
      });
      if (res.status !== 201) throw new Error(`POST /rules: ${res.status} ${await res.text()}`);
    }
    const seconds = ctx.quick ? 2 : 5;
    const write = (user: { token: string; accountId: string; categoryIds: string[] }) => ({
      url: `${system.gateway}/transactions`,
      method: 'POST' as const,
      body: {
        amount: '12.34',
        transaction_type: 'expense',
        description: 'Bench write',
        account_id: user.accountId,
        category_id: user.categoryIds[0],
        date: '2025-06-01',
      },
      headers: { authorization: `Bearer ${user.token}` },
      seconds,
      connections: 10,
    });
    const { a: withRules, b: without } = await compareLoads(write(many), write(none), 3);
    if (withRules.failed || without.failed)
      throw new Error(`non-2xx answers: 100 rules ${withRules.failed}, none ${without.failed}`);
    const ratio = withRules.rps / without.rps;
    ctx.record({
      measure: 'create throughput with 100 rules / with none',
      value: round(ratio),
      unit: '×',
      target: '≥ 0.7',
      met: ratio >= 0.7,
      detail: `100 rules ${round(withRules.rps, 0)} writes/s p50 ${withRules.p50} ms p99 ${withRules.p99} ms; none ${round(without.rps, 0)} writes/s p50 ${without.p50} ms p99 ${without.p99} ms (10 connections, 3 × ${seconds} s each, alternating)`,
    });
  },
};
