import type { Bench } from '../lib/context';
import { cpuPerRequest, describeCpu } from '../lib/cpu';
import { compareLoads, load } from '../lib/load';
import { round } from '../lib/stats';

/** 1. GET /transactions?limit=50 through the gateway vs straight to the ledger: same token, same data. */
export const gatewayBench: Bench = {
  name: 'gateway',
  title: '1. gateway cost: GET /transactions?limit=50, gateway vs ledger direct',
  async run(ctx) {
    const system = await ctx.system();
    const user = await ctx.sizedUser(10_000);
    const headers = { authorization: `Bearer ${user.token}` };
    const seconds = ctx.quick ? 2 : 5;
    const { a: viaGateway, b: direct } = await compareLoads(
      { url: `${system.gateway}/transactions?limit=50`, headers, seconds, connections: 10 },
      { url: `${system.children.ledger.url}/transactions?limit=50`, headers, seconds, connections: 10 },
      3,
    );
    if (viaGateway.failed || direct.failed)
      throw new Error(`non-2xx answers: gateway ${viaGateway.failed}, direct ${direct.failed}`);
    const throughput = viaGateway.rps / direct.rps;
    const p99 = viaGateway.p99 / direct.p99;
    const detail = `gateway ${round(viaGateway.rps, 0)} req/s p99 ${viaGateway.p99} ms; direct ${round(direct.rps, 0)} req/s p99 ${direct.p99} ms (10 connections, 3 × ${seconds} s each, alternating)`;
    ctx.record({
      measure: 'throughput ratio gateway/direct',
      value: round(throughput),
      unit: '×',
      target: '≥ 0.7',
      met: throughput >= 0.7,
      detail,
    });
    ctx.record({
      measure: 'p99 ratio gateway/direct',
      value: round(p99),
      unit: '×',
      target: '≤ 1.5',
      met: p99 <= 1.5,
    });
    // Where each request's CPU goes (on 2 cores this is what bounds throughput).
    for (const [label, url] of [
      ['through the gateway', `${system.gateway}/transactions?limit=50`],
      ['ledger direct', `${system.children.ledger.url}/transactions?limit=50`],
    ]) {
      const cpu = await cpuPerRequest(
        system,
        async () => (await load({ url, headers, seconds, connections: 10 })).ok,
      );
      ctx.record({
        measure: `CPU per list request, ${label}`,
        value: cpu.total,
        unit: 'ms',
        detail: describeCpu(cpu),
      });
    }
  },
};
