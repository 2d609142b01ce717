import { median, percentile } from './stats';

export interface Probe {
  name: string;
  url: string;
  token: string;
}

/** One GET with a bearer token, read to the end: its latency in ms (a non-200 answer throws). */
export async function timedGet(url: string, token: string): Promise<number> {
  const started = process.hrtime.bigint();
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  await res.arrayBuffer();
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (res.status !== 200) throw new Error(`${url} → ${res.status}`);
  return ms;
}

/**
 * Sequential latency of GETs, alternating the probes request by request (A, B, C, A, B, C…),
 * so every probe sees the same machine; the first `warmup` rounds are not recorded.
 */
export async function alternateLatency(
  probes: Probe[],
  rounds: number,
  warmup = 3,
): Promise<Map<string, { p50: number; p99: number; samples: number[] }>> {
  const samples = new Map<string, number[]>(probes.map((p) => [p.name, []]));
  for (let i = 0; i < rounds + warmup; i++) {
    for (const probe of i % 2 === 0 ? probes : [...probes].reverse()) {
      const ms = await timedGet(probe.url, probe.token);
      if (i >= warmup) samples.get(probe.name)?.push(ms);
    }
  }
  return new Map(
    [...samples].map(([name, values]) => [
      name,
      { p50: median(values), p99: percentile(values, 99), samples: values },
    ]),
  );
}
