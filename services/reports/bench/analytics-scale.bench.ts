/**
 * How analytics latency scales with the number of transactions (issue 6 "done when", issue 7
 * target 5). Not a unit test — timing never is — run on demand:
 *
 *   npx jest -c services/reports/jest.config.js --testMatch '<rootDir>/bench/**\/*.bench.ts' --maxWorkers=1
 *
 * Seeds three users with 10,000 / 100,000 / 1,000,000 transactions over 2025 straight into the
 * read model (generate_series), builds their roll-ups in one pass, then times
 * spending-by-category for the year and income-vs-expense by month over five years through
 * the real HTTP app, interleaving the three sizes round by round, and prints medians.
 */
import { randomUUID } from 'node:crypto';
import {
  TEST_AUDIENCE,
  TEST_ISSUER,
  TestTokenIssuer,
  startHttpServer,
  testLogger,
} from '@finance/shared/testing';
import { buildApp } from '../src/app';
import { rebuildRollups } from '../src/data/rollups';
import { openTestDb, testRenderer } from '../test/support';

const SIZES = [10_000, 100_000, 1_000_000];
const ROUNDS = 40;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

it('analytics latency stays flat from 10k to 1M transactions', async () => {
  const issuer = await new TestTokenIssuer().start();
  const db = await openTestDb('reports_bench');
  const renderer = testRenderer();
  const users = SIZES.map(() => randomUUID());
  try {
    const categories = Array.from({ length: 20 }, () => randomUUID());
    const accounts = Array.from({ length: 3 }, () => randomUUID());
    for (const [i, size] of SIZES.entries()) {
      const started = Date.now();
      await db.dataSource.query(
        `INSERT INTO report_transactions (id, user_id, account_id, to_account_id, category_id, type, base_amount_minor,
           base_currency, amount_minor, currency, date, description, version)
         SELECT gen_random_uuid(), $1, ($2::uuid[])[1 + n % 3],
                CASE WHEN n % 50 = 0 THEN ($2::uuid[])[1 + (n + 1) % 3] END,
                CASE WHEN n % 50 = 0 OR n % 17 = 0 THEN NULL ELSE ($3::uuid[])[1 + n % 20] END,
                CASE WHEN n % 50 = 0 THEN 'transfer' WHEN n % 10 = 0 THEN 'income' ELSE 'expense' END,
                100 + (n::bigint * 7919) % 50000, 'USD', 100 + (n::bigint * 7919) % 50000, 'USD',
                date '2025-01-01' + (n % 365), 'Bench ' || n, 1
         FROM generate_series(1, $4::int) AS n`,
        [users[i], accounts, categories, size],
      );
      await rebuildRollups(db.dataSource, users[i]);
      console.log(`seeded ${size} transactions + roll-ups in ${Date.now() - started} ms`);
    }
    await db.dataSource.query('ANALYZE');
    const server = await startHttpServer(
      buildApp({
        dataSource: db.dataSource,
        logger: testLogger(),
        renderer,
        auth: { jwksUrl: issuer.jwksUrl, issuer: TEST_ISSUER, audience: TEST_AUDIENCE },
      }),
    );
    const queries = {
      'spending, 1 year': '/analytics/spending?from=2025-01-01&to=2025-12-31',
      'spending, 1 year, one account': `/analytics/spending?from=2025-01-01&to=2025-12-31&account_id=${accounts[0]}`,
      'income vs expense, monthly, 5 years':
        '/analytics/income-vs-expense?from=2021-01-01&to=2025-12-31&granularity=month',
    };
    const tokens = users.map((u) => issuer.token(u));
    const timings = new Map<string, number[]>();
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, path] of Object.entries(queries)) {
        for (const [i, size] of SIZES.entries()) {
          const started = process.hrtime.bigint();
          const res = await fetch(`${server.url}${path}`, {
            headers: { authorization: `Bearer ${tokens[i]}` },
          });
          await res.text();
          if (res.status !== 200) throw new Error(`${path} → ${res.status}`);
          const ms = Number(process.hrtime.bigint() - started) / 1e6;
          if (round > 2) timings.set(`${name}|${size}`, [...(timings.get(`${name}|${size}`) ?? []), ms]);
        }
      }
    }
    const rows = Object.keys(queries).map((name) => {
      const medians = SIZES.map((size) => median(timings.get(`${name}|${size}`) ?? []));
      return {
        query: name,
        ...Object.fromEntries(SIZES.map((s, i) => [`p50 ms @${s}`, medians[i].toFixed(2)])),
        'ratio 1M/10k': (medians[2] / medians[0]).toFixed(2),
      };
    });
    console.table(rows);
    await server.close();
  } finally {
    await renderer.close();
    await db.close();
    await issuer.stop();
  }
}, 600_000);
