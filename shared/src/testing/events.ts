import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import type { DataSource } from 'typeorm';
import { Broker } from '../events/broker';
import { deleteServiceQueues } from '../events/topology';
import { testAmqpUrl } from './database';
import { testLogger } from './http';
import { waitFor } from './wait-for';

const run = promisify(execFile);

/**
 * A name unique to this test run (`t_<label>_<hex>`), for service/queue/connection names, so
 * test files running in parallel never consume each other's messages.
 */
export function uniqueName(label: string): string {
  return `t_${label
    .replace(/[^a-z0-9]/gi, '_')
    .toLowerCase()
    .slice(0, 30)}_${randomBytes(4).toString('hex')}`;
}

/** A started Broker on the test RabbitMQ with a unique connection name (fast reconnects). */
export async function startTestBroker(label: string): Promise<Broker> {
  const broker = new Broker({
    url: testAmqpUrl(),
    logger: testLogger(`broker-${label}`),
    connectionName: uniqueName(label),
    minReconnectDelayMs: 50,
    maxReconnectDelayMs: 1_000,
  });
  await broker.start();
  return broker;
}

/** Deletes a test service's work, retry and dead-letter queues. */
export async function deleteTestQueues(broker: Broker, service: string, retryStages: number): Promise<void> {
  await broker.withChannel((channel) => deleteServiceQueues(channel, service, retryStages));
}

/** Messages ready in a queue. */
export async function queueDepth(broker: Broker, queue: string): Promise<number> {
  return broker.withChannel(async (channel) => (await channel.checkQueue(queue)).messageCount);
}

/** Waits until `consumer` (a service name) has recorded the event in its inbox, i.e. applied it. */
export async function waitForInbox(
  dataSource: DataSource,
  consumer: string,
  eventId: string,
  timeoutMs = 15_000,
): Promise<void> {
  await waitFor(
    async () => {
      const rows: unknown[] = await dataSource.query(
        `SELECT 1 FROM inbox WHERE consumer = $1 AND event_id = $2`,
        [consumer, eventId],
      );
      return rows.length === 1;
    },
    { timeoutMs, description: `${consumer} to apply event ${eventId}` },
  );
}

/** Waits until a `SELECT count(*)` query answers `expected`; returns the last count. */
export async function waitForCount(
  dataSource: DataSource,
  countSql: string,
  expected: number,
  options: { params?: unknown[]; timeoutMs?: number } = {},
): Promise<number> {
  await waitFor(
    async () => {
      const [row]: { count: string }[] = await dataSource.query(countSql, options.params ?? []);
      return Number(row.count) === expected;
    },
    { timeoutMs: options.timeoutMs ?? 15_000, description: `${countSql} = ${expected}` },
  );
  return expected;
}

/**
 * Closes a broker connection from the server side, as a network failure or a broker restart
 * would (`rabbitmqctl close_connection`; needs rabbitmqctl and the rights to run it).
 */
export async function closeConnectionFromServer(connectionName: string): Promise<void> {
  const { stdout } = await run('rabbitmqctl', ['-q', 'list_connections', 'pid', 'client_properties']);
  const pids = stdout
    .split('\n')
    .filter((line) => line.includes(`"${connectionName}"`))
    .map((line) => line.split('\t')[0].trim())
    .filter(Boolean);
  if (pids.length === 0) throw new Error(`no broker connection named ${connectionName}`);
  for (const pid of pids) await run('rabbitmqctl', ['-q', 'close_connection', pid, 'closed by test']);
}
