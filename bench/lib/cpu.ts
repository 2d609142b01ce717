/**
 * Where the CPU goes while a load runs: CPU time (user + system, from /proc) of each service
 * process, of this run's PostgreSQL backends, of RabbitMQ and of the load generator, divided by
 * the requests served. On a 2-core machine, the sum bounds the throughput of the whole system.
 */
import { SERVICE_NAMES, pidsMatching, postgresBackendPids, readCpuMs, type System } from './system';

function snapshot(system: System): Map<string, number> {
  const taken = new Map<string, number>();
  for (const name of SERVICE_NAMES) taken.set(name, system.cpuMs(name));
  for (const pid of postgresBackendPids(system)) taken.set(`pg:${pid}`, readCpuMs(pid));
  for (const pid of pidsMatching('beam.smp')) taken.set(`rabbitmq:${pid}`, readCpuMs(pid));
  taken.set('load generator', process.cpuUsage().user / 1000 + process.cpuUsage().system / 1000);
  return taken;
}

/** Runs `work` (which returns how many requests it served) and answers CPU ms per request by process group. */
export async function cpuPerRequest(
  system: System,
  work: () => Promise<number>,
): Promise<{ perRequest: Record<string, number>; total: number }> {
  const before = snapshot(system);
  const served = await work();
  // Let the consumers finish what the load left queued, so their share is counted too.
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const after = snapshot(system);
  const groups: Record<string, number> = {};
  for (const [key, value] of after) {
    const group = key.startsWith('pg:') ? 'postgres' : key.startsWith('rabbitmq:') ? 'rabbitmq' : key;
    groups[group] = (groups[group] ?? 0) + value - (before.get(key) ?? 0);
  }
  const perRequest = Object.fromEntries(
    Object.entries(groups).map(([group, ms]) => [group, Number((ms / Math.max(1, served)).toFixed(2))]),
  );
  return {
    perRequest,
    total: Number(
      Object.values(perRequest)
        .reduce((a, b) => a + b, 0)
        .toFixed(2),
    ),
  };
}

export function describeCpu(cpu: { perRequest: Record<string, number>; total: number }): string {
  return `${cpu.total} ms CPU per request: ${Object.entries(cpu.perRequest)
    .filter(([, ms]) => ms >= 0.05)
    .sort((a, b) => b[1] - a[1])
    .map(([group, ms]) => `${group} ${ms}`)
    .join(', ')}`;
}
