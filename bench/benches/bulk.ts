import type { Bench } from '../lib/context';
import { median, round, timed } from '../lib/stats';
import { call } from '../lib/system';

const COUNT = 100;

interface BulkAnswer {
  succeeded: number;
  failed: number;
  results: Array<{ id: string | null; status: number }>;
}

/**
 * Issue 21's "fix a hundred transactions in one request": recategorising 100 transactions as one
 * `POST /transactions/bulk` of 100 patches, side by side with the same 100 patches as single
 * `PATCH /transactions/{id}` requests — one after another (a simple client) and ten at a time —
 * alternated round by round through the gateway, so every form sees the same machine.
 */
export const bulkBench: Bench = {
  name: 'bulk',
  title: '21. bulk: 100 patches as one POST /transactions/bulk vs 100 single PATCH requests',
  async run(ctx) {
    const system = await ctx.system();
    const user = await ctx.sizedUser(0);
    const url = `${system.gateway}/transactions`;
    const created = await call<BulkAnswer>(
      'POST',
      `${url}/bulk`,
      user.token,
      {
        operations: Array.from({ length: COUNT }, (_, n) => ({
          op: 'create',
          body: {
            account_id: user.accountId,
            amount: '12.34',
            transaction_type: 'expense',
            description: `Bench bulk ${n}`,
            date: '2025-06-01',
            category_id: user.categoryIds[0],
          },
        })),
      },
      [207],
    );
    if (created.succeeded !== COUNT) throw new Error(`bulk create: ${created.failed} failed`);
    const ids = created.results.map((r) => r.id as string);

    let round_ = 0;
    /** Each form moves every transaction to another category than it has, so each patch changes it. */
    const nextCategory = () => user.categoryIds[1 + (round_++ % (user.categoryIds.length - 1))];
    const forms: Record<string, () => Promise<void>> = {
      bulk: async () => {
        const category_id = nextCategory();
        const answer = await call<BulkAnswer>(
          'POST',
          `${url}/bulk`,
          user.token,
          { operations: ids.map((id) => ({ op: 'patch', id, body: { category_id } })) },
          [207],
        );
        if (answer.succeeded !== COUNT) throw new Error(`bulk patch: ${answer.failed} failed`);
      },
      sequential: async () => {
        const category_id = nextCategory();
        for (const id of ids) await call('PATCH', `${url}/${id}`, user.token, { category_id });
      },
      tenAtATime: async () => {
        const category_id = nextCategory();
        for (let i = 0; i < ids.length; i += 10)
          await Promise.all(
            ids.slice(i, i + 10).map((id) => call('PATCH', `${url}/${id}`, user.token, { category_id })),
          );
      },
    };
    const samples: Record<string, number[]> = { bulk: [], sequential: [], tenAtATime: [] };
    const rounds = ctx.quick ? 3 : 7;
    for (let i = 0; i < rounds + 1; i++) {
      const order = i % 2 === 0 ? Object.keys(forms) : Object.keys(forms).reverse();
      for (const name of order) {
        const { ms } = await timed(forms[name]);
        if (i > 0) samples[name].push(ms); // the first round warms up
      }
    }
    const bulk = median(samples.bulk);
    const sequential = median(samples.sequential);
    const tenAtATime = median(samples.tenAtATime);
    ctx.record({
      measure: '100 patches as one bulk request',
      value: round(bulk, 1),
      unit: 'ms',
      detail: `median of ${rounds}; one DB transaction, a savepoint and the PATCH use case per operation, 100 events`,
    });
    ctx.record({
      measure: '100 single PATCH requests, one after another',
      value: round(sequential, 1),
      unit: 'ms',
      detail: `median of ${rounds}; ${round(sequential / bulk, 1)}× the bulk request`,
    });
    ctx.record({
      measure: '100 single PATCH requests, ten at a time',
      value: round(tenAtATime, 1),
      unit: 'ms',
      detail: `median of ${rounds}; ${round(tenAtATime / bulk, 1)}× the bulk request`,
    });
  },
};
