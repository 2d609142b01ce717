import { MAX_JSON_DEPTH } from '@finance/shared';
import type { Bench } from '../lib/context';
import { median, percentile, round } from '../lib/stats';

/**
 * The worst body the limits allow (issue 22 item 1): `POST /auth/login` without an account, through
 * the gateway, with a body as large as auth takes (just under 100 KB), nested as deep as the limit
 * allows and full of strings to walk — against the same request with a small bad body. Each is
 * refused with a 400 before any password is hashed; the ratio says what a hostile body costs.
 * Also the body just over the depth limit, 45,000 levels deep: refused on its raw bytes.
 */
function worstBody(): string {
  const strings = Array.from({ length: 600 }, (_, i) => `"${'x'.repeat(120)}${i}"`).join(',');
  const nest = (depth: number, inner: string) => `${'['.repeat(depth)}${inner}${']'.repeat(depth)}`;
  // depth: the object (1) + "password" array chain up to the limit.
  const body = `{"email":"nobody@example.com","password":${nest(MAX_JSON_DEPTH - 1, strings)}}`;
  if (body.length >= 100_000)
    throw new Error(`the worst body is ${body.length} bytes: over auth's 100 KB limit`);
  return body;
}

async function post(url: string, body: string): Promise<number> {
  const started = process.hrtime.bigint();
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  await res.arrayBuffer();
  if (res.status !== 400) throw new Error(`${url} answered ${res.status}, not 400`);
  return Number(process.hrtime.bigint() - started) / 1e6;
}

export const hostileBodyBench: Bench = {
  name: 'hostile-body',
  title: 'worst body the limits allow: POST /auth/login, 100 KB at the depth limit vs a small bad body',
  async run(ctx) {
    const system = await ctx.system();
    const url = `${system.gateway}/auth/login`;
    const worst = worstBody();
    const small = '{"email":"nobody@example.com","password":["x"]}';
    const tooDeep = `{"email":"a","password":${'['.repeat(45_000)}${']'.repeat(45_000)}}`;
    const rounds = ctx.quick ? 40 : 200;
    const samples = { worst: [] as number[], small: [] as number[], tooDeep: [] as number[] };
    for (let i = 0; i < rounds + 5; i++) {
      // Alternated request by request, so both see the same machine; the first 5 rounds warm up.
      const w = await post(url, worst);
      const s = await post(url, small);
      const d = await post(url, tooDeep);
      if (i >= 5) {
        samples.worst.push(w);
        samples.small.push(s);
        samples.tooDeep.push(d);
      }
    }
    const ratio = median(samples.worst) / median(samples.small);
    ctx.record({
      measure: 'worst allowed body / small bad body, p50',
      value: round(ratio),
      unit: '×',
      detail:
        `worst (${Math.round(worst.length / 1024)} KB, depth ${MAX_JSON_DEPTH}) p50 ${round(median(samples.worst))} ms ` +
        `p99 ${round(percentile(samples.worst, 99))} ms; small p50 ${round(median(samples.small))} ms; ` +
        `45,000 deep (refused on its bytes) p50 ${round(median(samples.tooDeep))} ms; ${rounds} rounds`,
    });
    ctx.record({
      measure: 'worst allowed body through the gateway, p99',
      value: round(percentile(samples.worst, 99)),
      unit: 'ms',
      target: '≤ 100',
      met: percentile(samples.worst, 99) <= 100,
    });
  },
};
