import type { Channel } from 'amqplib';

/** The one durable topic exchange every event goes through; routing key = event type. */
export const EVENTS_EXCHANGE = 'finance.events';

/** Default waits before the 1st, 2nd, 3rd… redelivery of a failed event (the last repeats). */
export const DEFAULT_RETRY_DELAYS_MS = [1_000, 10_000, 60_000] as const;

/** Queue names of one consuming service. */
export interface ServiceQueues {
  /** Work queue: every replica of the service consumes from it (competing consumers). */
  work: string;
  /** Retry queues, one per delay: `<service>.events.retry.<n>`. */
  retry: string[];
  /** Poison messages wait here for an operator. */
  deadLetter: string;
}

export function serviceQueues(
  service: string,
  retryStages: number = DEFAULT_RETRY_DELAYS_MS.length,
): ServiceQueues {
  return {
    work: `${service}.events`,
    retry: Array.from({ length: retryStages }, (_, index) => `${service}.events.retry.${index + 1}`),
    deadLetter: `${service}.events.dlq`,
  };
}

export async function declareExchange(channel: Channel): Promise<void> {
  await channel.assertExchange(EVENTS_EXCHANGE, 'topic', { durable: true });
}

/**
 * Declares (idempotently) a service's work queue bound to the given routing keys, its retry
 * queues and its dead-letter queue. Retry queues have a fixed TTL each (a per-message TTL would
 * only expire at the head of the queue) and dead-letter back into the work queue through the
 * default exchange. Changing a delay needs the old retry queue deleted first (RabbitMQ refuses
 * to redeclare a queue with other arguments).
 */
export async function declareServiceQueues(
  channel: Channel,
  service: string,
  routingKeys: readonly string[],
  retryDelaysMs: readonly number[] = DEFAULT_RETRY_DELAYS_MS,
): Promise<ServiceQueues> {
  const queues = serviceQueues(service, retryDelaysMs.length);
  await declareExchange(channel);
  await channel.assertQueue(queues.work, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
  for (const key of routingKeys) await channel.bindQueue(queues.work, EVENTS_EXCHANGE, key);
  for (const [index, queue] of queues.retry.entries()) {
    await channel.assertQueue(queue, {
      durable: true,
      arguments: {
        'x-queue-type': 'quorum',
        'x-message-ttl': retryDelaysMs[index],
        'x-dead-letter-exchange': '',
        'x-dead-letter-routing-key': queues.work,
      },
    });
  }
  await channel.assertQueue(queues.deadLetter, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
  return queues;
}

/** Deletes a service's queues (tests clean up after themselves with it). */
export async function deleteServiceQueues(
  channel: Channel,
  service: string,
  retryStages: number,
): Promise<void> {
  const queues = serviceQueues(service, retryStages);
  for (const queue of [queues.work, ...queues.retry, queues.deadLetter]) await channel.deleteQueue(queue);
}
