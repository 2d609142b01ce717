import type { Bench } from '../lib/context';
import { SERVICE_NAMES } from '../lib/system';

const MB = 1024 * 1024;

/**
 * 8. Resident memory of each service process idle (right after start, before any bench) and
 * after load (after the benches that ran before this one), and cold start to all-ready.
 */
export const footprintBench: Bench = {
  name: 'footprint',
  title: '8. footprint: RSS per service idle / after load; cold start to all-ready',
  async run(ctx) {
    const system = await ctx.system();
    for (const name of SERVICE_NAMES) {
      const idle = ctx.idleRss.get(name);
      const now = system.rss(name);
      const node = Math.round(now.node / MB);
      const browser = Math.round(now.descendants / MB);
      const withBrowser = name === 'reports';
      ctx.record({
        measure: `${name} RSS after load`,
        value: node,
        unit: 'MB',
        target: withBrowser ? undefined : '≤ 150 MB',
        met: withBrowser ? undefined : node <= 150,
        detail: `idle ${idle ? Math.round(idle.node / MB) : '?'} MB${withBrowser ? `; its Chromium processes ${browser} MB (idle ${idle ? Math.round(idle.descendants / MB) : '?'} MB)` : ''}`,
      });
    }
    const coldStart = system.coldStartMs / 1000;
    ctx.record({
      measure: `cold start to all-ready (${SERVICE_NAMES.length} services, fresh databases)`,
      value: Number(coldStart.toFixed(1)),
      unit: 's',
      target: '≤ 30 s',
      met: coldStart <= 30,
      detail:
        'spawn of the built services → every /readyz 200, migrations included; npm install and tsc -b excluded',
    });
  },
};
