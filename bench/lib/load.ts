/**
 * Load on loopback with autocannon, always bounded by time (and optionally a rate), and the
 * side-by-side rule: a comparison alternates A, B, A, B… in the same run and reports medians.
 */
import { median } from './stats';

// autocannon ships no types; this is the part of its API the suite uses.
interface AutocannonOptions {
  url: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  connections: number;
  duration: number;
  overallRate?: number;
  timeout?: number;
  requests?: Array<{ setupRequest: (request: AutocannonRequest) => AutocannonRequest }>;
}
interface AutocannonRequest {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string;
}
interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p90: number; p99: number; average: number; max: number };
  non2xx: number;
  errors: number;
  timeouts: number;
  '2xx': number;
}
const autocannon = require('autocannon') as (options: AutocannonOptions) => Promise<AutocannonResult>;

export interface LoadResult {
  /** Completed requests per second (2xx only: errors never count as throughput). */
  rps: number;
  p50: number;
  p99: number;
  ok: number;
  failed: number;
}

export interface LoadSpec {
  url: string;
  method?: string;
  headers?: Record<string, string>;
  body?: unknown;
  connections?: number;
  seconds: number;
  overallRate?: number;
  /** Varies each request (e.g. rotating users): returns its body and extra headers. */
  vary?: () => { body: unknown; headers?: Record<string, string> };
}

export async function load(spec: LoadSpec): Promise<LoadResult> {
  const result = await autocannon({
    url: spec.url,
    method: spec.method ?? 'GET',
    headers: { ...(spec.body ? { 'content-type': 'application/json' } : {}), ...spec.headers },
    body: spec.body === undefined ? undefined : JSON.stringify(spec.body),
    connections: spec.connections ?? 10,
    duration: spec.seconds,
    overallRate: spec.overallRate,
    timeout: 10,
    requests: spec.vary
      ? [
          {
            setupRequest: (request) => {
              const next = spec.vary!();
              return {
                ...request,
                body: JSON.stringify(next.body),
                headers: { ...request.headers, ...next.headers },
              };
            },
          },
        ]
      : undefined,
  });
  const failed = result.non2xx + result.errors + result.timeouts;
  return {
    rps: result['2xx'] / spec.seconds,
    p50: result.latency.p50,
    p99: result.latency.p99,
    ok: result['2xx'],
    failed,
  };
}

export interface Comparison {
  a: LoadResult;
  b: LoadResult;
  rounds: Array<{ a: LoadResult; b: LoadResult }>;
}

/** A then B, `rounds` times, after one short unrecorded warm-up of each; medians per side. */
export async function compareLoads(a: LoadSpec, b: LoadSpec, rounds: number): Promise<Comparison> {
  await load({ ...a, seconds: 1 });
  await load({ ...b, seconds: 1 });
  const results: Array<{ a: LoadResult; b: LoadResult }> = [];
  for (let i = 0; i < rounds; i++) {
    // Alternate which side goes first too, so neither always runs on a warmer machine.
    if (i % 2 === 0) {
      const ra = await load(a);
      const rb = await load(b);
      results.push({ a: ra, b: rb });
    } else {
      const rb = await load(b);
      const ra = await load(a);
      results.push({ a: ra, b: rb });
    }
  }
  const summary = (side: 'a' | 'b'): LoadResult => ({
    rps: median(results.map((r) => r[side].rps)),
    p50: median(results.map((r) => r[side].p50)),
    p99: median(results.map((r) => r[side].p99)),
    ok: results.reduce((sum, r) => sum + r[side].ok, 0),
    failed: results.reduce((sum, r) => sum + r[side].failed, 0),
  });
  return { a: summary('a'), b: summary('b'), rounds: results };
}
