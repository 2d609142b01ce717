import type { Bench } from '../lib/context';
import { alternateLatency } from '../lib/latency';
import { call } from '../lib/system';
import { round } from '../lib/stats';

/**
 * Net worth and balance history (issue 21) at 10,000 and at 1,000,000 transactions (100,000 with
 * `--quick`), side by side in one run, reports direct: both read per-account day changes
 * (`account_day_changes`), never transactions, so the ratio should stay near 1. The users are the
 * bulk-seeded ones the analytics bench uses (the read model filled by SQL, its roll-ups and day
 * changes rebuilt by reports' own repair path); their figures are checked against cash flow's.
 */
export const netWorthBench: Bench = {
  name: 'net-worth',
  title: '21. net worth and balance history at 10k vs 1M transactions, reports direct',
  async run(ctx) {
    const system = await ctx.system();
    const small = await ctx.sizedUser(10_000);
    const big = await ctx.bigUser();
    const users = [small, big];
    const reports = system.children.reports.url;
    // One USD account opened at 0: its net worth at the end of 2025 is cash flow's closing balance.
    for (const user of users) {
      const worth = await call<{ periods: Array<{ net_worth: string }> }>(
        'GET',
        `${reports}/analytics/net-worth?from=2025-01-01&to=2025-12-31&granularity=year`,
        user.token,
      );
      const flow = await call<{ closing_balance: string }>(
        'GET',
        `${reports}/analytics/cashflow?from=2025-01-01&to=2025-12-31&granularity=year`,
        user.token,
      );
      if (worth.periods[0].net_worth !== flow.closing_balance)
        throw new Error(
          `net worth ${worth.periods[0].net_worth} ≠ cash flow's closing ${flow.closing_balance} at ${user.transactions}`,
        );
    }
    const queries = {
      'net worth, monthly, 5 years': '/analytics/net-worth?from=2021-01-01&to=2025-12-31&granularity=month',
      'net worth, daily, 1 year': '/analytics/net-worth?from=2025-01-01&to=2025-12-31&granularity=day',
      'balance history, weekly, 1 year':
        '/accounts/{account}/balance-history?from=2025-01-01&to=2025-12-31&granularity=week',
    };
    for (const [name, path] of Object.entries(queries)) {
      const results = await alternateLatency(
        users.map((u) => ({
          name: String(u.transactions),
          url: `${reports}${path.replace('{account}', u.accountId)}`,
          token: u.token,
        })),
        ctx.quick ? 10 : 40,
      );
      const p50s = users.map((u) => results.get(String(u.transactions))!.p50);
      const ratio = p50s[1] / p50s[0];
      ctx.record({
        measure: `${name}: p50 at ${big.transactions.toLocaleString('en')}`,
        value: round(p50s[1]),
        unit: 'ms',
        target: '≤ 20 ms',
        met: p50s[1] <= 20,
        detail: `p50 ${users.map((u, i) => `${u.transactions.toLocaleString('en')}: ${round(p50s[i])} ms`).join(', ')}`,
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
