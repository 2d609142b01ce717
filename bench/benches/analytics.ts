import type { Bench } from '../lib/context';
import { alternateLatency } from '../lib/latency';
import { round } from '../lib/stats';

/**
 * 5. Analytics at 10,000 / 100,000 / 1,000,000 transactions (reports direct): spending by
 * category for a year and income vs expense by month for five years. Folded in from the former
 * services/reports/bench/analytics-scale.bench.ts.
 */
export const analyticsBench: Bench = {
  name: 'analytics',
  title: '5. analytics at 10k / 100k / 1M transactions, reports direct',
  async run(ctx) {
    const system = await ctx.system();
    const big = await ctx.bigUser();
    const users = [await ctx.sizedUser(10_000), await ctx.sizedUser(100_000), big];
    const queries = {
      'spending by category, 1 year': '/analytics/spending?from=2025-01-01&to=2025-12-31',
      'spending by category, 1 year, one account':
        '/analytics/spending?from=2025-01-01&to=2025-12-31&account_id={account}',
      'income vs expense, monthly, 5 years':
        '/analytics/income-vs-expense?from=2021-01-01&to=2025-12-31&granularity=month',
    };
    for (const [name, path] of Object.entries(queries)) {
      const results = await alternateLatency(
        users.map((u) => ({
          name: String(u.transactions),
          url: `${system.children.reports.url}${path.replace('{account}', u.accountId)}`,
          token: u.token,
        })),
        ctx.quick ? 15 : 40,
      );
      const p50s = users.map((u) => results.get(String(u.transactions))!.p50);
      const atBig = p50s[2];
      const ratio = atBig / p50s[0];
      const detail = `p50 ${users.map((u, i) => `${u.transactions.toLocaleString('en')}: ${round(p50s[i])} ms`).join(', ')}`;
      ctx.record({
        measure: `${name}: p50 at ${big.transactions.toLocaleString('en')}`,
        value: round(atBig),
        unit: 'ms',
        target: '≤ 20 ms',
        met: atBig <= 20,
        detail,
      });
      ctx.record({
        measure: `${name}: ${big.transactions / 1000}k / 10k ratio`,
        value: round(ratio),
        unit: '×',
        target: '≤ 2',
        met: ratio <= 2,
      });
    }
  },
};
