import { encodeCursor } from '@finance/shared';
import type { Bench } from '../lib/context';
import { alternateLatency } from '../lib/latency';
import { round } from '../lib/stats';
import { withPg } from '../lib/system';

/** 4. Keyset pagination over 1,000,000 transactions of one user: page 1 vs page 10,000. */
export const paginationBench: Bench = {
  name: 'pagination',
  title: '4. pagination at 1,000,000 rows: page 1 vs page 10,000 (keyset), ledger direct',
  async run(ctx) {
    const system = await ctx.system();
    const user = await ctx.bigUser();
    const limit = 50;
    const page = Math.min(10_000, Math.floor(user.transactions / limit));
    // The cursor a client holds after reading page − 1 pages: the last row of page − 1 in the
    // endpoint's default order (date desc, id desc). OFFSET is used here only to find that row.
    const last = await withPg(system.databases.ledger, (db) =>
      db.query<{ date: string; id: string }>(
        `SELECT date::text AS date, id FROM transactions WHERE user_id = $1 ORDER BY date DESC, id DESC OFFSET $2 LIMIT 1`,
        [user.id, (page - 1) * limit - 1],
      ),
    );
    const cursor = encodeCursor({ s: '-date', k: last.rows[0].date, id: last.rows[0].id });
    const base = `${system.children.ledger.url}/transactions?limit=${limit}`;
    const results = await alternateLatency(
      [
        { name: 'first', url: base, token: user.token },
        { name: 'deep', url: `${base}&cursor=${cursor}`, token: user.token },
      ],
      ctx.quick ? 20 : 100,
    );
    const first = results.get('first')!;
    const deep = results.get('deep')!;
    const ratio = deep.p50 / first.p50;
    ctx.record({
      measure: `page ${page.toLocaleString('en')} / page 1 latency (p50)`,
      value: round(ratio),
      unit: '×',
      target: '≤ 1.5',
      met: ratio <= 1.5,
      detail: `page 1 p50 ${round(first.p50)} ms p99 ${round(first.p99)} ms; page ${page} p50 ${round(deep.p50)} ms p99 ${round(deep.p99)} ms; ${user.transactions.toLocaleString('en')} rows`,
    });
  },
};
