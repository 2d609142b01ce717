import type { GetMessage } from 'amqplib';
import type { Broker } from './broker';
import { DeliveryHeaders } from './consumer';
import { serviceQueues } from './topology';

/** What an operator sees of one dead-lettered message. */
export interface DeadLetter {
  eventId: string | null;
  type: string | null;
  routingKey: string | null;
  reason: string | null;
  lastError: string | null;
  attempts: number | null;
  firstFailedAt: string | null;
  deadLetteredAt: string | null;
  headers: Record<string, unknown>;
  body: string;
}

function describe(message: GetMessage): DeadLetter {
  const headers = (message.properties.headers ?? {}) as Record<string, unknown>;
  const body = message.content.toString('utf8');
  let parsed: { id?: unknown; type?: unknown } = {};
  try {
    const value: unknown = JSON.parse(body);
    if (value && typeof value === 'object') parsed = value as typeof parsed;
  } catch {
    // not JSON: that is usually why it is here
  }
  const text = (value: unknown) => (value === undefined || value === null ? null : String(value));
  return {
    eventId: text(parsed.id) ?? text(message.properties.messageId),
    type: text(parsed.type) ?? text(message.properties.type),
    routingKey: text(headers[DeliveryHeaders.originalRoutingKey]),
    reason: text(headers[DeliveryHeaders.deadLetterReason]),
    lastError: text(headers[DeliveryHeaders.lastError]),
    attempts:
      headers[DeliveryHeaders.attempts] === undefined ? null : Number(headers[DeliveryHeaders.attempts]),
    firstFailedAt: text(headers[DeliveryHeaders.firstFailedAt]),
    deadLetteredAt: text(headers[DeliveryHeaders.deadLetteredAt]),
    headers,
    body,
  };
}

/**
 * Reads up to `limit` dead letters of a service without removing them: they are fetched
 * unacknowledged and go back to the queue when the channel closes.
 */
export async function listDeadLetters(broker: Broker, service: string, limit = 100): Promise<DeadLetter[]> {
  const queue = serviceQueues(service, 0).deadLetter;
  return broker.withChannel(async (channel) => {
    const { messageCount } = await channel.checkQueue(queue);
    const letters: DeadLetter[] = [];
    for (let index = 0; index < Math.min(messageCount, limit); index++) {
      const message = await channel.get(queue, { noAck: false });
      if (!message) break;
      letters.push(describe(message));
    }
    return letters;
  });
}

export type ReplaySelection = { eventId: string } | { all: true };

/**
 * Moves dead letters back to the service's work queue (all, or the one with this event id),
 * with the attempt count reset. Each is acked from the dead-letter queue only after the broker
 * confirmed the copy; the inbox makes a replay of an already-applied event harmless.
 */
export async function replayDeadLetters(
  broker: Broker,
  service: string,
  selection: ReplaySelection,
): Promise<DeadLetter[]> {
  const queues = serviceQueues(service, 0);
  return broker.withChannel(async (channel) => {
    const { messageCount } = await channel.checkQueue(queues.deadLetter);
    const replayed: DeadLetter[] = [];
    for (let index = 0; index < messageCount; index++) {
      const message = await channel.get(queues.deadLetter, { noAck: false });
      if (!message) break;
      const letter = describe(message);
      if ('eventId' in selection && letter.eventId !== selection.eventId) continue; // requeued on close
      const { contentType, messageId, type } = message.properties;
      await broker.sendToQueue(queues.work, message.content, {
        contentType,
        messageId,
        type,
        headers: {
          ...(letter.routingKey ? { [DeliveryHeaders.originalRoutingKey]: letter.routingKey } : {}),
          'x-replayed-at': new Date().toISOString(),
        },
      });
      channel.ack(message);
      replayed.push(letter);
    }
    return replayed;
  });
}
